# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Train a `~astro_galclass.HighZClassifier` on your labelled cutouts or on
simulations. (The recipes of the shipped model are in
`astro_galclass.training.recipes.highz`; fine-tuning a trained classifier is
`~astro_galclass.training.fine_tune_highz`.)
"""

import numpy as np
import torch
from astropy import units as u
from sklearn.model_selection import train_test_split

from astro_galclass.highz.classifier import HighZClassifier
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.highz.normalization import AsinhNormalization
from astro_galclass.training._records import fit_record
from astro_galclass.training.augment import CutoutAugmentation
from astro_galclass.training.calibration import fit_temperature
from astro_galclass.training.data import (
    ArrayBatches,
    MixedBatches,
    SimulatedBatches,
    SimulatedMosaicBatches,
)
from astro_galclass.training.options import RunOptions
from astro_galclass.training.trainer import Trainer, balanced_class_weights
from astro_galclass.utils._validation import check_class_labels

__all__ = ['COMPACT_ARCHITECTURE', 'FAST_ARCHITECTURE', 'train_highz', 'train_highz_simulated']

#: Compact widths of `~astro_galclass.highz.LymanBreakCNN`: about 1/7 of the
#: default parameters, training about six times faster on a CPU (the
#: default network of `train_highz`; the shipped model uses the default
#: widths and was trained on a GPU).
COMPACT_ARCHITECTURE = {
    'stem_channels': 16, 'spectral_channels': 32, 'n_spectral_blocks': 1,
    'spatial_channels': (24, 48, 96), 'head_units': (128, 64),
}

#: The fast member of the family (issue 32), for training on two CPU cores:
#: the central 32 x 32 pixels (0.96 arcsec), the spectral stage at full
#: resolution, then 2x2 average pooling before the spatial stage, at half
#: (spectral stage, head) to three quarters (spatial stage) of v3's widths
#: and the same depth. Not yet the shipped
#: architecture: the shipped recipe still trains v3's widths
#: (`benchmarks/bench_training_speed.py` compares the two).
FAST_ARCHITECTURE = {
    'stem_channels': 16, 'spectral_channels': 32, 'n_spectral_blocks': 2,
    'spatial_channels': (48, 96, 192), 'head_units': (256, 128),
    'crop': 32, 'early_pool': 2,
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


def _fit(clf, train, val, *, class_weights, lr, max_epochs, patience, schedule, calibrate,
         run, weight_decay=0.0, logit_shift=None, logit_shift_weight=0.0):
    """Train ``clf.model`` on the batches; record the calibration and training priors."""
    n_classes = len(clf.classes)
    counts = np.asarray(train.class_counts(n_classes), float)
    weights = _class_weights(class_weights, counts)
    trainer = Trainer(clf.model, n_classes=n_classes, lr=lr, class_weights=weights,
                      weight_decay=weight_decay, logit_shift=logit_shift,
                      logit_shift_weight=logit_shift_weight,
                      schedule=schedule, max_epochs=max_epochs, patience=patience,
                      device=clf.device, **run.trainer_options())
    history = trainer.fit(train, val, resume=run.resume)
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


def train_highz(cutouts, labels, *, validation=0.2, model=None, bands=None, classes=None,
                pixel_scale=None, normalization=None, augmentation='default', batch_size=64,
                lr=5e-4, class_weights='balanced', schedule='plateau', max_epochs=30,
                patience=5, calibrate=True, name=None, training=None, run=None):
    """
    Train a high-z classifier on your own labelled cutouts.

    This is the path for users with a labelled sample (spectroscopic
    redshifts, confirmed brown dwarfs): cut the sources out of your mosaics
    with `~astro_galclass.highz.extract_cutouts`, label each with a class
    name or its index in ``classes``, and train. A stratified fraction of
    the data (``validation``) is held out for early stopping and
    temperature scaling unless a validation set is given. To continue a
    trained classifier on your labels, use
    `~astro_galclass.training.fine_tune_highz`.

    Parameters
    ----------
    cutouts : array-like, `~astropy.units.Quantity`, NDData or sequence
        Any form `~astro_galclass.HighZClassifier.classify` accepts:
        ``(N, bands, size, size)`` in nJy per pixel when plain numbers.
    labels : array-like of int or str
        ``(N,)`` class index or class name of each cutout.
    validation : float or (cutouts, labels), optional
        Fraction held out for validation (stratified by class, with
        ``run.seed``; default 0.2), or a separate validation set (same
        forms).
    model : `~astro_galclass.highz.LymanBreakCNN`, optional
        The network to train (default: the compact architecture,
        `COMPACT_ARCHITECTURE`, freshly initialised).
    bands, classes, pixel_scale, normalization :
        As for `~astro_galclass.HighZClassifier` with a model instance.
    augmentation : `~astro_galclass.training.CutoutAugmentation`, 'default' or None
        ``'default'``: flips, rotations and shifts of up to half a pixel.
    batch_size : int, optional
        Cutouts per training batch (default 64), also the ``batch_size`` of
        the returned classifier.
    lr : float, optional
        Adam learning rate (default 5e-4); see `~astro_galclass.training.Trainer`.
    class_weights : 'balanced', None or array-like, optional
        Cross-entropy weights per class; ``'balanced'`` compensates unequal
        class sizes.
    schedule, max_epochs, patience :
        See `~astro_galclass.training.Trainer`.
    calibrate : bool, optional
        Fit a temperature on the validation set (stored in the classifier).
    name, training :
        As for `~astro_galclass.HighZClassifier` with a model instance.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, seed (also of the validation split and the augmentation),
        progress bars, checkpoints and time budget.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained classifier; save it with its ``save`` method.
    history : `~astropy.table.QTable`
        Losses and accuracy per epoch.
    """
    run = RunOptions.check(run)
    torch.manual_seed(run.seed)
    if model is None:
        model = LymanBreakCNN(n_bands=7 if bands is None else len(bands),
                              n_classes=3 if classes is None else len(classes),
                              **COMPACT_ARCHITECTURE)
    clf = HighZClassifier(model, device=run.device, batch_size=batch_size, bands=bands,
                          classes=classes, pixel_scale=pixel_scale,
                          normalization=normalization, name=name,
                          training=training or 'user-supplied labelled cutouts')
    flux = clf.prepare(cutouts)
    labels = check_class_labels(labels, clf.classes, len(flux))
    if isinstance(validation, tuple):
        if len(validation) != 2:
            msg = f'validation must be a (cutouts, labels) pair, got {len(validation)} items'
            raise ValueError(msg)
        val_flux = clf.prepare(validation[0])
        val_lab = check_class_labels(validation[1], clf.classes, len(val_flux),
                                     name='validation labels')
    else:
        if isinstance(validation, bool) or not isinstance(validation, (int, float)) or not (
                0 < validation < 1):
            msg = ('validation must be a fraction between 0 and 1 or a (cutouts, labels) '
                   f'pair, got {validation!r}')
            raise ValueError(msg)
        train_idx, val_idx = train_test_split(
            np.arange(len(labels)), test_size=float(validation),
            stratify=labels, random_state=run.seed)
        val_flux, val_lab = flux[val_idx], labels[val_idx]
        flux, labels = flux[train_idx], labels[train_idx]
    if augmentation == 'default':
        augmentation = CutoutAugmentation()
    common = {'batch_size': batch_size, 'normalization': clf.normalization}
    train = ArrayBatches(flux, labels, augmentation=augmentation, seed=run.seed, **common)
    val = ArrayBatches(val_flux, val_lab, shuffle=False, **common)
    history = _fit(clf, train, val, class_weights=class_weights, lr=lr,
                   max_epochs=max_epochs, patience=patience, schedule=schedule,
                   calibrate=calibrate, run=run)
    clf.metadata['recipe'] = fit_record(
        'astro_galclass.training.train_highz', history, n_train=len(labels),
        n_val=len(val_lab), lr=lr, batch_size=batch_size,
        class_weights=str(class_weights) if isinstance(class_weights, str) else
        (None if class_weights is None else list(np.asarray(class_weights, float))),
        schedule=schedule, max_epochs=max_epochs, patience=patience,
        seed=run.seed, augmentation=repr(augmentation), time_budget=run.time_budget)
    return clf, history


def train_highz_simulated(simulator, *, val_simulator, n_val=6000, batch_size=128,
                          batches_per_epoch=100, model=None, lr=5e-4,
                          class_weights='balanced', schedule='plateau', max_epochs=30,
                          patience=5, calibrate=True, name=None, mosaic_fraction=0.0,
                          workers=0, run=None):
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
        The simulators of the training batches and of the validation set.
    n_val : int, optional
        Validation cutouts drawn from ``val_simulator``.
    batch_size, batches_per_epoch : int, optional
        One epoch is ``batch_size * batches_per_epoch`` new cutouts.
    model : `~astro_galclass.highz.LymanBreakCNN`, optional
        Default: `COMPACT_ARCHITECTURE`, freshly initialised. Pass a trained
        network to continue its training (fine-tuning).
    lr, class_weights, schedule, max_epochs, patience, calibrate, name :
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
    run : `~astro_galclass.training.RunOptions`, optional
        Device, seed (also of the training batches and the augmentation),
        progress bars, checkpoints and time budget.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier.
    history : `~astropy.table.QTable`
        Losses and accuracy per epoch.
    """
    run = RunOptions.check(run)
    seed = run.seed
    torch.manual_seed(seed)
    if model is None:
        model = LymanBreakCNN(**COMPACT_ARCHITECTURE)
    training = (f'simulated NIRCam cutouts (astro_galclass NIRCamSimulator, depth '
                f'{simulator.depth!r}, seed {simulator.seed}); validation seed '
                f'{val_simulator.seed}')
    clf = HighZClassifier(model, device=run.device, batch_size=batch_size,
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
                   calibrate=calibrate, run=run)
    clf.metadata['simulator'] = simulator.settings()
    clf.metadata['validation_simulator'] = val_simulator.settings()
    clf.metadata['recipe'] = fit_record(
        'astro_galclass.training.train_highz_simulated', history,
        n_val=int(n_val), batch_size=batch_size, batches_per_epoch=batches_per_epoch,
        lr=lr, class_weights=str(class_weights), schedule=schedule,
        max_epochs=max_epochs, patience=patience, seed=seed,
        augmentation=repr(augmentation), mosaic_fraction=mosaic_fraction,
        workers=int(workers), time_budget=run.time_budget,
        cutouts_seen=len(history) * batch_size * batches_per_epoch)
    return clf, history


