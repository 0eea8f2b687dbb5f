# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Train and evaluate Galaxy Zoo 2 morphology networks."""

import math

import numpy as np
import torch
from astropy.table import QTable
from sklearn.model_selection import train_test_split
from torch import nn

from astro_galclass.morphology.classifier import MorphologyClassifier
from astro_galclass.morphology.layers import TreeOutput
from astro_galclass.morphology.losses import (
    dirichlet_multinomial_nll,
    kaggle_rmse,
    tree_constraint_penalty,
)
from astro_galclass.morphology.models import ParallelCNN
from astro_galclass.morphology.tree import GZ2_TREE
from astro_galclass.training.trainer import Trainer

__all__ = ['RotationFlipAugmentation', 'evaluate_morphology', 'train_morphology']


class RotationFlipAugmentation:
    """
    Random rotation by any angle and random flip of RGB images (galaxies have
    no preferred orientation; the seed project rotated by 25 degrees at most
    and never flipped). Bilinear resampling, black outside the image.
    """

    def __call__(self, x, *, generator=None):
        n = len(x)
        angle = torch.rand(n, generator=generator) * 2 * math.pi
        flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = cos * flip
        theta[:, 0, 1] = -sin
        theta[:, 1, 0] = sin * flip
        theta[:, 1, 1] = cos
        grid = nn.functional.affine_grid(theta.to(x.device, x.dtype), list(x.shape),
                                         align_corners=False)
        return nn.functional.grid_sample(x, grid, mode='bilinear', padding_mode='zeros',
                                         align_corners=False)


