# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""An interrupted training run resumes to the uninterrupted one's result (issue 32)."""

import numpy as np
import pytest
import torch

from astro_galclass.highz import AsinhNormalization, BandDropout
from astro_galclass.nircam import NIRCAM_BANDS
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import (
    ArrayBatches,
    BandDropoutBatches,
    MixedBatches,
    RunOptions,
    SimulatedBatches,
    SimulatedMosaicBatches,
    Trainer,
)
from astro_galclass.training.recipes import highz_v5


def _batches(stream):
    return [(x.clone(), y.clone()) for x, y in stream]


def _same(a, b):
    return len(a) == len(b) and all(torch.equal(xa, xb) and torch.equal(ya, yb)
                                    for (xa, ya), (xb, yb) in zip(a, b, strict=True))


def test_batch_streams_are_seeded_by_the_epoch():
    norm = AsinhNormalization()
    direct = SimulatedBatches(NIRCamSimulator(seed=1, rendering='varied'), batch_size=6,
                              batches_per_epoch=2, normalization=norm, simulate_chunk=8, seed=2)
    mosaic = SimulatedMosaicBatches(NIRCamSimulator(seed=3), batch_size=2, batches_per_epoch=2,
                                    normalization=norm, field_sources=40,
                                    field_shape=(300, 300), seed=4)
    stream = BandDropoutBatches(MixedBatches([direct, mosaic]), BandDropout(NIRCAM_BANDS),
                                seed=5)
    stream.set_epoch(2)
    second = _batches(stream)
    stream.set_epoch(1)
    first = _batches(stream)
    stream.set_epoch(2)
    assert _same(_batches(stream), second)          # epoch 2 again, after epoch 1
    assert not _same(first, second)
    rows = ArrayBatches(np.random.default_rng(0).random((10, 7, 8, 8)), np.arange(10) % 3,
                        batch_size=4, normalization=None, seed=6)
    rows.set_epoch(3)
    again = _batches(rows)
    rows.set_epoch(3)
    assert _same(_batches(rows), again)


class _Interrupted(Exception):
    pass


def _tiny_recipe(monkeypatch):
    # the standard rendering: its noise calibration is shared with other tests
    for key, value in {'batch_size': 16, 'sky': 8, 'balanced': 8, 'mosaic': 0,
                       'n_val': 48, 'rendering': 'standard'}.items():
        monkeypatch.setitem(highz_v5.HIGHZ_V5_RECIPE, key, value)


def test_an_interrupted_recipe_resumes_to_the_same_weights(tmp_path, monkeypatch):
    _tiny_recipe(monkeypatch)
    settings = {'max_epochs': 3, 'batches_per_epoch': 2}

    def run(folder, resume=False):
        return RunOptions(device='cpu', progress=False, checkpoint_dir=tmp_path / folder,
                          resume=resume)

    whole, whole_history = highz_v5.train_highz_v5(tmp_path / 'whole.pt', run=run('a'),
                                                   **settings)
    save = Trainer._save_checkpoint

    def save_then_stop(trainer):
        save(trainer)
        if trainer._epoch == 2:
            raise _Interrupted

    monkeypatch.setattr(Trainer, '_save_checkpoint', save_then_stop)
    with pytest.raises(_Interrupted):
        highz_v5.train_highz_v5(tmp_path / 'part.pt', run=run('b'), **settings)
    monkeypatch.setattr(Trainer, '_save_checkpoint', save)
    resumed, history = highz_v5.train_highz_v5(tmp_path / 'part.pt', run=run('b', True),
                                               **settings)
    assert list(history['epoch']) == [1, 2, 3]
    assert np.array_equal(history['val_loss'], whole_history['val_loss'])
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    assert resumed.temperature == whole.temperature


def test_bf16_training_runs_and_learns():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(256, 4, generator=gen)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    trainer = Trainer(model, n_classes=2, lr=1e-2, max_epochs=6, device='cpu',
                      progress=False, precision='bf16')
    history = trainer.fit([(x[i:i + 64], y[i:i + 64]) for i in range(0, 256, 64)], (x, y))
    assert history['val_accuracy'][-1] > 0.9
    assert next(model.parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16'"):
        Trainer(model, n_classes=2, precision='half')
