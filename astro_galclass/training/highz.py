# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Train a `~astro_galclass.HighZClassifier`: on your cutouts, on simulations,
or with the recipe of the shipped model (`reproduce_highz`, reached from the
shell as ``galclass train-highz --recipe shipped``).
"""

import time
from pathlib import Path

import numpy as np
import torch
from astropy import units as u
from sklearn.model_selection import train_test_split

from astro_galclass.highz.bands import BandDropout
from astro_galclass.highz.classifier import HighZClassifier
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.highz.normalization import AsinhNormalization
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training._records import (
    check_finetune_epochs,
    fit_record,
    override_recipe,
    run_record,
    save_classifier,
    stage_budgets,
)
from astro_galclass.training.augment import CutoutAugmentation
from astro_galclass.training.calibration import fit_temperature
from astro_galclass.training.data import (
    ArrayBatches,
    BandDropoutBatches,
    MixedBatches,
    SimulatedBatches,
    SimulatedMosaicBatches,
)
from astro_galclass.training.finetune import _freeze, _unfreeze
from astro_galclass.training.trainer import Trainer, balanced_class_weights

__all__ = ['COMPACT_ARCHITECTURE', 'HIGHZ_BANDS_RECIPE', 'HIGHZ_FINETUNE_RECIPE',
           'HIGHZ_HEAD_RECIPE', 'HIGHZ_RECIPE', 'HIGHZ_SKY_RECIPE', 'HIGHZ_TOP_RECIPE',
           'finetune_highz_bands', 'finetune_highz_head', 'finetune_highz_sky',
           'finetune_highz_top', 'reproduce_highz', 'train_highz', 'train_highz_simulated']

#: Compact widths of `~astro_galclass.highz.LymanBreakCNN`: about 1/7 of the
#: default parameters, training about six times faster on a CPU (the
#: default network of `train_highz`; the shipped model uses the default
#: widths and was trained on a GPU).
COMPACT_ARCHITECTURE = {
    'stem_channels': 16, 'spectral_channels': 32, 'n_spectral_blocks': 1,
    'spatial_channels': (24, 48, 96), 'head_units': (128, 64),
}


#: Stage 1 of the shipped high-z model: the default `LymanBreakCNN` from
#: random weights, on batches of which a tenth is cut out of simulated
#: mosaics, simulated by ``workers`` processes (the sequence of batches
#: depends on that number, so it is part of the recipe).
HIGHZ_RECIPE = {
    'depth': 'jades-deep',
    'architecture': 'default',
    'train_seed': 20261128,
    'val_seed': 20261127,
    'n_val': 6000,
    'batch_size': 256,
    'mosaic_fraction': 0.1,
    'batches_per_epoch': 300,
    'max_epochs': 8,
    'patience': 8,
    'lr': 5e-4,
    'schedule': 'cosine',
    'seed': 3,
    'workers': 8,
}

#: Stage 2 of the shipped high-z model: continued training from the stage-1
#: network on new batches, learning rate decaying from 2e-4.
HIGHZ_FINETUNE_RECIPE = {
    'depth': 'jades-deep',
    'train_seed': 20261129,
    'val_seed': 20261127,
    'n_val': 6000,
    'batch_size': 256,
    'mosaic_fraction': 0.1,
    'batches_per_epoch': 300,
    'max_epochs': 6,
    'patience': 6,
    'lr': 2e-4,
    'schedule': 'cosine',
    'seed': 3,
    'workers': 14,
}

#: A candidate stage 3: continued training of the version-3 network on
#: ``NIRCamSimulator(population='sky')`` sources (the classes in equal
#: thirds, so that the probabilities keep uniform training priors), with a
#: low learning rate; sized for two CPU cores (about 25 cutouts/s) or a
#: ``time_budget``. Measured (``benchmarks/studies/README.md``): it gains on
#: the sky population and loses on the z > 8 tail of the balanced one, so
#: it is not the shipped model.
HIGHZ_SKY_RECIPE = {
    'depth': 'jades-deep',
    'population': 'sky',
    'train_seed': 20261130,
    'val_seed': 20261131,
    'n_val': 3000,
    'batch_size': 128,
    'mosaic_fraction': 0.1,
    'batches_per_epoch': 60,
    'max_epochs': 12,
    'patience': 12,
    'lr': 1e-4,
    'schedule': 'cosine',
    'seed': 3,
    'workers': 1,
}


#: Continued training of the version-3 network into a band-masked one
#: (``LymanBreakCNN.with_band_mask``): every batch holds balanced-population
#: sources (a tenth cut out of simulated mosaics) and sky-population
#: sources (``sky_fraction``; the classes in equal thirds in both), and each
#: cutout keeps a random band subset (`~astro_galclass.highz.BandDropout`
#: with ``p_all``): all seven bands, the COSMOS-Web four, the CEERS six, or a
#: random four to six. Sized for two CPU cores or a ``time_budget``.
HIGHZ_BANDS_RECIPE = {
    'depth': 'jades-deep',
    'train_seed': 20261201,
    'val_seed': 20261202,
    'n_val': 3000,
    'batch_size': 128,
    'sky_fraction': 0.5,
    'mosaic_fraction': 0.1,
    'p_all': 0.4,
    'batches_per_epoch': 60,
    'max_epochs': 14,
    'patience': 14,
    'lr': 2e-4,
    'schedule': 'cosine',
    'seed': 3,
    'workers': 1,
}


#: Stage 3 of the shipped model (version 4): the convolutional layers of a
#: seven-band network (version 3) kept as they are, and its dense head and
#: output layer retrained on both populations: ``n_sky`` sources of
#: ``NIRCamSimulator(population='sky')`` (the low-z galaxies and the z ~ 4-6
#: galaxies of a real deep field) and ``n_balanced`` of the balanced
#: population (the z > 8 tail, dusty and Balmer-break interlopers and bright
#: brown dwarfs that the sky holds few of), classes in equal thirds in both,
#: ``mosaic_fraction`` of each cut out of simulated mosaics. The frozen
#: layers' pooled features are computed once, so the run is a forward pass
#: over the sources plus seconds of head training: about 15 minutes on two
#: CPU cores. Frozen layers cannot forget what they learned, which is what
#: the full fine-tunes of ``benchmarks/studies/README.md`` did. The loss adds
#: ``sky_loss_weight`` times the cross-entropy of the decisions at the sky's
#: class mix (`~astro_galclass.training.Trainer` ``logit_shift``), so that
#: the margins of separable classes (bright brown dwarfs) survive the shift
#: to the default priors.
HIGHZ_HEAD_RECIPE = {
    'depth': 'jades-deep',
    'train_seed': 20261204,
    'n_sky': 24000,
    'n_balanced': 16000,
    'mosaic_fraction': 0.1,
    'val_fraction': 0.15,
    'batch_size': 256,
    'lr': 3e-4,
    'weight_decay': 1e-4,
    'sky_loss_weight': 0.3,
    'max_epochs': 200,
    'patience': 10,
    'seed': 3,
}

#: The head recipe with the last spatial block of the network retrained as
#: well (``retrain_blocks``). `HIGHZ_HEAD_RECIPE` keeps every convolutional
#: layer of version 3, trained on the balanced population only; the probe of
#: ``benchmarks/studies/photometry_probe.py`` found those layers, not the
#: head, limit the purity at the sky's mix (the colours read at the centre
#: of the spectral stage select more purely than the pooled features). The
#: input of the last block (128 x 16 x 16 numbers per source, stored as
#: float16) is computed once, so training costs that block and the head
#: only: about an hour on two CPU cores for the recipe's 40,000 sources.
#: An experiment, not the shipped recipe: measured on version 4 it gained
#: little (``benchmarks/studies/README.md``).
HIGHZ_TOP_RECIPE = {
    **HIGHZ_HEAD_RECIPE,
    'train_seed': 20261206,
    'retrain_blocks': 1,
    'lr': 1e-4,
    'max_epochs': 12,
    'patience': 3,
}


def _class_weights(choice, counts):
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice != 'balanced':
            msg = f"class_weights must be 'balanced', None or an array, got {choice!r}"
            raise ValueError(msg)
        return balanced_class_weights(counts)
    return np.asarray(choice, float)


def _fit(clf, train, val, *, class_weights, lr, max_epochs, patience, schedule,
         seed, checkpoint_dir, progress, calibrate, time_budget):
    n_classes = len(clf.classes)
    counts = np.asarray(train.class_counts(n_classes), float)
    weights = _class_weights(class_weights, counts)
    trainer = Trainer(clf.model, n_classes=n_classes, lr=lr, class_weights=weights,
                      schedule=schedule, max_epochs=max_epochs, patience=patience,
                      device=clf.device, seed=seed, checkpoint_dir=checkpoint_dir,
                      progress=progress, time_budget=time_budget)
    history = trainer.fit(train, val)
    if calibrate:
        logits, labels = trainer.predict_logits(val)
        clf.temperature = fit_temperature(logits.numpy(), labels.numpy())
    # the class mix the probabilities assume: the training shares as the loss
    # weighted them (uniform for a class-balanced loss)
    effective = counts if weights is None else counts * weights
    clf.metadata['training_priors'] = dict(zip(
        clf.classes, np.round(effective / effective.sum(), 12).tolist(), strict=True))
    clf.model_changed()
    return history


def train_highz(cutouts, labels, *, val_cutouts=None, val_labels=None, val_fraction=0.2,
                model=None, bands=None, classes=None, pixel_scale=None,
                normalization=None, augmentation='default', batch_size=64,
                lr=5e-4, class_weights='balanced', schedule='plateau', max_epochs=30,
                patience=5, calibrate=True, device='auto', seed=0,
                checkpoint_dir=None, progress=True, name=None, training=None,
                time_budget=None):
    """
    Train a high-z classifier on your own labelled cutouts.

    This is the path for users with a labelled sample (spectroscopic
    redshifts, confirmed brown dwarfs): cut the sources out of your mosaics
    with `~astro_galclass.highz.extract_cutouts`, give each an integer label
    in the order of ``classes``, and train. A stratified ``val_fraction`` of
    the data is held out for early stopping and temperature scaling unless
    a validation set is given.

    Parameters
    ----------
    cutouts : array-like, `~astropy.units.Quantity`, NDData or sequence
        Any form `~astro_galclass.HighZClassifier.classify` accepts:
        ``(N, bands, size, size)`` in nJy per pixel when plain numbers.
    labels : array-like of int
        ``(N,)`` class index of each cutout.
    val_cutouts, val_labels : optional
        A separate validation set (same forms).
    val_fraction : float, optional
        Fraction held out for validation when no validation set is given.
    model : `~astro_galclass.highz.LymanBreakCNN`, optional
        The network to train (default: the compact architecture,
        `COMPACT_ARCHITECTURE`, freshly initialised). A pretrained model
        may be passed to fine-tune it.
    bands, classes, pixel_scale, normalization :
        As for `~astro_galclass.HighZClassifier` with a model instance.
    augmentation : `~astro_galclass.training.CutoutAugmentation`, 'default' or None
        ``'default'``: flips, rotations and shifts of up to half a pixel.
    batch_size : int, optional
        Cutouts per training batch (default 64), also the ``batch_size`` of
        the returned classifier.
    lr :
        See `~astro_galclass.training.Trainer`.
    class_weights : 'balanced', None or array-like, optional
        Cross-entropy weights per class; ``'balanced'`` compensates unequal
        class sizes.
    schedule, max_epochs, patience :
        See `~astro_galclass.training.Trainer`.
    calibrate : bool, optional
        Fit a temperature on the validation set (stored in the classifier).
    device, seed, checkpoint_dir, progress :
        See `~astro_galclass.training.Trainer`; ``seed`` also fixes the
        validation split and the augmentation.
    name, training :
        As for `~astro_galclass.HighZClassifier` with a model instance.
    time_budget :
        See `~astro_galclass.training.Trainer`.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained classifier; save it with its ``save`` method.
    history : `~astropy.table.QTable`
        Losses and accuracy per epoch.
    """
    torch.manual_seed(int(seed))
    if model is None:
        model = LymanBreakCNN(n_bands=7 if bands is None else len(bands),
                              n_classes=3 if classes is None else len(classes),
                              **COMPACT_ARCHITECTURE)
    clf = HighZClassifier(model, device=device, batch_size=batch_size, bands=bands,
                          classes=classes, pixel_scale=pixel_scale,
                          normalization=normalization, name=name,
                          training=training or 'user-supplied labelled cutouts')
    flux = clf.prepare(cutouts)
    labels = _check_labels(labels, len(flux), len(clf.classes))
    if val_cutouts is None:
        if val_labels is not None:
            msg = 'val_labels was given without val_cutouts'
            raise ValueError(msg)
        if not 0 < float(val_fraction) < 1:
            msg = f'val_fraction must be between 0 and 1, got {val_fraction}'
            raise ValueError(msg)
        train_idx, val_idx = train_test_split(
            np.arange(len(labels)), test_size=float(val_fraction),
            stratify=labels, random_state=int(seed))
        val_flux, val_lab = flux[val_idx], labels[val_idx]
        flux, labels = flux[train_idx], labels[train_idx]
    else:
        val_flux = clf.prepare(val_cutouts)
        val_lab = _check_labels(val_labels, len(val_flux), len(clf.classes))
    if augmentation == 'default':
        augmentation = CutoutAugmentation()
    common = {'batch_size': batch_size, 'normalization': clf.normalization}
    train = ArrayBatches(flux, labels, augmentation=augmentation, seed=seed, **common)
    val = ArrayBatches(val_flux, val_lab, shuffle=False, **common)
    history = _fit(clf, train, val, class_weights=class_weights, lr=lr,
                   max_epochs=max_epochs, patience=patience, schedule=schedule,
                   seed=seed, checkpoint_dir=checkpoint_dir, progress=progress,
                   calibrate=calibrate, time_budget=time_budget)
    clf.metadata['recipe'] = fit_record(
        'astro_galclass.training.train_highz', history, n_train=len(labels),
        n_val=len(val_lab), lr=lr, batch_size=batch_size,
        class_weights=str(class_weights) if isinstance(class_weights, str) else
        (None if class_weights is None else list(np.asarray(class_weights, float))),
        schedule=schedule, max_epochs=max_epochs, patience=patience,
        seed=int(seed), augmentation=repr(augmentation), time_budget=time_budget)
    return clf, history


def train_highz_simulated(simulator, *, val_simulator, n_val=6000, batch_size=128,
                          batches_per_epoch=100, model=None, lr=5e-4,
                          class_weights='balanced', schedule='plateau', max_epochs=30,
                          patience=5, calibrate=True, device='auto', seed=0,
                          checkpoint_dir=None, progress=True, name=None,
                          mosaic_fraction=0.0, workers=0, time_budget=None):
    """
    Train a high-z classifier on an endless stream of simulated cutouts.

    Every batch is freshly drawn from ``simulator`` (new sources, new
    noise), augmented with flips, rotations and sub-pixel shifts;
    ``n_val`` cutouts from ``val_simulator`` (another seed) are the
    validation set for early stopping and temperature scaling. The
    simulators' settings and seeds are written into the weights metadata.

    Parameters
    ----------
    simulator, val_simulator : `~astro_galclass.simulate.NIRCamSimulator`
    n_val : int, optional
    batch_size, batches_per_epoch : int, optional
        One epoch is ``batch_size * batches_per_epoch`` new cutouts.
    model : `~astro_galclass.highz.LymanBreakCNN`, optional
        Default: `COMPACT_ARCHITECTURE`, freshly initialised. Pass a trained
        network to continue its training (fine-tuning).
    lr, class_weights, schedule, max_epochs, patience, calibrate, device, \