class _Batches:
    def __init__(self, images, targets, *, batch_size, augment, seed, input_size,
                 device='cpu'):
        self.images, self.targets = images, targets
        self.device = torch.device(device)      # where augmentation and resizing run
        self.batch_size = batch_size
        self.augment = RotationFlipAugmentation() if augment else None
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.input_size = input_size

    def __len__(self):
        return -(-len(self.targets) // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(len(self.targets)) if self.augment else \
            np.arange(len(self.targets))
        for start in range(0, len(order), self.batch_size):
            rows = np.sort(order[start:start + self.batch_size])
            x = torch.from_numpy(self.images[rows]).to(self.device, non_blocking=True)
            if self.augment is not None:
                x = self.augment(x, generator=self.generator)
            if x.shape[-1] != self.input_size:
                x = nn.functional.interpolate(x, size=(self.input_size,) * 2,
                                              mode='bilinear', align_corners=False)
            yield x, torch.from_numpy(self.targets[rows])


class _Logits(nn.Module):
    """Train on the raw outputs (for the Dirichlet-multinomial loss)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.logits(x)


def train_morphology(images, targets, *, counts=None, model=None, loss='rmse', lam=0.0,
                     val_fraction=0.2, batch_size=64, lr=1e-3, backbone_factor=0.1,
                     weight_decay=0.0, schedule='plateau', max_epochs=30, patience=5,
                     device='auto', seed=0,
                     checkpoint_dir=None, progress=True, name=None):
    """
    Train a morphology network on images with Galaxy Zoo labels.

    Parameters
    ----------
    images : `~numpy.ndarray`
        ``(N, 3, 64, 64)`` float32 RGB in [0, 1] (from the readers of
        `astro_galclass.morphology` or the simulator). Images are resized to
        the network's input size (224 for torchvision backbones) on the fly.
    targets : array-like or `~astropy.table.Table`
        ``(N, 37)`` Kaggle cumulative fractions, or a table with the
        ``Class1.1`` ... columns.
    counts : array-like, optional
        ``(N, 37)`` vote counts, required for ``loss='dirichlet'``.
    model : `torch.nn.Module`, optional
        Default `~astro_galclass.morphology.ParallelCNN`.
    loss : {'rmse', 'dirichlet'}, optional
        RMSE over the 37 targets (the Kaggle metric), plus ``lam`` times the
        tree penalty (`~astro_galclass.morphology.tree_constraint_penalty`;
        zero for the tree output layer, useful with ``head='sigmoid'``); or
        the Dirichlet-multinomial likelihood of the vote counts.
    lam : float, optional
    val_fraction : float, optional
        Held out for early stopping (random split with ``seed``).
    lr : float, optional
        Adam learning rate (1e-3 as in the seed project); a torchvision
        backbone trains at ``lr * backbone_factor``.
    weight_decay, schedule, batch_size, max_epochs, patience, device, seed, \
checkpoint_dir, progress, name : optional
        See `~astro_galclass.training.Trainer`.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
    history : `~astropy.table.QTable`
    """
    torch.manual_seed(int(seed))
    images = np.ascontiguousarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] != 3:
        msg = f'images must be (N, 3, H, W) RGB in [0, 1], got shape {images.shape}'
        raise ValueError(msg)
    if hasattr(targets, 'colnames'):
        targets = GZ2_TREE.from_kaggle_table(targets)
    targets = np.asarray(targets, np.float32)
    if targets.shape != (len(images), 37):
        msg = f'targets must be (N, 37) Kaggle fractions for N = {len(images)}, got {targets.shape}'
        raise ValueError(msg)
    if loss not in ('rmse', 'dirichlet'):
        msg = f"loss must be 'rmse' or 'dirichlet', got {loss!r}"
        raise ValueError(msg)
    model = ParallelCNN() if model is None else model
    clf = MorphologyClassifier(model, device=device, batch_size=batch_size, name=name)
    if loss == 'dirichlet':
        if counts is None:
            msg = "loss='dirichlet' needs the vote counts (counts=)"
            raise ValueError(msg)
        labels = np.asarray(counts, np.float32)
        if labels.shape != targets.shape:
            msg = f'counts must be (N, 37), got {labels.shape}'
            raise ValueError(msg)
        tree_out = TreeOutput()
        train_net = _Logits(model)

        def loss_fn(out, y):
            return dirichlet_multinomial_nll(out, y)

        def metric_fn(out, y):
            fractions = GZ2_TREE.to_kaggle(GZ2_TREE.counts_to_fractions(y.numpy()))
            return kaggle_rmse(tree_out(out), torch.from_numpy(fractions).float())
    else:
        labels = targets
        train_net = model

        def loss_fn(out, y):
            value = kaggle_rmse(out, y)
            return value + lam * tree_constraint_penalty(out) if lam else value

        metric_fn = kaggle_rmse
    idx_train, idx_val = train_test_split(np.arange(len(images)), test_size=val_fraction,
                                          random_state=int(seed))
    common = {'batch_size': batch_size, 'input_size': clf.input_size, 'device': clf.device}
    train = _Batches(images[idx_train], labels[idx_train], augment=True, seed=seed, **common)
    val = _Batches(images[idx_val], labels[idx_val], augment=False, seed=seed, **common)
    groups = (model.parameter_groups(lr, backbone_factor=backbone_factor)
              if hasattr(model, 'parameter_groups') else None)
    trainer = Trainer(train_net, loss=loss_fn, metric=metric_fn, parameters=groups, lr=lr,
                      weight_decay=weight_decay, schedule=schedule, max_epochs=max_epochs,
                      patience=patience,
                      device=clf.device, seed=seed, checkpoint_dir=checkpoint_dir,
                      progress=progress)
    history = trainer.fit(train, val)
    clf.model_changed()
    clf.metadata['training'] = f'{len(idx_train)} images, loss {loss}, lambda {lam}'
    clf.metadata['recipe'] = {
        'function': 'astro_galclass.training.train_morphology', 'loss': loss, 'lam': lam,
        'n_train': len(idx_train), 'n_val': len(idx_val), 'lr': lr,
        'backbone_factor': backbone_factor, 'batch_size': batch_size, 'schedule': schedule,
        'max_epochs': max_epochs, 'patience': patience, 'seed': int(seed),
        'augmentation': 'rotation by any angle, flips',
        'best_epoch': int(history['epoch'][history['best']][0]) if len(history) else None}
    return clf, history


def evaluate_morphology(classifier, images, truth):
    """
    RMSE against Galaxy Zoo labels, overall and per question, and tree checks.

    Parameters
    ----------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
    images : array-like
        Anything `~astro_galclass.morphology.MorphologyClassifier.prepare`
        accepts.
    truth : `~astropy.table.Table`
        ``Class1.1`` ... columns; optionally ``smooth_truth`` (1 smooth, 0
        featured, -1 ambiguous), as the simulator writes.

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per question (``question``, ``rmse``) and a row ``all``;
        ``meta`` holds the largest tree-identity residual; with
        ``smooth_truth``, the smooth-versus-featured accuracy on unambiguous
        galaxies; with the simulator's ``expected_Class...`` columns (the
        infinite-volunteer fractions), ``rmse_vs_expected`` (the predictions
        against them) and ``vote_noise_rmse`` (the finite-volunteer labels
        against them: the part of the RMSE no model can remove).
    """
    predicted = classifier.predict_kaggle(images)
    target = GZ2_TREE.from_kaggle_table(truth)
    rows = [('all', float(np.sqrt(np.mean((predicted - target) ** 2))))]
    for q in GZ2_TREE.questions:
        s = GZ2_TREE.slice(q.number)
        rows.append((q.task, float(np.sqrt(np.mean((predicted[:, s] - target[:, s]) ** 2)))))
    table = QTable(rows=rows, names=('question', 'rmse'))
    table['rmse'].format = '.4f'
    table.meta['max_tree_residual'] = float(GZ2_TREE.identity_residuals(predicted).max())
    table.meta['n'] = len(target)
    expected_names = [f'expected_{c}' for c in GZ2_TREE.kaggle_columns]
    if all(name in truth.colnames for name in expected_names):
        expected = np.stack([np.asarray(truth[n], float) for n in expected_names], axis=1)
        table.meta['rmse_vs_expected'] = float(np.sqrt(np.mean((predicted - expected) ** 2)))
        table.meta['vote_noise_rmse'] = float(np.sqrt(np.mean((target - expected) ** 2)))
    if 'smooth_truth' in truth.colnames:
        st = np.asarray(truth['smooth_truth'])
        clear = st >= 0
        pred_smooth = predicted[:, 0] > predicted[:, 1]
        table.meta['smooth_featured_accuracy'] = (
            float(np.mean(pred_smooth[clear] == (st[clear] == 1))) if clear.any() else np.nan)
        table.meta['n_unambiguous'] = int(clear.sum())
    return table
