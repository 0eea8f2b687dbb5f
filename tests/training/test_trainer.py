# Licensed under a 3-clause BSD style license - see LICENSE.rst
import time

import numpy as np
import pytest
import torch

from astro_galclass.training import Trainer
from astro_galclass.training.trainer import balanced_class_weights


def _data(n=512, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return x, y


def _batches(x, y, size=64):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(y), size)]


def test_learns_and_records_history():
    x, y = _data()
    xv, yv = _data(256, seed=1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    trainer = Trainer(model, n_classes=2, lr=1e-2, max_epochs=8, device='cpu', progress=False)
    history = trainer.fit(_batches(x, y), (xv, yv))
    assert len(history) == 8
    assert history['val_accuracy'][-1] > 0.9
    assert history['train_loss'][-1] < history['train_loss'][0]
    assert history['best'].sum() == 1


def test_early_stopping_restores_the_best_weights():
    x, y = _data()
    # a validation set with flipped labels: the loss gets worse as the
    # model learns the training set, so the best epoch is the first
    xv, yv = _data(256, seed=1)
    model = torch.nn.Linear(4, 2)
    trainer = Trainer(model, n_classes=2, lr=5e-2, max_epochs=20, patience=3,
                      schedule='constant', device='cpu', progress=False)
    history = trainer.fit(_batches(x, y), (xv, 1 - yv))
    best = int(history['epoch'][history['best']][0])
    assert len(history) == best + 3          # stopped after `patience` stale epochs
    loss, _ = trainer._validate((xv, 1 - yv))
    assert loss == pytest.approx(float(history['val_loss'][best - 1]), rel=1e-5)


def test_checkpoint_resume(tmp_path):
    x, y = _data()
    xv, yv = _data(256, seed=1)
    kw = {'n_classes': 2, 'lr': 1e-2, 'device': 'cpu', 'progress': False,
          'checkpoint_dir': tmp_path, 'schedule': 'cosine'}
    torch.manual_seed(0)
    first = Trainer(torch.nn.Linear(4, 2), max_epochs=2, **kw)
    first.fit(_batches(x, y), (xv, yv))
    assert (tmp_path / 'last.pt').exists()
    resumed = Trainer(torch.nn.Linear(4, 2), max_epochs=4, **kw)
    history = resumed.fit(_batches(x, y), (xv, yv), resume=True)
    assert list(history['epoch']) == [1, 2, 3, 4]
    assert history['val_loss'][0] == first.history[0]['val_loss']


def test_class_weights_change_the_loss():
    assert np.allclose(balanced_class_weights([10, 30]), [2.0, 2 / 3])
    with pytest.raises(ValueError, match='at least one example'):
        balanced_class_weights([10, 0])
    trainer = Trainer(torch.nn.Linear(4, 2), n_classes=2, class_weights=[1.0, 3.0],
                      device='cpu', progress=False)
    assert torch.equal(trainer.loss_fn.weight, torch.tensor([1.0, 3.0]))


def test_nan_loss_raises():
    x, y = _data(64)
    x[0, 0] = float('nan')
    trainer = Trainer(torch.nn.Linear(4, 2), n_classes=2, device='cpu', progress=False)
    with pytest.raises(FloatingPointError, match='check the inputs for NaN'):
        trainer.fit([(x, y)], (x, y))


@pytest.mark.parametrize(('kwargs', 'error', 'match'), [
    ({'n_classes': 1}, ValueError, 'n_classes'),
    ({'lr': 0}, ValueError, 'lr'),
    ({'lr': 'fast'}, TypeError, 'lr'),
    ({'schedule': 'step'}, ValueError, 'schedule'),
    ({'class_weights': [1.0]}, ValueError, 'class_weights'),
    ({'max_epochs': 0}, ValueError, 'max_epochs'),
    ({'logit_shift': [0.0, 1.0, 2.0], 'logit_shift_weight': 1}, ValueError, 'logit_shift must'),
    ({'logit_shift': [0.0, np.inf], 'logit_shift_weight': 1}, ValueError, 'logit_shift must'),
    ({'logit_shift_weight': 1}, ValueError, 'needs a logit_shift'),
    ({'logit_shift': [0.0, 1.0], 'logit_shift_weight': -1}, ValueError, 'logit_shift_weight'),
    ({'loss': torch.nn.functional.mse_loss, 'logit_shift': [0.0, 1.0],
      'logit_shift_weight': 1}, ValueError, 'cross-entropy loss only'),
])
def test_bad_options(kwargs, error, match):
    options = {'n_classes': 2, 'device': 'cpu', 'progress': False, **kwargs}
    with pytest.raises(error, match=match):
        Trainer(torch.nn.Linear(4, 2), **options)
    with pytest.raises(TypeError, match=r'torch\.nn\.Module'):
        Trainer('model', n_classes=2)


def test_resume_needs_a_directory():
    trainer = Trainer(torch.nn.Linear(4, 2), n_classes=2, device='cpu', progress=False)
    with pytest.raises(ValueError, match='checkpoint_dir'):
        trainer.fit([], (torch.zeros(1, 4), torch.zeros(1, dtype=torch.long)), resume=True)


def test_regression_with_a_custom_loss():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(256, 3, generator=gen)
    y = torch.stack([x[:, 0] * 0.5, x[:, 1] - x[:, 2]], dim=1)
    model = torch.nn.Linear(3, 2)
    groups = [{'params': [model.weight], 'lr': 0.05}, {'params': [model.bias], 'lr': 0.01}]
    trainer = Trainer(model, loss=torch.nn.functional.mse_loss, parameters=groups,
                      max_epochs=30, device='cpu', progress=False)
    history = trainer.fit(_batches(x, y), (x, y))
    assert 'val_rmse' in history.colnames and 'val_accuracy' not in history.colnames
    assert history['val_rmse'][-1] < 0.05
    with pytest.raises(ValueError, match='class_weights apply'):
        Trainer(model, loss=torch.nn.functional.mse_loss, class_weights=[1, 1])
    with pytest.raises(TypeError, match='callable'):
        Trainer(model, loss='mse')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fit_on_cuda():
    torch.manual_seed(0)
    x = torch.randn(256, 2)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Linear(2, 2)
    trainer = Trainer(model, n_classes=2, lr=0.05, max_epochs=40, device='cuda',
                      progress=False, class_weights=[1.0, 2.0])
    history = trainer.fit([(x, y)], (x, y))
    assert next(model.parameters()).device.type == 'cuda'
    assert history['val_accuracy'][-1] > 0.9
    logits, labels = trainer.predict_logits((x, y))
    assert logits.device.type == 'cpu' and labels.tolist() == y.tolist()


class _SlowBatches:
    """One batch per epoch that takes ``seconds`` to deliver."""

    def __init__(self, x, y, seconds):
        self.x, self.y, self.seconds = x, y, seconds

    def __len__(self):
        return 1

    def __iter__(self):
        time.sleep(self.seconds)
        yield self.x, self.y


def test_time_budget_fits_the_epochs_and_the_cosine_schedule():
    torch.manual_seed(0)
    x = torch.randn(64, 2)
    y = (x[:, 0] > 0).long()
    trainer = Trainer(torch.nn.Linear(2, 2), n_classes=2, lr=0.1, max_epochs=100,
                      patience=100, schedule='cosine', device='cpu', progress=False,
                      time_budget=1.0)
    start = time.perf_counter()
    history = trainer.fit(_SlowBatches(x, y, 0.1), (x, y))
    assert time.perf_counter() - start < 1.5
    assert history.meta['stopped_by'] in ('time_budget', 'max_epochs')
    assert 3 <= len(history) <= 10
    # the cosine schedule was shortened to end inside the budget: the last
    # epoch ran at a small fraction of the initial rate
    assert trainer.max_epochs == len(history)
    assert history['lr'][-1] < 0.25 * history['lr'][0]
    unlimited = Trainer(torch.nn.Linear(2, 2), n_classes=2, max_epochs=2, device='cpu',
                        progress=False)
    assert unlimited.fit([(x, y)], (x, y)).meta['stopped_by'] == 'max_epochs'
    with pytest.raises(ValueError, match='time_budget must be a finite positive number'):
        Trainer(torch.nn.Linear(2, 2), n_classes=2, time_budget=0)


def test_logit_shift_gives_margins_that_survive_the_shift():
    # separable classes: the plain cross-entropy leaves the margin where training stops
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1024, 2, generator=gen)
    x[:, 0] += torch.where(torch.arange(1024) % 2 == 0, -3.0, 3.0)
    y = (torch.arange(1024) % 2).long()
    shift = [0.0, -8.0]        # class 1 is 3e-4 as common where the outputs are used

    def decisions(weight):
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 2)
        trainer = Trainer(model, n_classes=2, lr=1e-2, max_epochs=20, patience=20,
                          device='cpu', progress=False, logit_shift=shift,
                          logit_shift_weight=weight)
        trainer.fit(_batches(x, y), (x, y))
        with torch.no_grad():
            shifted = model(x) + torch.tensor(shift)
        return float((shifted.argmax(1) == y)[y == 1].float().mean())

    plain, shifted = decisions(0.0), decisions(1.0)
    assert plain < 0.5
    assert shifted > 0.85 and shifted > plain + 0.4