seed, checkpoint_dir, progress, name :
        As for `train_highz`.
    mosaic_fraction : float, optional
        Fraction of each batch, and of the validation set, cut out of
        simulated native-scale mosaics (`SimulatedMosaicBatches`) rather
        than rendered on the model grid, so that the network also learns
        the resampling, noise texture and neighbours of
        `~astro_galclass.HighZClassifier.classify_catalog`. Mosaic cutouts
        cost about 15 times more to simulate than direct ones.
    workers : int, optional
        Worker processes simulating the training batches (see
        `SimulatedBatches`); 0 simulates in this process. The sequence of
        batches depends on the seeds and on ``workers``.
    time_budget :
        As for `train_highz`.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
    history : `~astropy.table.QTable`
    """
    torch.manual_seed(int(seed))
    if model is None:
        model = LymanBreakCNN(**COMPACT_ARCHITECTURE)
    training = (f'simulated NIRCam cutouts (astro_galclass NIRCamSimulator, depth '
                f'{simulator.depth!r}, seed {simulator.seed}); validation seed '
                f'{val_simulator.seed}')
    clf = HighZClassifier(model, device=device, batch_size=batch_size,
                          pixel_scale=simulator.pixel_scale,
                          cutout_size=simulator.cutout_size,
                          normalization=AsinhNormalization(), name=name,
                          training=training)
    if tuple(simulator.bands) != clf.bands:
        msg = f'the simulator bands {simulator.bands} differ from the model bands {clf.bands}'
        raise ValueError(msg)
    mosaic_fraction = float(mosaic_fraction)
    if not 0 <= mosaic_fraction < 1:
        msg = f'mosaic_fraction must be in [0, 1), got {mosaic_fraction}'
        raise ValueError(msg)
    n_mosaic = round(batch_size * mosaic_fraction)
    augmentation = CutoutAugmentation(flips=True, max_shift=0.5)
    train = SimulatedBatches(simulator, batch_size=batch_size - n_mosaic,
                             batches_per_epoch=batches_per_epoch,
                             normalization=clf.normalization,
                             augmentation=augmentation, seed=seed, workers=workers)
    val_flux, val_truth = val_simulator.sample(int(n_val))
    val_flux, val_labels = val_flux.to_value(u.nJy), np.asarray(val_truth['label'])
    if n_mosaic:
        # mosaic cutouts are already resampled: flips and rotations only
        mosaic = SimulatedMosaicBatches(simulator, batch_size=n_mosaic,
                                        batches_per_epoch=batches_per_epoch,
                                        normalization=clf.normalization,
                                        augmentation=CutoutAugmentation(flips=True,
                                                                        max_shift=0),
                                        seed=seed + 1, workers=workers)
        train = MixedBatches([train, mosaic])
        n_val_mosaic = round(n_val * mosaic_fraction / (1 - mosaic_fraction))
        mosaic_val = SimulatedMosaicBatches(val_simulator, batch_size=n_mosaic,
                                            batches_per_epoch=1, normalization=None)
        flux, labels = mosaic_val.draw(n_val_mosaic)
        val_flux = np.concatenate([val_flux, flux])
        val_labels = np.concatenate([val_labels, labels])
    val = ArrayBatches(val_flux, val_labels, batch_size=256,
                       normalization=clf.normalization, shuffle=False)
    history = _fit(clf, train, val, class_weights=class_weights, lr=lr,
                   max_epochs=max_epochs, patience=patience, schedule=schedule,
                   seed=seed, checkpoint_dir=checkpoint_dir, progress=progress,
                   calibrate=calibrate, time_budget=time_budget)
    clf.metadata['simulator'] = simulator.settings()
    clf.metadata['validation_simulator'] = val_simulator.settings()
    clf.metadata['recipe'] = fit_record(
        'astro_galclass.training.train_highz_simulated', history,
        n_val=int(n_val), batch_size=batch_size, batches_per_epoch=batches_per_epoch,
        lr=lr, class_weights=str(class_weights), schedule=schedule,
        max_epochs=max_epochs, patience=patience, seed=int(seed),
        augmentation=repr(augmentation), mosaic_fraction=mosaic_fraction,
        workers=int(workers), time_budget=time_budget,
        cutouts_seen=len(history) * batch_size * batches_per_epoch)
    return clf, history


def _stage_model(init, recipe, device):
    """The network stage 1 starts from: fresh, or a weights file's (``init``)."""
    if init is None:
        torch.manual_seed(recipe['seed'])
        return None, (LymanBreakCNN() if recipe['architecture'] == 'default'
                      else LymanBreakCNN(**COMPACT_ARCHITECTURE))
    loaded = HighZClassifier(init, device=device)
    return loaded, loaded.model


