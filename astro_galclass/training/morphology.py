# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Train Galaxy Zoo 2 morphology networks on your labelled images. (The recipes
of the shipped model are in `astro_galclass.training.recipes.morphology`;
fine-tuning a trained classifier is
`~astro_galclass.training.fine_tune_morphology`; evaluation is in
`astro_galclass.training.evaluate`.)
"""

import numpy as np
import torch
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
from astro_galclass.training._records import fit_record
from astro_galclass.training.augment import RotationFlipAugmentation
from astro_galclass.training.options import RunOptions
from astro_galclass.training.trainer import Trainer

__all__ = ['train_morphology']


class _ImageBatches:
    """Batches of images and targets, rotated and flipped when ``augment``."""

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
                     validation=0.2, batch_size=64, lr=1e-3, backbone_factor=0.1,
                     weight_decay=0.0, schedule='plateau', max_epochs=30, patience=5,
                     name=None, framing=None, run=None):
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
        Weight of the tree penalty (default 0).
    validation : float or (images, targets), optional
        Fraction held out for early stopping (random split with
        ``run.seed``; default 0.2), or a separate validation set (same
        forms as ``images`` and ``targets``; ``loss='rmse'`` only).
    batch_size : int, optional
        Images per training batch (default 64), also the ``batch_size`` of
        the returned classifier.
    lr : float, optional
        Adam learning rate (1e-3 as in the seed project); a torchvision
        backbone trains at ``lr * backbone_factor``.
    backbone_factor : float, optional
        Learning-rate factor of the pretrained backbone of a model with
        ``parameter_groups`` (`~astro_galclass.morphology.TorchvisionBackbone`;
        default 0.1); ignored for other models.
    weight_decay, schedule, max_epochs, patience : optional
        See `~astro_galclass.training.Trainer`.
    name : str, optional
        Model name recorded in outputs and the weights file.
    framing : dict, optional
        The framing of the images (``metadata['framing']`` of the result);
        by default measured on up to 200 training images
        (`~astro_galclass.morphology.framing.training_framing`).
    run : `~astro_galclass.training.RunOptions`, optional
        Device, seed (also of the split and the augmentation), progress
        bars, checkpoints and time budget.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The trained classifier.
    history : `~astropy.table.QTable`
        Losses and RMSE per epoch.
    """
    run = RunOptions.check(run)
    seed = run.seed
    torch.manual_seed(seed)
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
    clf = MorphologyClassifier(model, device=run.device, batch_size=batch_size, name=name)
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
    common = {'batch_size': batch_size, 'input_size': clf.input_size, 'device': clf.device}
    if not isinstance(validation, tuple):
        if isinstance(validation, bool) or not isinstance(validation, (int, float)) or not (
                0 < validation < 1):
            msg = ('validation must be a fraction between 0 and 1 or an (images, targets) '
                   f'pair, got {validation!r}')
            raise ValueError(msg)
        idx_train, idx_val = train_test_split(np.arange(len(images)), test_size=validation,
                                              random_state=seed)
        train_x, train_y = images[idx_train], labels[idx_train]
        val_x, val_y = images[idx_val], labels[idx_val]
    else:
        if loss != 'rmse':
            msg = "a separate validation set needs loss='rmse'"
            raise ValueError(msg)
        if len(validation) != 2:
            msg = f'validation must be an (images, targets) pair, got {len(validation)} items'
            raise ValueError(msg)
        val_images, val_targets = validation
        val_x = np.ascontiguousarray(val_images, dtype=np.float32)
        if hasattr(val_targets, 'colnames'):
            val_targets = GZ2_TREE.from_kaggle_table(val_targets)
        val_y = np.asarray(val_targets, np.float32)
        if val_x.ndim != 4 or val_x.shape[1] != 3 or val_y.shape != (len(val_x), 37):
            msg = (f'validation images must be (N, 3, H, W) and targets (N, 37), got '
                   f'{val_x.shape} and {val_y.shape}')
            raise ValueError(msg)
        train_x, train_y = images, labels
    idx_train, idx_val = np.arange(len(train_x)), np.arange(len(val_x))
    train = _ImageBatches(train_x, train_y, augment=True, seed=seed, **common)
    val = _ImageBatches(val_x, val_y, augment=False, seed=seed, **common)
    groups = (model.parameter_groups(lr, backbone_factor=backbone_factor)
              if hasattr(model, 'parameter_groups') else None)
    trainer = Trainer(train_net, loss=loss_fn, metric=metric_fn, parameters=groups, lr=lr,
                      weight_decay=weight_decay, schedule=schedule, max_epochs=max_epochs,
                      patience=patience,
                      device=clf.device, **run.trainer_options())
    history = trainer.fit(train, val)
    clf.model_changed()
    clf.metadata['training'] = f'{len(idx_train)} images, loss {loss}, lambda {lam}'
    if framing is None:
        _record_framing(clf, train_x)
    else:
        clf.metadata['framing'] = dict(framing)
    clf.metadata['recipe'] = fit_record(
        'astro_galclass.training.train_morphology', history, loss=loss, lam=lam,
        n_train=len(idx_train), n_val=len(idx_val), lr=lr, backbone_factor=backbone_factor,
        batch_size=batch_size, schedule=schedule, max_epochs=max_epochs, patience=patience,
        seed=seed, augmentation='rotation by any angle, flips', time_budget=run.time_budget)
    return clf, history



def _record_framing(clf, images, n=200):
    """Write the framing of the training images into the metadata (when measurable)."""
    from astro_galclass.morphology.framing import FramingFailed, training_framing

    rows = np.random.default_rng(0).permutation(len(images))[:n]
    try:
        clf.metadata['framing'] = training_framing(images[np.sort(rows)])
    except FramingFailed:
        pass

