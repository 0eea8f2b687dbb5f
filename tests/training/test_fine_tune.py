# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""One-call fine-tuning of both classifiers on the user's labels (issue 15, part 3)."""

import numpy as np
import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.morphology import GZ2_TREE, MorphologyClassifier
from astro_galclass.simulate import MorphologySimulator, NIRCamSimulator
from astro_galclass.training import (
    RunOptions,
    fine_tune_highz,
    fine_tune_morphology,
    head_modules,
    kaggle_targets,
)


@pytest.fixture(scope='module')
def galaxies():
    return MorphologySimulator(seed=31).sample(120)


@pytest.fixture(scope='module')
def morph():
    return MorphologyClassifier.pretrained(device='cpu')


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_morphology_fine_tune_lowers_the_validation_loss(galaxies, morph, tmp_path):
    images, truth = galaxies
    before = _state(morph.model)
    tuned = fine_tune_morphology(morph, images, truth, epochs=3, freeze='features', lr=1e-3,
                                 run=RunOptions(progress=False, seed=1))
    record = tuned.metadata['fine_tune']
    # the shipped v3 never saw 'photograph' images: its head adapts within a few epochs
    assert record['validation_after']['rmse'] < record['validation_before']['rmse']
    assert record['n_train'] == 96 and record['validation_after']['n'] == 24
    assert len(tuned.history) >= 1
    # the base classifier is untouched; only the head moved
    after = _state(morph.model)
    assert all(torch.equal(before[k], after[k]) for k in before)
    new = _state(tuned.model)
    head = {id(p) for m in head_modules(tuned.model) for p in m.parameters()}
    for name, p in tuned.model.named_parameters():
        changed = not torch.equal(new[name], before[name])
        assert changed == (id(p) in head), name
    assert tuned.frame_r90 == morph.frame_r90
    assert tuned.name == f'{morph.name}-finetuned'
    path = tmp_path / 'tuned.pt'
    tuned.save(path)
    loaded = MorphologyClassifier(path, device='cpu')
    assert loaded.metadata['fine_tune'] == record
    assert loaded.frame_r90 == tuned.frame_r90
    np.testing.assert_array_equal(loaded.predict_kaggle(images[:4]),
                                  tuned.predict_kaggle(images[:4]))


def test_morphology_label_forms_agree(galaxies):
    _, truth = galaxies
    kaggle = kaggle_targets(truth, len(truth))
    from_array = kaggle_targets(np.stack([truth[c] for c in GZ2_TREE.kaggle_columns], axis=1),
                                len(truth))
    fractions = truth[GZ2_TREE.gz2_columns('fraction')]
    counts = truth[GZ2_TREE.gz2_columns('count')]
    np.testing.assert_allclose(from_array, kaggle)
    np.testing.assert_allclose(kaggle_targets(fractions, len(truth)), kaggle, atol=1e-6)
    np.testing.assert_allclose(kaggle_targets(counts, len(truth)), kaggle, atol=1e-6)
    bad = np.array(from_array)
    bad[3, 0] = 2.0
    with pytest.raises(ValueError, match='outside'):
        kaggle_targets(bad, len(bad))
    with pytest.raises(ValueError, match='label rows for'):
        kaggle_targets(truth, len(truth) + 1)
    with pytest.raises(ValueError, match='neither'):
        kaggle_targets(truth[['kind']], len(truth))


def test_morphology_fine_tune_options(galaxies, morph):
    images, truth = galaxies
    with pytest.raises(ValueError, match='freeze must be one of'):
        fine_tune_morphology(morph, images, truth, freeze='trunk')
    with pytest.raises(ValueError, match='epochs must be a positive int'):
        fine_tune_morphology(morph, images, truth, epochs=0)
    with pytest.raises(ValueError, match='validation must be'):
        fine_tune_morphology(morph, images, truth, validation=1.5)
    # a separate validation set, no reframing: the framing is then measured
    tuned = fine_tune_morphology(morph, images[:60], truth[:60], epochs=1, freeze='features',
                                 validation=(images[60:80], truth[60:80]), reframe=False,
                                 run=RunOptions(progress=False))
    assert tuned.metadata['fine_tune']['validation_after']['n'] == 20
    assert tuned.metadata['framing']['measured_on'] > 0


@pytest.fixture(scope='module')
def cutouts():
    return NIRCamSimulator(seed=32).sample(90)


def test_highz_fine_tune(cutouts):
    x, truth = cutouts
    base = HighZClassifier.pretrained(device='cpu')
    before = _state(base.model)
    names = np.array(base.classes)[np.asarray(truth['label'])]
    tuned = fine_tune_highz(base, x, names, epochs=2, freeze='features',
                            run=RunOptions(progress=False))
    after = _state(base.model)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert tuned.classes == base.classes and tuned.bands == base.bands
    assert tuned.default_priors == base.default_priors
    record = tuned.metadata['fine_tune']
    assert set(record['validation_after']) == {'accuracy', 'log_loss', 'n'}
    assert record['ood'].startswith('dropped')
    assert 'ood' not in tuned.metadata
    table = tuned.classify(x[:5])
    assert table['highz_ood'].mask.all()          # no statistics until fit_ood
    with pytest.raises(ValueError, match='unknown class names'):
        fine_tune_highz(base, x, np.array(['galaxy'] * len(x)))
    with pytest.raises(ValueError, match=r'class indices in \[0, 2\]'):
        fine_tune_highz(base, x, np.full(len(x), 3))
    with pytest.raises(ValueError, match='one class index or class name per item'):
        fine_tune_highz(base, x, np.asarray(truth['label'])[:10])
    with pytest.raises(ValueError, match='validation labels: unknown class names'):
        fine_tune_highz(base, x[:60], names[:60], validation=(x[60:], ['galaxy'] * 30))
    with pytest.raises(TypeError, match='run must be a RunOptions'):
        fine_tune_highz(base, x, names, run={'seed': 1})


def test_all_star_votes_are_valid_labels():
    # every volunteer answered "star or artifact": nobody reached question 6, whose
    # cumulative answers are then 0, and the labels are still valid (issue 15 example)
    counts = np.zeros((1, 37))
    counts[0, 2] = 12
    labels = GZ2_TREE.to_kaggle(GZ2_TREE.counts_to_fractions(counts))
    assert GZ2_TREE.identity_residuals(labels)[0] == 0
    np.testing.assert_array_equal(kaggle_targets(labels, 1), labels.astype(np.float32))
    # but a galaxy with "smooth" votes still needs question 6 to sum to 1
    labels[0, 0], labels[0, 2] = 0.5, 0.5
    with pytest.raises(ValueError, match='do not sum'):
        kaggle_targets(labels, 1)