def _simulated_stage(recipe, model, *, device, name, calibrate, checkpoint_dir, progress,
                     time_budget):
    start = time.perf_counter()
    # the classes in equal thirds in either population ('sky' would
    # otherwise draw the sky's mix)
    population = {'population': recipe.get('population', 'balanced'),
                  'class_fractions': {c: 1.0 for c in ('low_z', 'high_z', 'brown_dwarf')}}
    clf, history = train_highz_simulated(
        NIRCamSimulator(depth=recipe['depth'], seed=recipe['train_seed'], **population),
        val_simulator=NIRCamSimulator(depth=recipe['depth'], seed=recipe['val_seed'],
                                      **population),
        model=model, n_val=recipe['n_val'], batch_size=recipe['batch_size'],
        batches_per_epoch=recipe['batches_per_epoch'], lr=recipe['lr'],
        schedule=recipe['schedule'], max_epochs=recipe['max_epochs'],
        patience=recipe['patience'], mosaic_fraction=recipe['mosaic_fraction'],
        workers=recipe['workers'], device=device, seed=recipe['seed'],
        checkpoint_dir=checkpoint_dir, progress=progress, calibrate=calibrate, name=name,
        time_budget=time_budget)
    clf.metadata['recipe'] = {**clf.metadata['recipe'], 'train_seed': recipe['train_seed'],
                              'val_seed': recipe['val_seed'],
                              'population': population['population'], **run_record(clf, start)}
    return clf, history


