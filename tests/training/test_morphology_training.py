# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch

from astro_galclass.morphology import GZ2_TREE, MorphologyClassifier, ParallelCNN
from astro_galclass.simulate import MorphologySimulator
from astro_galclass.training import (
    RotationFlipAugmentation,
    RunOptions,
    evaluate_morphology,
    train_morphology,
)


@pytest.fixture(scope='module')
def galaxies():
    return MorphologySimulator(seed=8).sample(40)


def test_rotation_keeps_the_light_and_centre():
    yy, xx = np.mgrid[:32, :32]
    blob = np.exp(-((xx - 15.5) ** 2 + (yy - 15.5) ** 2) / 8.0).astype(np.float32)
    x = torch.from_numpy(np.stack([blob, blob, blob])[None].repeat(4, 0))
    out = RotationFlipAugmentation()(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.allclose(out.sum(dim=(2, 3)), x.sum(dim=(2, 3)), rtol=0.02)
    # an asymmetric image really rotates
    bar = torch.zeros(1, 3, 32, 32)
    bar[..., 15:17, 4:28] = 1
    turned = RotationFlipAugmentation()(bar.repeat(8, 1, 1, 1),
                                        generator=torch.Generator().manual_seed(1))
    assert (turned[:, 0, 4:28, 15:17].mean(dim=(1, 2)) > 0.3).any()


@pytest.mark.parametrize(('loss', 'lam'), [('rmse', 0.01), ('dirichlet', 0.0)])
def test_train_morphology(galaxies, loss, lam, tmp_path):
    images, truth = galaxies
    counts = np.stack([truth[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    torch.manual_seed(0)
    clf, history = train_morphology(images, truth, counts=counts, model=ParallelCNN(),
                                    loss=loss, lam=lam, max_epochs=1, batch_size=16,
                                    run=RunOptions(device='cpu', progress=False))
    assert isinstance(clf, MorphologyClassifier)
    assert 'val_rmse' in history.colnames and np.isfinite(history['val_rmse'][0])
    assert clf.metadata['recipe']['loss'] == loss
    table = evaluate_morphology(clf, images[:8], truth[:8])
    assert table['question'][0] == 'all' and len(table) == 12
    assert table.meta['max_tree_residual'] < 1e-6
    assert 0 <= table.meta['smooth_featured_accuracy'] <= 1
    clf.save(tmp_path / 'm.pt')
    assert MorphologyClassifier(tmp_path / 'm.pt').metadata['recipe']['lam'] == lam


def test_train_morphology_checks(galaxies):
    images, truth = galaxies
    with pytest.raises(ValueError, match='needs the vote counts'):
        train_morphology(images, truth, loss='dirichlet', run=RunOptions(device='cpu'))
    with pytest.raises(ValueError, match='loss must be'):
        train_morphology(images, truth, loss='mae', run=RunOptions(device='cpu'))
    with pytest.raises(ValueError, match=r'\(N, 37\)'):
        train_morphology(images, np.zeros((3, 37)), run=RunOptions(device='cpu'))
    with pytest.raises(ValueError, match='validation must be a fraction'):
        train_morphology(images, truth, validation=0, run=RunOptions(device='cpu'))
    with pytest.raises(TypeError, match='seed must be an int'):
        train_morphology(images, truth, run=RunOptions(seed='1'))
