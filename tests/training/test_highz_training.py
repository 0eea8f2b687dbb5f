# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch
from astropy import units as u

from astro_galclass import HighZClassifier
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import (
    ArrayBatches,
    SimulatedBatches,
    train_highz,
    train_highz_simulated,
)


def test_train_highz_on_labelled_cutouts(tiny_model, simulated, tmp_path):
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    before = cutouts.copy()
    clf, history = train_highz(cutouts, labels, model=tiny_model, max_epochs=2,
                               batch_size=32, device='cpu', progress=False,
                               checkpoint_dir=tmp_path / 'ckpt')
    assert np.array_equal(cutouts, before)                  # input untouched
    assert len(history) == 2
    assert clf.temperature > 0 and clf.temperature != 1.0   # calibrated
    assert clf.metadata['recipe']['n_train'] == 240
    assert clf.metadata['recipe']['n_val'] == 60
    path = tmp_path / 'mine.pt'
    clf.save(path)
    again = HighZClassifier(path, device='cpu')
    assert again.temperature == pytest.approx(clf.temperature)
    assert again.weights_sha256 == clf.weights_sha256
    p1 = clf.predict_proba(cutouts[:5])
    p2 = again.predict_proba(cutouts[:5])
    assert np.allclose(p1, p2, atol=1e-5)


def test_train_highz_label_checks(tiny_model, simulated):
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    with pytest.raises(ValueError, match='one integer per cutout'):
        train_highz(cutouts, labels[:-1], model=tiny_model, device='cpu')
    with pytest.raises(ValueError, match=r'class indices in \[0, 2\]'):
        train_highz(cutouts, labels + 1, model=tiny_model, device='cpu')
    with pytest.raises(TypeError, match='integers'):
        train_highz(cutouts, labels.astype(float), model=tiny_model, device='cpu')
    with pytest.raises(ValueError, match='val_fraction'):
        train_highz(cutouts, labels, model=tiny_model, device='cpu', val_fraction=1.5)


def test_train_highz_simulated_records_the_simulator(tiny_model, tmp_path):
    sim = NIRCamSimulator(seed=5)
    val = NIRCamSimulator(seed=6)
    clf, _ = train_highz_simulated(sim, val_simulator=val, n_val=64, batch_size=16,
                                   batches_per_epoch=2, model=tiny_model,
                                   max_epochs=1, device='cpu', progress=False)
    assert clf.metadata['simulator']['seed'] == 5
    assert clf.metadata['validation_simulator']['seed'] == 6
    assert clf.metadata['recipe']['cutouts_seen'] == 32
    clf.save(tmp_path / 'sim.pt')
    reloaded = HighZClassifier(tmp_path / 'sim.pt')
    assert reloaded.metadata['simulator'] == clf.metadata['simulator']


def test_simulated_batches_are_fresh_and_seeded():
    from astro_galclass.highz import AsinhNormalization

    def first_batch(seed):
        b = SimulatedBatches(NIRCamSimulator(seed=seed), batch_size=4, batches_per_epoch=2,
                             normalization=AsinhNormalization(), simulate_chunk=4)
        return [x for x, _ in b]

    a, b = first_batch(1), first_batch(1)
    assert torch.equal(a[0], b[0])
    assert not torch.equal(a[0], a[1])
    assert not torch.equal(a[0], first_batch(2)[0])


def test_array_batches_cover_every_cutout_once():
    flux = np.arange(10, dtype=np.float32)[:, None, None, None] * np.ones((10, 1, 4, 4))
    b = ArrayBatches(flux * u.nJy, np.arange(10) % 2, batch_size=4, normalization=None,
                     shuffle=True, seed=0)
    seen = np.concatenate([x[:, 0, 0, 0].numpy() for x, _ in b])
    assert sorted(seen) == list(range(10))
    assert len(b) == 3
    with pytest.raises(u.UnitsError, match='flux units'):
        ArrayBatches(flux * u.m, np.zeros(10, int), batch_size=4, normalization=None)
    with pytest.raises(ValueError, match='shape'):
        ArrayBatches(flux[:, 0], np.zeros(10, int), batch_size=4, normalization=None)


def test_weights_metadata_accepts_str_subclasses(tmp_path):
    from astro_galclass.utils._weights import load_weights, save_weights

    path = tmp_path / 'w.pt'
    save_weights(path, {'a': torch.zeros(2)}, {'torch': torch.__version__,
                                               'x': np.float32(1.5)})
    _, meta = load_weights(path)
    assert meta['torch'] == str(torch.__version__)
    assert type(meta['torch']) is str
    assert meta['x'] == 1.5


def test_mosaic_batches_come_from_extracted_cutouts():
    from astro_galclass.highz import AsinhNormalization
    from astro_galclass.training import SimulatedMosaicBatches

    batches = SimulatedMosaicBatches(NIRCamSimulator(seed=41), batch_size=8,
                                     batches_per_epoch=2, normalization=AsinhNormalization(),
                                     field_sources=60, field_shape=(600, 600))
    out = list(batches)
    assert len(out) == 2
    x, y = out[0]
    assert x.shape == (8, 7, 64, 64) and y.dtype == torch.int64
    assert torch.isfinite(x).all()
    # the refill kept only unflagged sources, fewer than the field's 60
    assert len(batches._labels) + 16 <= 60