def reproduce_highz(output, *, device='auto', init=None, max_epochs=None,
                    finetune_epochs=None, batches_per_epoch=None, n_val=None, workers=None,
                    time_budget=None, checkpoint_dir=None, progress=True):
    """
    Train the shipped high-z model with its two-stage recipe; save it to ``output``.

    Stage 1 (`HIGHZ_RECIPE`) trains the default
    `~astro_galclass.highz.LymanBreakCNN` from scratch on batches of cutouts
    rendered on the model grid, a tenth of them cut out of simulated
    mosaics; stage 2 (`HIGHZ_FINETUNE_RECIPE`) continues on new batches with
    a lower learning rate. The shipped weights were trained on a GPU (an
    H100, about 14 minutes); on two CPU cores the network trains at about 26
    cutouts per second, so the recipe (1.1 million cutouts) takes about half
    a day there. From the shell: ``galclass train-highz --recipe shipped``.

    Parameters
    ----------
    output : path-like
        Weights file to write (its folder is created).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    init : path-like, optional
        A weights file (e.g. a stage-1 result or the shipped model): skip
        stage 1 and run stage 2 from its network.
    max_epochs, finetune_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipes (for a quick smoke run); the weights metadata
        records what was used. ``finetune_epochs=0`` stops after stage 1.
        The batches depend on ``workers`` (simulation processes): the
        recipe's numbers repeat the shipped run.
    time_budget : float, optional
        Wall-clock seconds for the whole run, split over the stages in
        proportion to their work; each stage fits its epochs to its share
        (see `~astro_galclass.training.Trainer`), so that a run on a lent
        machine ends calibrated and saved.
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch (stage 2 in
        ``stage2/``).
    progress : bool, optional
        Show progress bars.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The history of the last stage run.
    """
    stage1 = override_recipe(HIGHZ_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    stage2 = override_recipe(HIGHZ_FINETUNE_RECIPE, max_epochs=finetune_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val,
                             workers=workers)
    check_finetune_epochs(stage2['max_epochs'], init)
    budget1, budget2 = stage_budgets(time_budget, {**stage1, 'max_epochs': 0}
                                     if init is not None else stage1, stage2)
    command = 'galclass train-highz --recipe shipped'
    loaded, model = _stage_model(init, stage1, device)
    if loaded is None:
        first, history = _simulated_stage(
            stage1, model, device=device, name='highz-sim-jades-deep-v3-stage1',
            calibrate=stage2['max_epochs'] == 0, checkpoint_dir=checkpoint_dir,
            progress=progress, time_budget=budget1)
        if stage2['max_epochs'] == 0:
            first.metadata['recipe']['reproduce'] = f'{command} --finetune-epochs 0'
            return save_classifier(first, output), history
        stage1_record = first.metadata['recipe']
        training = first.metadata['training']
    else:
        stage1_record = {**loaded.metadata.get('recipe', {}), 'loaded_from': Path(init).name}
        training = loaded.metadata.get('training', 'not recorded')
        model = loaded.model
    clf, history = _simulated_stage(
        stage2, model, device=device, name='highz-sim-jades-deep-v3', calibrate=True,
        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir) / 'stage2',
        progress=progress, time_budget=budget2)
    stage2_record = clf.metadata['recipe']
    clf.metadata['recipe'] = {
        'reproduce': command, 'stage1': stage1_record, 'stage2': stage2_record,
        'cutouts_seen': stage1_record.get('cutouts_seen', 0) + stage2_record['cutouts_seen'],
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    clf.metadata['training'] = (f'{training}; then continued on simulated direct and mosaic '
                                f'cutouts ({clf.metadata["training"]})')
    return save_classifier(clf, output), history


def _start_from(init, device):
    """The network a fine-tune continues (default: the shipped one) and its recipe record."""
    loaded = (HighZClassifier.pretrained(device=device) if init is None
              else HighZClassifier(init, device=device))
    previous = {**loaded.metadata.get('recipe', {}),
                'loaded_from': loaded.name if init is None else Path(init).name}
    return loaded, previous


def _set_sky_priors(clf, depth):
    """Record the sky's class mix at ``depth`` as the file's ``default_priors``."""
    mix = NIRCamSimulator(depth=depth).sky_class_fractions()
    clf.metadata['default_priors'] = {c: float(mix[c]) for c in clf.classes}
    clf.metadata['default_priors_source'] = (
        f'NIRCamSimulator(depth={depth!r}).sky_class_fractions(): the class mix '
        'of a field at that depth from published surface densities')


def finetune_highz_sky(output, *, init=None, device='auto', max_epochs=None,
                       batches_per_epoch=None, n_val=None, workers=None, time_budget=None,
                       checkpoint_dir=None, progress=True, name='highz-sim-jades-deep-sky'):
    """
    Continue a high-z network on the sky population (`HIGHZ_SKY_RECIPE`).

    Continues a network (by default the shipped one) on
    ``NIRCamSimulator(population='sky')`` sources: star-forming,
    nearly flat-spectrum low-z galaxies, the z >= 4 redshift mix of a deep
    field and its emission lines. The classes stay in equal thirds (uniform
    ``training_priors``); the file's ``default_priors`` is the sky's class
    mix at the recipe's depth (``NIRCamSimulator.sky_class_fractions``), so
    that ``p_high_z`` is a deep field's posterior by default. From the
    shell: ``galclass train-highz --recipe sky --init V3.pt``. On its own it
    forgets the z > 8 galaxies the sky population holds few of (see
    ``benchmarks/studies/README.md``); it is a building block, not the
    recipe of a shipped model.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The network to continue (default: the shipped weights).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    max_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipe; the metadata records what was used.
    time_budget : float, optional
        Wall-clock seconds; the epochs are fitted to it
        (`~astro_galclass.training.Trainer`).
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch.
    progress : bool, optional
        Show progress bars.
    name : str, optional
        Name of the result.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    recipe = override_recipe(HIGHZ_SKY_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    loaded, previous = _start_from(init, device)
    clf, history = _simulated_stage(recipe, loaded.model, device=device, name=name,
                                    calibrate=True, checkpoint_dir=checkpoint_dir,
                                    progress=progress, time_budget=time_budget)
    _set_sky_priors(clf, recipe['depth'])
    clf.metadata['recipe'] = {
        'reproduce': 'galclass train-highz --recipe sky --init V3.pt',
        'previous': previous, 'sky': clf.metadata['recipe'],
        'cutouts_seen': previous.get('cutouts_seen', 0) + clf.metadata['recipe']['cutouts_seen'],
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    clf.metadata['training'] = (f"{loaded.metadata.get('training', 'not recorded')}; then "
                                f"continued on the sky population ({clf.metadata['training']})")
    return save_classifier(clf, output), history


def _equal_thirds(recipe, population, seed):
    return NIRCamSimulator(depth=recipe['depth'], seed=seed, population=population,
                           class_fractions=dict.fromkeys(('low_z', 'high_z', 'brown_dwarf'),
                                                         1.0))


def finetune_highz_bands(output, *, init=None, device='auto', max_epochs=None,
                         batches_per_epoch=None, n_val=None, workers=None, time_budget=None,
                         checkpoint_dir=None, progress=True, name='highz-sim-bands'):
    """
    Turn a seven-band high-z network into one that takes any band subset.

    The network (by default the shipped one) gets a band-availability input
    (`~astro_galclass.highz.LymanBreakCNN.with_band_mask`) and continues
    training per `HIGHZ_BANDS_RECIPE`: batches of balanced- and
    sky-population sources, each with a random band subset
    (`~astro_galclass.highz.BandDropout`). The classes stay in equal thirds
    (uniform ``training_priors``); ``default_priors`` is the sky's class mix
    at the recipe's depth. From the shell: ``galclass train-highz --recipe
    bands``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The seven-band network to start from (default: the shipped weights).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    max_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipe; the metadata records what was used.
    time_budget : float, optional
        Wall-clock seconds; the epochs are fitted to it.
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch.
    progress : bool, optional
        Show progress bars.
    name : str, optional
        Name of the result.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    start = time.perf_counter()
    recipe = override_recipe(HIGHZ_BANDS_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    loaded, previous = _start_from(init, device)
    if loaded.model.band_mask:
        msg = f'{loaded.name!r} already takes a band-availability input'
        raise ValueError(msg)
    torch.manual_seed(recipe['seed'])
    model = loaded.model.to('cpu').with_band_mask()
    clf = HighZClassifier(model, device=device, batch_size=recipe['batch_size'],
                          bands=loaded.bands, classes=loaded.classes,
                          pixel_scale=loaded.pixel_scale, cutout_size=loaded.cutout_size,
                          normalization=loaded.normalization, name=name)
    batch, seed = recipe['batch_size'], recipe['seed']
    n_mosaic = round(batch * recipe['mosaic_fraction'])
    n_sky = round(batch * recipe['sky_fraction'])
    n_balanced = batch - n_mosaic - n_sky
    balanced = _equal_thirds(recipe, 'balanced', recipe['train_seed'])
    sky = _equal_thirds(recipe, 'sky', recipe['train_seed'] + 1)
    common = {'batches_per_epoch': recipe['batches_per_epoch'],
              'normalization': clf.normalization, 'workers': recipe['workers']}
    augmentation = CutoutAugmentation(flips=True, max_shift=0.5)
    streams = [SimulatedBatches(balanced, batch_size=n_balanced, augmentation=augmentation,
                                seed=seed, **common),
               SimulatedBatches(sky, batch_size=n_sky, augmentation=augmentation,
                                seed=seed + 2, **common)]
    if n_mosaic:
        streams.append(SimulatedMosaicBatches(
            balanced, batch_size=n_mosaic, seed=seed + 1,
            augmentation=CutoutAugmentation(flips=True, max_shift=0), **common))
    dropout = BandDropout(clf.bands, p_all=recipe['p_all'])
    train = BandDropoutBatches(MixedBatches(streams), dropout, seed=seed + 3)
    n_val = recipe['n_val']
    n_val_sky = round(n_val * recipe['sky_fraction'])
    parts = [_equal_thirds(recipe, 'balanced', recipe['val_seed']).sample(n_val - n_val_sky),
             _equal_thirds(recipe, 'sky', recipe['val_seed'] + 1).sample(n_val_sky)]
    val_flux = np.concatenate([f.to_value(u.nJy) for f, _ in parts])
    val_labels = np.concatenate([np.asarray(t['label']) for _, t in parts])
    if n_mosaic:
        flux, labels = SimulatedMosaicBatches(
            _equal_thirds(recipe, 'balanced', recipe['val_seed']), batch_size=n_mosaic,
            batches_per_epoch=1, normalization=None).draw(round(n_val * recipe['mosaic_fraction']))
        val_flux = np.concatenate([val_flux, flux])
        val_labels = np.concatenate([val_labels, labels])
    val = BandDropoutBatches(ArrayBatches(val_flux, val_labels, batch_size=256,
                                          normalization=clf.normalization, shuffle=False),
                             dropout, seed=recipe['val_seed'], fixed=True)
    history = _fit(clf, train, val, class_weights='balanced', lr=recipe['lr'],
                   max_epochs=recipe['max_epochs'], patience=recipe['patience'],
                   schedule=recipe['schedule'], seed=seed, checkpoint_dir=checkpoint_dir,
                   progress=progress, calibrate=True, time_budget=time_budget)
    _set_sky_priors(clf, recipe['depth'])
    seen = len(history) * batch * recipe['batches_per_epoch']
    clf.metadata['simulator'] = balanced.settings()
    clf.metadata['sky_simulator'] = sky.settings()
    clf.metadata['recipe'] = {
        'reproduce': 'galclass train-highz --recipe bands',
        'previous': previous,
        'bands': {**fit_record('astro_galclass.training.finetune_highz_bands', history,
                               **recipe, band_dropout=repr(dropout),
                               augmentation=repr(augmentation), time_budget=time_budget,
                               cutouts_seen=seen),
                  **run_record(clf, start)},
        'cutouts_seen': previous.get('cutouts_seen', 0) + seen,
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    clf.metadata['training'] = (
        f"{loaded.metadata.get('training', 'not recorded')}; then given a band-availability "
        'input and continued on balanced- and sky-population NIRCamSimulator sources '
        f"(depth {recipe['depth']!r}) with random band subsets")
    return save_classifier(clf, output), history


class _Top(torch.nn.Module):
    """
    The trainable top of a `LymanBreakCNN`: its last ``retrain_blocks``
    spatial blocks (none: the input is the pooled features), the average
    over the image, the dense head and the output layer. The modules are the
    network's own, so training this trains the network.
    """

    def __init__(self, model, retrain_blocks=0):
        super().__init__()
        cut = len(model.spatial) - 2 * retrain_blocks
        self.blocks = model.spatial[cut:] if retrain_blocks else None
        self.head, self.classifier = model.head, model.classifier

    def forward(self, x):
        if self.blocks is not None:
            x = self.blocks(x).mean(dim=(2, 3))
        return self.classifier(self.head(x))


def _frozen_part(model, retrain_blocks, size=64):
    """``(forward, shape)``: the layers below `_Top` and their output per ``size``-pixel cutout."""
    width = model.config['spatial_channels']
    if not retrain_blocks:
        return model.pool, (width[-1],)
    kept = len(width) - retrain_blocks
    below = model.spatial[:2 * kept]

    def forward(x):
        return below(model.attention(model.spectral(model.stem(x))))

    channels = ([model.config['spectral_channels'], *width])[kept]
    return forward, (channels, size // 2 ** kept, size // 2 ** kept)


class _FeatureBatches:
    """Shuffled ``(features, labels)`` batches, reshuffled every epoch."""

    def __init__(self, features, labels, *, batch_size, seed):
        self.features, self.labels = features, labels
        self.batch_size = int(batch_size)
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self):
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            take = order[start:start + self.batch_size]
            yield self.features[take], self.labels[take]


def _frozen_features(clf, simulator, n, *, retrain_blocks, mosaic_fraction, chunk=2048,
                     seed=0):
    """
    Outputs of the frozen layers (`_frozen_part`) and labels of ``n`` simulated sources.

    ``mosaic_fraction`` of them are cut out of simulated mosaics
    (`SimulatedMosaicBatches`, seed ``seed``); the rest are drawn directly.
    The cutouts are simulated and passed through the network ``chunk`` at a
    time, so memory stays bounded. Pooled features are float32; the maps
    below retrained blocks are stored as float16 (128 x 16 x 16 numbers per
    source for the last block).
    """
    forward, shape = _frozen_part(clf.model, retrain_blocks, clf.metadata['cutout_size'])
    dtype = torch.float16 if retrain_blocks else torch.float32
    n_mosaic = round(n * mosaic_fraction)
    mosaic = (SimulatedMosaicBatches(simulator, batch_size=min(n_mosaic, 256),
                                     batches_per_epoch=1, normalization=None, seed=seed)
              if n_mosaic else None)
    features, labels = [], []
    for kind, total in (('direct', n - n_mosaic), ('mosaic', n_mosaic)):
        for start in range(0, total, chunk):
            size = min(chunk, total - start)
            if kind == 'direct':
                flux, truth = simulator.sample(size)
                flux, label = flux.to_value(u.nJy), np.asarray(truth['label'])
            else:
                flux, label = mosaic.draw(size)
            out = clf._infer(np.asarray(flux, np.float32), forward, (0, *shape))
            features.append(torch.from_numpy(out).to(dtype))
            labels.append(np.asarray(label, np.int64))
    return torch.cat(features), torch.from_numpy(np.concatenate(labels))


def finetune_highz_head(output, *, init=None, device='auto', n_sky=None, n_balanced=None,
                        max_epochs=None, time_budget=None, checkpoint_dir=None, progress=True,
                        name='highz-sim-jades-deep-v4'):
    """
    Retrain the dense head of a high-z network on both populations (`HIGHZ_HEAD_RECIPE`).

    This is how the shipped version 4 was made from version 3. The
    convolutional layers stay frozen: their pooled features
    (`~astro_galclass.highz.LymanBreakCNN.pool`) of ``n_sky``
    sky-population and ``n_balanced`` balanced-population sources (classes
    in equal thirds, a tenth cut out of simulated mosaics) are computed once;
    the dense head and output layer then train on them with class-balanced
    cross-entropy, early stopping on a held-out part (``val_fraction``),
    and a temperature fitted on that part. The loss adds ``sky_loss_weight``
    times the cross-entropy of the posteriors at the sky's class mix: bright
    brown dwarfs and galaxies are separable, so the cross-entropy alone
    leaves their logit margin wherever training stops (7-10 nats measured),
    and the shift to a deep field's brown-dwarf share (5e-5, 9.6 nats) then
    turns many of them into galaxies. ``training_priors`` stay uniform;
    ``default_priors`` becomes the sky's class mix at the recipe's depth
    (`~astro_galclass.simulate.NIRCamSimulator.sky_class_fractions`), so
    that ``p_high_z`` is a deep field's posterior by default. The
    out-of-distribution statistics of the old head no longer apply and are
    dropped: refit them with `~astro_galclass.HighZClassifier.fit_ood`
    (the shipped file's come from ``benchmarks/bench_highz_ood.py
    --write-weights``). From the shell: ``galclass train-highz --recipe
    head``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The seven-band network whose head is retrained (default: the shipped
        weights).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    n_sky, n_balanced, max_epochs : int, optional
        Override the recipe (e.g. for a quick smoke run); the metadata
        records what was used.
    time_budget : float, optional
        Wall-clock seconds for the head's training (not the feature pass).
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch.
    progress : bool, optional
        Show progress bars.
    name : str, optional
        Name of the result.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The retrained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The head's training history.
    """
    recipe = override_recipe(HIGHZ_HEAD_RECIPE, n_sky=n_sky, n_balanced=n_balanced,
                             max_epochs=max_epochs)
    return _retrain_top(output, 'head', recipe, init=init, device=device,
                        time_budget=time_budget, checkpoint_dir=checkpoint_dir,
                        progress=progress, name=name)


def finetune_highz_top(output, *, init=None, device='auto', n_sky=None, n_balanced=None,
                       max_epochs=None, time_budget=None, checkpoint_dir=None, progress=True,
                       name='highz-sim-jades-deep-top'):
    """
    Retrain the last spatial block and the dense head of a high-z network (`HIGHZ_TOP_RECIPE`).

    As `finetune_highz_head`, on the same kinds of sources, but the last
    ``retrain_blocks`` spatial blocks of the network train with the head:
    the input of those blocks (the output of the frozen layers below them,
    128 x 16 x 16 numbers per source, float16) is computed once and the
    blocks, the average over the image, the head and the output layer train
    on it. The lower layers (stem, spectral stage, channel attention and
    the first spatial blocks) stay as they are. From the shell:
    ``galclass train-highz --recipe top``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The seven-band network to continue (default: the shipped weights).
    device : str, optional
        ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``.
    n_sky, n_balanced, max_epochs : int, optional
        Override the recipe (e.g. for a quick smoke run); the metadata
        records what was used.
    time_budget : float, optional
        Wall-clock seconds for the training (not the feature pass).
    checkpoint_dir : path-like, optional
        Where the trainer writes ``last.pt`` after each epoch.
    progress : bool, optional
        Show progress bars.
    name : str, optional
        Name of the result.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The retrained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The training history.
    """
    recipe = override_recipe(HIGHZ_TOP_RECIPE, n_sky=n_sky, n_balanced=n_balanced,
                             max_epochs=max_epochs)
    return _retrain_top(output, 'top', recipe, init=init, device=device,
                        time_budget=time_budget, checkpoint_dir=checkpoint_dir,
                        progress=progress, name=name)


def _retrain_top(output, recipe_name, recipe, *, init, device, time_budget, checkpoint_dir,
                 progress, name):
    """The head and top recipes: `_Top` trained on the frozen layers' outputs."""
    start = time.perf_counter()
    blocks = recipe.get('retrain_blocks', 0)
    loaded, previous = _start_from(init, device)
    if loaded.model.band_mask:
        msg = (f'{loaded.name!r} takes a band-availability input; the {recipe_name} recipe '
               'retrains seven-band networks')
        raise ValueError(msg)
    n_spatial = len(loaded.model.config['spatial_channels'])
    if blocks > n_spatial:
        msg = (f'retrain_blocks must be at most the number of spatial blocks ({n_spatial}), '
               f'got {blocks}')
        raise ValueError(msg)
    clf = loaded
    clf.metadata['name'] = name
    clf.metadata.pop('ood', None)
    seed = recipe['seed']
    torch.manual_seed(seed)
    simulators = {population: _equal_thirds(recipe, population, recipe['train_seed'] + k)
                  for k, population in enumerate(('sky', 'balanced'))}
    parts = [_frozen_features(clf, sim, recipe[f'n_{population}'], seed=seed + k,
                              retrain_blocks=blocks, mosaic_fraction=recipe['mosaic_fraction'])
             for k, (population, sim) in enumerate(simulators.items())]
    features = torch.cat([p[0] for p in parts])
    labels = torch.cat([p[1] for p in parts])
    del parts
    # the held-out part is stratified by class and population
    strata = (labels + len(clf.classes) * torch.cat(
        [torch.full((recipe[f'n_{population}'],), k)
         for k, population in enumerate(simulators)])).numpy()
    train, val = train_test_split(np.arange(len(labels)), test_size=recipe['val_fraction'],
                                  random_state=seed, stratify=strata)
    train, val = torch.from_numpy(train), torch.from_numpy(val)
    features_seconds = time.perf_counter() - start
    counts = np.bincount(labels[train].numpy(), minlength=len(clf.classes)).astype(float)
    sky_mix = NIRCamSimulator(depth=recipe['depth']).sky_class_fractions()
    shift = np.log([sky_mix[c] * len(clf.classes) for c in clf.classes])
    _freeze(clf.model, 'features')
    top = _Top(clf.model, blocks)
    if blocks:
        for p in top.blocks.parameters():
            p.requires_grad_(True)
    trainer = Trainer(top, n_classes=len(clf.classes), lr=recipe['lr'],
                      weight_decay=recipe['weight_decay'],
                      class_weights=balanced_class_weights(counts), schedule='plateau',
                      max_epochs=recipe['max_epochs'], patience=recipe['patience'],
                      device=clf.device, seed=seed, checkpoint_dir=checkpoint_dir,
                      progress=progress, time_budget=time_budget, logit_shift=shift,
                      logit_shift_weight=recipe['sky_loss_weight'])
    val_batches = list(_FeatureBatches(features[val], labels[val], batch_size=512, seed=seed))
    history = trainer.fit(_FeatureBatches(features[train], labels[train],
                                          batch_size=recipe['batch_size'], seed=seed),
                          val_batches)
    _unfreeze(clf.model)
    logits, val_labels = trainer.predict_logits(val_batches)
    clf.temperature = fit_temperature(logits.numpy(), val_labels.numpy())
    clf.metadata['training_priors'] = dict.fromkeys(clf.classes, 1 / len(clf.classes))
    _set_sky_priors(clf, recipe['depth'])
    clf.metadata['sky_simulator'] = simulators['sky'].settings()
    seen = int(recipe['n_sky'] + recipe['n_balanced'])
    function = f'astro_galclass.training.finetune_highz_{recipe_name}'
    clf.metadata['recipe'] = {
        'reproduce': f'galclass train-highz --recipe {recipe_name} --init PREVIOUS.pt',
        'previous': previous,
        recipe_name: {**fit_record(function, history, **recipe, time_budget=time_budget,
                                   features_seconds=features_seconds, n_train=len(train),
                                   n_val=len(val)),
                      **run_record(clf, start)},
        'cutouts_seen': previous.get('cutouts_seen', 0) + seen,
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    retrained = (f'its last {blocks} spatial block(s) and dense head retrained (lower layers '
                 'frozen)' if blocks else
                 'its dense head retrained (convolutional layers frozen)')
    clf.metadata['training'] = (
        f"{loaded.metadata.get('training', 'not recorded')}; then {retrained} on "
        f"{recipe['n_sky']} sky-population and {recipe['n_balanced']} balanced-population "
        f"NIRCamSimulator sources (depth {recipe['depth']!r})")
    clf.model_changed()
    return save_classifier(clf, output), history


def _check_labels(labels, n, n_classes):
    labels = np.asarray(labels)
    if labels.shape != (n,):
        msg = f'labels must be one integer per cutout ({n}), got shape {labels.shape}'
        raise ValueError(msg)
    if not np.issubdtype(labels.dtype, np.integer):
        msg = f'labels must be integers (class indices), got {labels.dtype}'
        raise TypeError(msg)
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        msg = (f'labels must be class indices in [0, {n_classes - 1}], got values '
               f'from {labels.min()} to {labels.max()}')
        raise ValueError(msg)
    return labels.astype(np.int64)
