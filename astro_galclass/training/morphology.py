# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Train Galaxy Zoo 2 morphology networks: on your labelled images, or with the
recipe of the shipped model (`reproduce_morphology`, reached from the shell
as ``galclass train-morphology --recipe shipped``). Evaluation is in
`astro_galclass.training.evaluate`.
"""

import math
import os
import time
from pathlib import Path

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
from astro_galclass.training._records import (
    check_finetune_epochs,
    fit_record,
    override_recipe,
    run_record,
    save_classifier,
    stage_budgets,
)
from astro_galclass.training.trainer import Trainer

__all__ = ['MORPHOLOGY_FINETUNE_RECIPE', 'MORPHOLOGY_PHOTOGRAPH_RECIPE', 'MORPHOLOGY_RECIPE',
           'MORPHOLOGY_STARS_RECIPE',
           'RotationFlipAugmentation', 'finetune_morphology_photograph', 'reproduce_morphology',
           'train_morphology']

#: Stage 1 of the shipped morphology model: the seed's Parallel CNN at its
#: full width, from scratch, on 120,000 simulated galaxies.
MORPHOLOGY_RECIPE = {
    'simulator_seed': 20261203,
    'realism': 'clean',
    'n_images': 120000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 128,
    'lr': 1e-3,
    'schedule': 'cosine',
    'max_epochs': 2,
    'patience': 2,
    'seed': 3,
}

#: Stage 2 of the shipped morphology model: continued training from the
#: stage-1 network on 120,000 other simulated galaxies, learning rate
#: decaying from half the stage-1 rate.
MORPHOLOGY_FINETUNE_RECIPE = {
    'simulator_seed': 20261204,
    'realism': 'clean',
    'n_images': 120000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 128,
    'lr': 5e-4,
    'schedule': 'cosine',
    'max_epochs': 10,
    'patience': 10,
    'seed': 3,
}

#: Continue a network on simulated photographs (``realism='photograph'``):
#: fields with stars and neighbours, any framing, random stretches, colour
#: balance, monochrome and JPEG (``galclass train-morphology --recipe
#: photograph``). Sized for two CPU cores (about 45 minutes); a lent GPU
#: should run it with ``--n-images`` 100000 or more and more epochs.
MORPHOLOGY_PHOTOGRAPH_RECIPE = {
    'simulator_seed': 20261210,
    'realism': 'photograph',
    'n_images': 10000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 64,
    'lr': 3e-4,
    'schedule': 'cosine',
    'max_epochs': 2,
    'patience': 2,
    'seed': 5,
}

#: Then one epoch on photographs with four times more stars and twice more
#: artifacts than the default mix (``galclass train-morphology --recipe
#: photograph-stars --init FILE``): the first stage alone learns too few of
#: Galaxy Zoo's "star or artifact" answers.
MORPHOLOGY_STARS_RECIPE = {
    'simulator_seed': 20261211,
    'realism': 'photograph',
    'kinds': {'elliptical': 0.30, 'disk': 0.25, 'irregular': 0.05, 'merger': 0.05,
              'star': 0.25, 'artifact': 0.10},
    'n_images': 5000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 64,
    'lr': 1e-4,
    'schedule': 'cosine',
    'max_epochs': 1,
    'patience': 1,
    'seed': 6,
}


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


class _ImageBatches:
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
                     val_fraction=0.2, val_images=None, val_targets=None, batch_size=64,
                     lr=1e-3, backbone_factor=0.1,
                     weight_decay=0.0, schedule='plateau', max_epochs=30, patience=5,
                     device='auto', seed=0,
                     checkpoint_dir=None, progress=True, name=None, time_budget=None,
                     framing=None):
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
        Held out for early stopping (random split with ``seed``) when no
        validation set is given.
    val_images, val_targets : optional
        A separate validation set (same forms as ``images`` and
        ``targets``; ``loss='rmse'`` only).
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
    weight_decay, schedule, max_epochs, patience, device, seed, \
checkpoint_dir, progress : optional
        See `~astro_galclass.training.Trainer`.
    name : str, optional
        Model name recorded in outputs and the weights file.
    time_budget : optional
        See `~astro_galclass.training.Trainer`.
    framing : dict, optional
        The framing of the images (``metadata['framing']`` of the result);
        by default measured on up to 200 training images
        (`~astro_galclass.morphology.framing.training_framing`).

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
    common = {'batch_size': batch_size, 'input_size': clf.input_size, 'device': clf.device}
    if val_images is None:
        if val_targets is not None:
            msg = 'val_targets was given without val_images'
            raise ValueError(msg)
        idx_train, idx_val = train_test_split(np.arange(len(images)), test_size=val_fraction,
                                              random_state=int(seed))
        train_x, train_y = images[idx_train], labels[idx_train]
        val_x, val_y = images[idx_val], labels[idx_val]
    else:
        if loss != 'rmse':
            msg = "a separate validation set needs loss='rmse'"
            raise ValueError(msg)
        val_x = np.ascontiguousarray(val_images, dtype=np.float32)
        if hasattr(val_targets, 'colnames'):
            val_targets = GZ2_TREE.from_kaggle_table(val_targets)
        val_y = np.asarray(val_targets, np.float32)
        if val_x.ndim != 4 or val_x.shape[1] != 3 or val_y.shape != (len(val_x), 37):
            msg = (f'val_images must be (N, 3, H, W) and val_targets (N, 37), got '
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
                      device=clf.device, seed=seed, checkpoint_dir=checkpoint_dir,
                      progress=progress, time_budget=time_budget)
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
        seed=int(seed), augmentation='rotation by any angle, flips', time_budget=time_budget)
    return clf, history


def _morphology_stage(recipe, model, name, *, device, checkpoint_dir, progress, time_budget):
    """One training stage of the morphology recipe, on freshly simulated galaxies."""
    from astro_galclass.simulate import MorphologySimulator

    start = time.perf_counter()
    torch.manual_seed(recipe['seed'])
    sim = MorphologySimulator(seed=recipe['simulator_seed'], voters=recipe['voters'],
                              realism=recipe.get('realism', 'clean'), kinds=recipe.get('kinds'))
    images, truth = sim.sample(recipe['n_images'], workers=os.cpu_count() or 1)
    clf, history = train_morphology(
        images, truth, model=model, loss='rmse', val_fraction=recipe['val_fraction'],
        batch_size=recipe['batch_size'], lr=recipe['lr'], schedule=recipe['schedule'],
        max_epochs=recipe['max_epochs'], patience=recipe['patience'], device=device,
        seed=recipe['seed'], checkpoint_dir=checkpoint_dir, progress=progress, name=name,
        time_budget=time_budget)
    clf.metadata['simulator'] = sim.settings()
    clf.metadata['training'] = (f'simulated galaxies (astro_galclass MorphologySimulator, seed '
                                f'{recipe["simulator_seed"]}); {clf.metadata["training"]}')
    clf.metadata['recipe'] = {**clf.metadata['recipe'], **recipe, **run_record(clf, start)}
    return clf, history


def reproduce_morphology(output, *, device='auto', init=None, max_epochs=None,
                         finetune_epochs=None, n_images=None, time_budget=None,
                         checkpoint_dir=None, progress=True):
    """
    Train the shipped morphology model with its recipe; save it to ``output``.

    Stage 1 (`MORPHOLOGY_RECIPE`): `~astro_galclass.simulate.MorphologySimulator`
    draws 120,000 galaxies with vote fractions from about 40 simulated
    volunteers (in parallel chunks of
    `~astro_galclass.simulate.MorphologySimulator.PARALLEL_CHUNK`, using every
    CPU core; the galaxies do not depend on the number of cores); the seed's
    `~astro_galclass.morphology.ParallelCNN` at full width with the tree
    output layer is trained on them with `train_morphology` (RMSE on the
    Kaggle targets, rotations and flips, a held-out tenth for validation).
    Stage 2 (`MORPHOLOGY_FINETUNE_RECIPE`) continues on 120,000 other
    simulated galaxies. Both stages use a cosine-decaying learning rate. The
    shipped weights were trained on a GPU (an H100, about 13 minutes); on two
    CPU cores the same recipe takes about a day. From the shell:
    ``galclass train-morphology --recipe shipped``.

    Parameters
    ----------
    output : path-like
        Weights file to write (its folder is created).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    init : path-like, optional
        A weights file (a stage-1 result or the shipped model): skip stage 1
        and run stage 2 from its network.
    max_epochs, finetune_epochs, n_images : int, optional
        Override the recipes (for a quick smoke run; ``n_images`` applies to
        both stages); the weights metadata records what was used.
        ``finetune_epochs=0`` stops after stage 1.
    time_budget : float, optional
        Wall-clock seconds for the whole run (not counting the simulation),
        split over the stages in proportion to their work; see
        `~astro_galclass.training.Trainer`.
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch.
    progress : bool, optional
        Show progress bars.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The trained classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The history of the last stage run.
    """
    from astro_galclass.morphology import MorphologyClassifier

    stage1 = override_recipe(MORPHOLOGY_RECIPE, max_epochs=max_epochs, n_images=n_images)
    stage2 = override_recipe(MORPHOLOGY_FINETUNE_RECIPE, max_epochs=finetune_epochs,
                             n_images=n_images)
    check_finetune_epochs(stage2['max_epochs'], init)
    budget1, budget2 = stage_budgets(time_budget, {**stage1, 'max_epochs': 0}
                                     if init is not None else stage1, stage2)
    command = 'galclass train-morphology --recipe shipped'
    if init is None:
        torch.manual_seed(stage1['seed'])
        clf, history = _morphology_stage(
            stage1, ParallelCNN(width=stage1['width']), 'morphology-sim-parallelcnn-v3-stage1',
            device=device, checkpoint_dir=checkpoint_dir, progress=progress,
            time_budget=budget1)
        clf.metadata['recipe']['reproduce'] = command
        if stage2['max_epochs'] == 0:
            clf.metadata['recipe']['reproduce'] = f'{command} --finetune-epochs 0'
            return save_classifier(clf, output), history
        first = clf.metadata
        record1 = first['recipe']
    else:
        clf = MorphologyClassifier(init, device=device)
        first = clf.metadata
        record1 = {**first.get('recipe', {}), 'loaded_from': Path(init).name}
    clf, history = _morphology_stage(
        stage2, clf.model, 'morphology-sim-parallelcnn-v3', device=device,
        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir) / 'stage2',
        progress=progress, time_budget=budget2)
    clf.metadata['training'] = f'{first.get("training", "not recorded")}; then ' \
                               f'{clf.metadata["training"]}'
    clf.metadata['recipe'] = {
        'reproduce': command, 'stage1': record1, 'stage2': clf.metadata['recipe'],
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    return save_classifier(clf, output), history


def finetune_morphology_photograph(output, *, init=None, device='auto', max_epochs=None,
                                   n_images=None, time_budget=None, checkpoint_dir=None,
                                   progress=True, stage='photograph'):
    """
    Continue a morphology network on simulated photographs; save it to ``output``.

    `MORPHOLOGY_PHOTOGRAPH_RECIPE`: `~astro_galclass.simulate.MorphologySimulator`
    with ``realism='photograph'`` draws the galaxies (in parallel, on every
    core), and `train_morphology` continues the network on them (RMSE on
    the Kaggle targets, rotations and flips, a tenth held out). From the
    shell: ``galclass train-morphology --recipe photograph``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The network to continue (default: the shipped one). The shipped
        version 4 is version 3 (`reproduce_morphology`) continued by stage
        ``'photograph'`` and then stage ``'stars'``.
    device, max_epochs, n_images, time_budget, checkpoint_dir, progress :
        As in `reproduce_morphology`.
    stage : {'photograph', 'stars'}, optional
        `MORPHOLOGY_PHOTOGRAPH_RECIPE`, or `MORPHOLOGY_STARS_RECIPE` (its
        second stage, from the first stage's result as ``init``).

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
    history : `~astropy.table.QTable`
    """
    from astro_galclass.morphology import MorphologyClassifier

    recipes = {'photograph': MORPHOLOGY_PHOTOGRAPH_RECIPE, 'stars': MORPHOLOGY_STARS_RECIPE}
    if stage not in recipes:
        msg = f'stage must be one of {sorted(recipes)}, got {stage!r}'
        raise ValueError(msg)
    recipe = override_recipe(recipes[stage], max_epochs=max_epochs, n_images=n_images)
    base = (MorphologyClassifier.pretrained(device=device) if init is None
            else MorphologyClassifier(init, device=device))
    clf, history = _morphology_stage(
        recipe, base.model, 'morphology-sim-parallelcnn-v4' + (
            '-stage1' if stage == 'photograph' else ''), device=device,
        checkpoint_dir=checkpoint_dir, progress=progress, time_budget=time_budget)
    clf.metadata['training'] = (f'{base.metadata.get("training", "not recorded")}; then '
                                f'{clf.metadata["training"]}')
    command = 'galclass train-morphology --recipe ' + (
        'photograph' if stage == 'photograph' else 'photograph-stars --init FILE')
    clf.metadata['recipe'] = {'reproduce': command,
                              'base': base.name, 'base_recipe': base.metadata.get('recipe'),
                              'stage': clf.metadata['recipe']}
    return save_classifier(clf, output), history


def _record_framing(clf, images, n=200):
    """Write the framing of the training images into the metadata (when measurable)."""
    from astro_galclass.morphology.framing import FramingFailed, training_framing

    rows = np.random.default_rng(0).permutation(len(images))[:n]
    try:
        clf.metadata['framing'] = training_framing(images[np.sort(rows)])
    except FramingFailed:
        pass
