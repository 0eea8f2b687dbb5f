# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""A training loop for the package's networks."""

import copy
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from astropy.table import QTable
from torch import nn

from astro_galclass.utils._device import resolve_device
from astro_galclass.utils._validation import check_positive_float as _check_positive_float
from astro_galclass.utils._validation import check_positive_int as _check_positive_int

__all__ = ['Trainer']

_SCHEDULES = ('plateau', 'cosine', 'constant')


def balanced_class_weights(counts):
    """
    Weights ``N / (n_classes * N_c)`` that make every class count equally.

    The same rule as scikit-learn's ``class_weight='balanced'``.

    Parameters
    ----------
    counts : array-like
        ``(n_classes,)`` number of examples of each class (expected numbers
        may be fractional); every count must be positive.
    """
    counts = np.asarray(counts, float)
    if counts.ndim != 1 or np.any(counts <= 0):
        msg = f'every class needs at least one example, got counts {counts}'
        raise ValueError(msg)
    return counts.sum() / (len(counts) * counts)


class Trainer:
    """
    Train a classification network: Adam, weighted cross-entropy, early stopping.

    The loop is the same for every network of the package: Adam with the
    seed project's learning rate (5e-4), class-weighted cross-entropy, a
    learning-rate schedule, evaluation on a validation set after each epoch,
    early stopping that restores the weights of the best epoch, optional
    checkpoints to resume from, and a tqdm progress bar. Randomness
    (initialisation, dropout, order) is fixed by ``seed``.

    Parameters
    ----------
    model : `torch.nn.Module`
        Network returning logits ``(B, n_classes)`` (or, with ``loss``, any
        outputs); trained in place.
    n_classes : int
        Number of classes (classification, the default loss).
    loss : callable, optional
        ``loss(outputs, targets) -> scalar tensor`` for other tasks (e.g.
        `~astro_galclass.morphology.kaggle_rmse` for vote fractions); the
        history then records ``val_rmse`` of the outputs instead of
        ``val_accuracy``. Default: class-weighted cross-entropy.
    metric : callable, optional
        ``metric(outputs, targets) -> float`` recorded as ``val_rmse`` with a
        custom ``loss`` (default: the RMSE of outputs against targets).
    parameters : iterable, optional
        Parameters or optimiser parameter groups (e.g. a lower learning rate
        for a pretrained backbone); default all of ``model``'s.
    lr : float, optional
        Adam learning rate.
    weight_decay : float, optional
        Adam (L2) weight decay.
    class_weights : array-like or None, optional
        Per-class weights of the cross-entropy (e.g. from
        ``balanced_class_weights``); None weighs every example equally.
    schedule : {'plateau', 'cosine', 'constant'}, optional
        ``'plateau'`` halves the learning rate when the validation loss has
        not improved for ``schedule_patience`` epochs; ``'cosine'`` decays it
        to 1% over ``max_epochs``.
    schedule_patience : int, optional
    max_epochs : int, optional
    patience : int, optional
        Stop when the validation loss has not improved for this many epochs.
    device : str or `torch.device`, optional
        ``'auto'`` (CUDA when available), ``'cpu'`` or ``'cuda[:N]'``.
    seed : int, optional
    checkpoint_dir : path-like or None, optional
        Where ``last.pt`` (everything needed to resume) is written after each
        epoch.
    progress : bool, optional
        Show a tqdm progress bar.
    time_budget : float or None, optional
        Wall-clock seconds for `fit`, for runs on a lent machine that must
        end saved. After each epoch the trainer measures the mean epoch time
        and lowers ``max_epochs`` to what still fits (a cosine schedule is
        shortened to end at the new ``max_epochs``); it stops when no further
        epoch fits. ``history.meta['stopped_by']`` says what ended the run.
    logit_shift : array-like or None, optional
        ``(n_classes,)`` log ratios ``log(target_mix / training_mix)`` of a
        class mix the outputs will be shifted to (e.g. a deep field's, where
        brown dwarfs are 5e-5 of the sources). With ``logit_shift_weight``
        > 0 the training loss adds that weight times the (class-weighted)
        cross-entropy of ``logits + logit_shift``: the decisions at that mix.
        Where classes are separable the cross-entropy alone leaves the
        logit margins undetermined, and a prior shift of several nats then
        moves the decision into a class (see
        `~astro_galclass.training.recipes.highz_head.retrain_highz_head`); this term asks for
        margins that survive the shift. The validation loss (early
        stopping) stays the plain cross-entropy. Classification only.
    logit_shift_weight : float, optional
        Weight of that term (default 0: off).
    precision : {'fp32', 'bf16'}, optional
        ``'bf16'``: the training forward passes under bfloat16 autocast, the
        loss, weights and optimiser in float32 (see
        `~astro_galclass.training.RunOptions`). Validation runs in float32.

    Notes
    -----
    Before each epoch `fit` calls ``train.set_epoch(epoch)`` when the
    batch stream has it (the package's streams do), so that an epoch's
    batches depend on the seeds and the epoch only and a resumed run
    repeats an uninterrupted one.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.training import Trainer
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(256, 2)
    >>> y = (x[:, 0] > 0).long()
    >>> model = torch.nn.Linear(2, 2)
    >>> trainer = Trainer(model, n_classes=2, lr=0.05, max_epochs=10,
    ...                   device='cpu', progress=False)
    >>> history = trainer.fit([(x, y)], (x, y))
    >>> bool(history['val_accuracy'][-1] > 0.9)
    True
    """

    def __init__(self, model, *, n_classes=None, loss=None, metric=None, parameters=None,
                 lr=5e-4, weight_decay=0.0, class_weights=None, schedule='plateau',
                 schedule_patience=2, max_epochs=30, patience=5, device='auto', seed=0,
                 checkpoint_dir=None, progress=True, time_budget=None, logit_shift=None,
                 logit_shift_weight=0.0, precision='fp32'):
        if not isinstance(model, nn.Module):
            msg = f'model must be a torch.nn.Module, got {type(model).__name__}'
            raise TypeError(msg)
        if loss is None:
            # classification: n_classes logits, class-weighted cross-entropy
            self.n_classes = _check_positive_int('n_classes', n_classes, 2)
        elif not callable(loss):
            msg = f'loss must be callable(outputs, targets) or None, got {type(loss).__name__}'
            raise TypeError(msg)
        elif class_weights is not None:
            msg = ('class_weights apply to the default cross-entropy loss only; '
                   'got both a custom loss and class_weights')
            raise ValueError(msg)
        else:
            self.n_classes = n_classes
        self.task = 'classification' if loss is None else 'regression'
        self.metric_fn = metric
        self._metric = 'val_accuracy' if loss is None else 'val_rmse'
        self.lr = _check_positive_float('lr', lr)
        if float(weight_decay) < 0:
            msg = f'weight_decay must be >= 0, got {weight_decay}'
            raise ValueError(msg)
        if schedule not in _SCHEDULES:
            msg = f'schedule must be one of {_SCHEDULES}, got {schedule!r}'
            raise ValueError(msg)
        self.max_epochs = _check_positive_int('max_epochs', max_epochs)
        self.time_budget = (None if time_budget is None
                            else _check_positive_float('time_budget', time_budget))
        self.stopped_by = None
        if precision not in ('fp32', 'bf16'):
            msg = f"precision must be 'fp32' or 'bf16', got {precision!r}"
            raise ValueError(msg)
        self.precision = precision
        self.patience = _check_positive_int('patience', patience)
        self.schedule = schedule
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.progress = bool(progress)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        if class_weights is not None:
            class_weights = np.asarray(class_weights, float)
            if class_weights.shape != (self.n_classes,) or np.any(class_weights <= 0):
                msg = (f'class_weights must be {self.n_classes} positive numbers, '
                       f'got {class_weights}')
                raise ValueError(msg)
            class_weights = torch.as_tensor(class_weights, dtype=torch.float32)
        self.class_weights = class_weights
        self.logit_shift, self.logit_shift_weight = self._check_shift(logit_shift,
                                                                      logit_shift_weight)

        torch.manual_seed(self.seed)
        # channels-last convolutions are faster on CPUs (oneDNN)
        self._memory_format = (torch.channels_last if self.device.type == 'cpu'
                               else torch.contiguous_format)
        self.model = model.to(self.device, memory_format=self._memory_format)
        params = model.parameters() if parameters is None else parameters
        self.optimizer = torch.optim.Adam(params, lr=self.lr, weight_decay=float(weight_decay))
        if schedule == 'plateau':
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, factor=0.5, patience=int(schedule_patience))
        elif schedule == 'cosine':
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                self.optimizer, T_max=self.max_epochs, eta_min=self.lr / 100)
        else:
            self.scheduler = None
        weight = None if class_weights is None else class_weights.to(self.device)
        self.loss_fn = nn.CrossEntropyLoss(weight=weight) if loss is None else loss
        self.history = []
        self.best_state = None
        self.best_epoch = None
        self.best_loss = math.inf
        self._epoch = 0

    def _check_shift(self, shift, weight):
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.floating)) or not (
                np.isfinite(weight) and weight >= 0):
            msg = f'logit_shift_weight must be a number >= 0, got {weight!r}'
            raise ValueError(msg)
        if shift is None or weight == 0:
            if weight and shift is None:
                msg = (f'logit_shift_weight={weight} needs a logit_shift (one log ratio of '
                       'the target to the training class mix per class), got None')
                raise ValueError(msg)
            return None, 0.0
        if self.task != 'classification':
            msg = ('logit_shift applies to the default cross-entropy loss only; got a custom '
                   'loss (leave loss=None, or logit_shift=None)')
            raise ValueError(msg)
        shift = np.asarray(shift, float)
        if shift.shape != (self.n_classes,) or not np.all(np.isfinite(shift)):
            msg = f'logit_shift must be {self.n_classes} finite numbers, got {shift}'
            raise ValueError(msg)
        return torch.as_tensor(shift, dtype=torch.float32), float(weight)

    def _loss(self, outputs, targets):
        loss = self.loss_fn(outputs, targets)
        if self.logit_shift is not None:
            shift = self.logit_shift.to(outputs.device, outputs.dtype)
            loss = loss + self.logit_shift_weight * self.loss_fn(outputs + shift, targets)
        return loss

    def _to_device(self, x, y):
        x = x.to(self.device, torch.float32, non_blocking=True)
        if x.ndim == 4:
            x = x.contiguous(memory_format=self._memory_format)
        return x, y.to(self.device, non_blocking=True)

    def predict_logits(self, batches):
        """
        Logits and labels of all batches ``(x, y)``, in evaluation mode.

        Parameters
        ----------
        batches : (x, y) or iterable of (x, y)
            One pair of tensors, or batches of them (e.g.
            `~astro_galclass.training.ArrayBatches`); ``x`` is the network
            input and ``y`` the labels.

        Returns
        -------
        logits, labels : `torch.Tensor`
            The model outputs and the labels of all batches, concatenated,
            on the CPU.
        """
        if isinstance(batches, tuple) and len(batches) == 2 and torch.is_tensor(batches[0]):
            batches = [batches]
        self.model.eval()
        logits, labels = [], []
        with torch.inference_mode():
            for x, y in batches:
                x, y = self._to_device(x, y)
                logits.append(self.model(x).float().cpu())
                labels.append(y.cpu())
        return torch.cat(logits), torch.cat(labels)

    def _validate(self, val):
        outputs, targets = self.predict_logits(val)
        if self.task == 'classification':
            loss = nn.functional.cross_entropy(outputs, targets,
                                               weight=self.class_weights).item()
            metric = (outputs.argmax(1) == targets).float().mean().item()
        else:
            targets = targets.to(outputs.dtype)
            loss = float(self.loss_fn(outputs, targets))
            metric = (float(self.metric_fn(outputs, targets)) if self.metric_fn is not None
                      else torch.sqrt(torch.mean((outputs - targets) ** 2)).item())
        return loss, metric

    def fit(self, train, val, *, resume=False):
        """
        Train until early stopping or ``max_epochs``; restore the best weights.

        Parameters
        ----------
        train : iterable of (x, y)
            Re-iterable; one pass is one epoch (e.g.
            `~astro_galclass.training.SimulatedBatches`).
        val : (x, y) or iterable of (x, y)
            Validation data (not augmented).
        resume : bool, optional
            Continue from ``checkpoint_dir / 'last.pt'`` when it exists.

        Returns
        -------
        history : `~astropy.table.QTable`
            One row per epoch: ``epoch``, ``lr``, ``train_loss``,
            ``val_loss``, ``val_accuracy`` (or ``val_rmse``), ``seconds``;
            ``best`` marks the epoch whose weights were kept.
        """
        from tqdm.auto import tqdm

        if resume:
            self._load_checkpoint()
        stale = 0 if self.best_epoch is None else self._epoch - self.best_epoch
        fit_start, first_epoch = time.perf_counter(), self._epoch
        self.stopped_by = None
        while self._epoch < self.max_epochs and stale < self.patience:
            epoch = self._epoch + 1
            start = time.perf_counter()
            self.model.train()
            if hasattr(train, 'set_epoch'):
                # batches seeded by the epoch: a resumed run sees the same ones
                train.set_epoch(epoch)
            total, count = 0.0, 0
            n_batches = len(train) if hasattr(train, '__len__') else None
            bar = tqdm(train, total=n_batches, desc=f'epoch {epoch}/{self.max_epochs}',
                       disable=not self.progress, leave=False, unit='batch')
            for x, y in bar:
                x, y = self._to_device(x, y)
                with torch.autocast(self.device.type, dtype=torch.bfloat16,
                                    enabled=self.precision == 'bf16'):
                    outputs = self.model(x)
                loss = self._loss(outputs.float(), y)
                if not torch.isfinite(loss):
                    msg = (f'the training loss became {loss.item()} in epoch {epoch}; '
                           'lower the learning rate or check the inputs for NaN')
                    raise FloatingPointError(msg)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                total += loss.item() * len(y)
                count += len(y)
                bar.set_postfix(loss=f'{total / count:.4f}')
            bar.close()
            val_loss, val_acc = self._validate(val)
            lr = self.optimizer.param_groups[0]['lr']
            if self.scheduler is not None:
                if self.schedule == 'plateau':
                    self.scheduler.step(val_loss)
                else:
                    self.scheduler.step()
            improved = val_loss < self.best_loss
            if improved:
                self.best_loss, self.best_epoch = val_loss, epoch
                self.best_state = copy.deepcopy(
                    {k: v.detach().cpu() for k, v in self.model.state_dict().items()})
            stale = epoch - self.best_epoch
            self.history.append({'epoch': epoch, 'lr': lr,
                                 'train_loss': total / max(count, 1),
                                 'val_loss': val_loss, self._metric: val_acc,
                                 'seconds': time.perf_counter() - start})
            self._epoch = epoch
            if self.progress:
                tqdm.write(f'epoch {epoch}: train loss {total / max(count, 1):.4f}, '
                           f'val loss {val_loss:.4f}, {self._metric} {val_acc:.4f}'
                           f'{" (best)" if improved else ""}')
            self._save_checkpoint()
            if self.time_budget is not None and not self._fit_budget(fit_start, first_epoch):
                self.stopped_by = 'time_budget'
                break
        if self.stopped_by is None:
            self.stopped_by = 'patience' if stale >= self.patience else 'max_epochs'
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.model.to(memory_format=torch.contiguous_format).eval()
        return self.history_table()

    def _fit_budget(self, fit_start, first_epoch):
        """Lower ``max_epochs`` to what the time budget allows; False when nothing fits."""
        elapsed = time.perf_counter() - fit_start
        per_epoch = elapsed / (self._epoch - first_epoch)
        more = int((self.time_budget - elapsed) // per_epoch)
        if more <= 0:
            return False
        if self._epoch + more < self.max_epochs:
            self.max_epochs = self._epoch + more
            if self.schedule == 'cosine':
                self.scheduler.T_max = self.max_epochs
        return True

    def history_table(self):
        """
        The training history as a `~astropy.table.QTable`.

        Returns
        -------
        history : `~astropy.table.QTable`
            One row per epoch (see `fit`); ``meta['stopped_by']`` is
            ``'max_epochs'``, ``'patience'`` or ``'time_budget'``.
        """
        names = ('epoch', 'lr', 'train_loss', 'val_loss', self._metric, 'seconds')
        table = QTable(rows=[[h[k] for k in names] for h in self.history], names=names,
                       dtype=(int, float, float, float, float, float))
        table['best'] = table['epoch'] == (self.best_epoch or -1)
        table.meta['stopped_by'] = self.stopped_by
        return table

    # -- checkpoints ------------------------------------------------------------

    def _save_checkpoint(self):
        if self.checkpoint_dir is None:
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        state = {
            'epoch': self._epoch,
            'model': self.model.state_dict(),
            'optimizer': self.optimizer.state_dict(),
            'scheduler': None if self.scheduler is None else self.scheduler.state_dict(),
            'best_state': self.best_state,
            'best_epoch': self.best_epoch,
            'best_loss': self.best_loss,
            'history': [[h[k] for k in sorted(h)] for h in self.history],
            'history_keys': sorted(self.history[0]) if self.history else [],
            'rng': torch.get_rng_state(),
        }
        tmp = self.checkpoint_dir / 'last.pt.tmp'
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_dir / 'last.pt')

    def _load_checkpoint(self):
        if self.checkpoint_dir is None:
            msg = 'resume=True needs a checkpoint_dir'
            raise ValueError(msg)
        path = self.checkpoint_dir / 'last.pt'
        if not path.exists():
            return
        state = torch.load(path, map_location='cpu', weights_only=True)
        self.model.load_state_dict(state['model'])
        self.optimizer.load_state_dict(state['optimizer'])
        if self.scheduler is not None and state['scheduler'] is not None:
            self.scheduler.load_state_dict(state['scheduler'])
        self.best_state = state['best_state']
        self.best_epoch = state['best_epoch']
        self.best_loss = state['best_loss']
        keys = state['history_keys']
        self.history = [dict(zip(keys, row, strict=True)) for row in state['history']]
        self._epoch = int(state['epoch'])
        torch.set_rng_state(state['rng'])
