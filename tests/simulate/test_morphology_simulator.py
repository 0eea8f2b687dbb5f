# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest

from astro_galclass.morphology import GZ2_TREE
from astro_galclass.simulate import MorphologySimulator


@pytest.fixture(scope='module')
def sample():
    return MorphologySimulator(seed=3).sample(150)


def test_images_and_labels(sample):
    images, truth = sample
    assert images.shape == (150, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    cum = GZ2_TREE.from_kaggle_table(truth)
    assert GZ2_TREE.identity_residuals(cum).max() < 1e-12
    # fractions are vote counts over the volunteers who reached the question
    counts = np.stack([truth[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    s = GZ2_TREE.slice(1)
    assert np.all(counts[:, s].sum(axis=1) >= 10)
    assert np.allclose(np.asarray(truth['Class1.1']),
                       counts[:, 0] / counts[:, s].sum(axis=1))
    # the number reaching question 2 is the number answering "features"
    assert np.array_equal(counts[:, GZ2_TREE.slice(2)].sum(axis=1), counts[:, 1])


def test_labels_follow_the_latent_truth(sample):
    _, truth = sample
    kind = np.asarray(truth['kind'])
    smooth = np.asarray(truth['Class1.1'])
    star = np.asarray(truth['Class1.3'])
    assert smooth[kind == 'elliptical'].mean() > 0.7
    assert smooth[kind == 'disk'].mean() < smooth[kind == 'elliptical'].mean() - 0.3
    assert star[np.isin(kind, ['star', 'artifact'])].mean() > 0.6
    edge = np.asarray(truth['expected_Class2.1']) / np.maximum(
        np.asarray(truth['expected_Class1.2']), 1e-9)
    disk = kind == 'disk'
    inc = np.asarray(truth['inclination'])
    assert edge[disk & (inc > 80)].mean() > 0.7 > edge[disk & (inc < 50)].mean()


def test_votes_are_noisy_but_unbiased():
    sim = MorphologySimulator(seed=4, voters=40)
    truth = sim.draw(2000)
    p = sim.answer_probabilities(truth)
    counts = sim.vote(p)
    frac = counts[:, :3] / counts[:, :3].sum(axis=1, keepdims=True)
    assert np.abs(frac - p[:, :3]).mean() < 0.07
    assert np.abs((frac - p[:, :3]).mean(axis=0)).max() < 0.01


def test_seed_reproducible_and_bad_input():
    a, ta = MorphologySimulator(seed=5).sample(3)
    b, tb = MorphologySimulator(seed=5).sample(3)
    assert np.array_equal(a, b) and list(ta['kind']) == list(tb['kind'])
    with pytest.raises(ValueError, match='kinds must map'):
        MorphologySimulator(kinds={'spiral': 1.0})
    with pytest.raises(ValueError, match='non-negative int'):
        MorphologySimulator().sample(-1)


def test_parallel_sample_does_not_depend_on_the_number_of_workers():
    sim = MorphologySimulator(seed=6)
    sim.PARALLEL_CHUNK = 7          # several chunks from a small sample
    a, ta = sim.sample(20, workers=1)
    sim = MorphologySimulator(seed=6)
    sim.PARALLEL_CHUNK = 7
    b, tb = sim.sample(20, workers=3)
    assert a.shape == (20, 3, 64, 64) and len(ta) == 20
    assert np.array_equal(a, b)
    assert np.array_equal(np.asarray(ta['Class1.1']), np.asarray(tb['Class1.1']))
    # the chunks are independent draws, not copies of one another
    assert not np.array_equal(a[:7], a[7:14])
    with pytest.raises(ValueError, match='workers must be a non-negative int'):
        MorphologySimulator().sample(3, workers=-2)
