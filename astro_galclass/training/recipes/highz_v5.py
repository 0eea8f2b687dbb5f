# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The recipe of the candidate version 5 of the high-z model: trained end to end on
two CPU cores (issue 32).

One network of the fast member of the family
(`~astro_galclass.training.FAST_ARCHITECTURE`: the central 32 x 32 pixels,
early 2 x 2 pooling, about 0.8 million parameters) with a band-availability
input, trained from random weights in one stage on batches that mix:

- sky-population sources (the published number counts, redshift
  distributions, colours and lines of a deep field), with varied rendering
  (PSF shapes, noise textures; ``NIRCamSimulator(rendering='varied')``);
- balanced-population sources (the z > 8 tail, bright brown dwarfs), also
  with varied rendering;
- sky-population sources cut out of simulated mosaics (resampling,
  neighbours, catalog centroids);

the classes in equal thirds in each, and each cutout keeping a random band
subset (`~astro_galclass.highz.BandDropout`: the seven bands, CEERS's six,
COSMOS-Web's four, or a random four to six). Training runs under bfloat16
autocast where the CPU has native BF16, and every epoch is a checkpoint, so
an interrupted run resumes (``--resume``) and repeats the uninterrupted one.
From the shell: ``galclass train-highz --recipe v5``.
"""

import time

import numpy as np
import torch
from astropy import units as u

from astro_galclass.highz.bands import BandDropout
from astro_galclass.highz.classifier import HighZClassifier
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.nircam import HIGHZ_CLASSES
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training._records import (
    fit_record,
    override_recipe,
    run_record,
    save_classifier,
)
from astro_galclass.training.augment import CutoutAugmentation
from astro_galclass.training.data import (
    ArrayBatches,
    BandDropoutBatches,
    MixedBatches,
    SimulatedBatches,
    SimulatedMosaicBatches,
)
from astro_galclass.training.highz import FAST_ARCHITECTURE, _fit
from astro_galclass.training.options import RunOptions
from astro_galclass.training.recipes.highz import _set_sky_priors

__all__ = ['HIGHZ_V5_RECIPE', 'train_highz_v5']

#: The candidate version 5 of the high-z model, one stage from random weights.
#: Per batch of 128: ``sky`` sky-population cutouts, ``balanced``
#: balanced-population ones, ``mosaic`` sky-population cutouts cut out of
#: simulated mosaics. ``p_all``: share of cutouts that keep all seven bands.
#: ``logit_shift_weight``: weight of the cross-entropy of the decisions at
#: the sky's class mix (``Trainer(logit_shift=)``, as version 4's head was
#: trained; 0 in the run measured on 2026-12-08).
HIGHZ_V5_RECIPE = {
    'depth': 'jades-deep',
    'architecture': 'fast',
    'rendering': 'varied',
    'train_seed': 20261208,
    'val_seed': 20261209,
    'n_val': 4000,
    'batch_size': 128,
    'sky': 68,
    'balanced': 52,
    'mosaic': 8,
    'p_all': 0.4,
    'batches_per_epoch': 150,
    'max_epochs': 26,
    'patience': 26,
    'lr': 1e-3,
    'weight_decay': 1e-4,
    'schedule': 'cosine',
    'precision': 'bf16',
    'logit_shift_weight': 0.0,
    'seed': 5,
}


def _simulator(recipe, population, seed, rendering):
    return NIRCamSimulator(depth=recipe['depth'], seed=seed, population=population,
                           rendering=rendering,
                           class_fractions=dict.fromkeys(HIGHZ_CLASSES, 1.0))


def _validation(recipe, clf, dropout):
    """Fixed validation batches drawn as the training ones are (shares of the recipe)."""
    n_val, batch = recipe['n_val'], recipe['batch_size']
    parts = []
    for key, population in (('sky', 'sky'), ('balanced', 'balanced')):
        sim = _simulator(recipe, population, recipe['val_seed'] + len(parts),
                         recipe['rendering'])
        flux, truth = sim.sample(round(n_val * recipe[key] / batch))
        parts.append((flux.to_value(u.nJy), np.asarray(truth['label'])))
    n_mosaic = round(n_val * recipe['mosaic'] / batch)
    if n_mosaic:
        mosaic = SimulatedMosaicBatches(
            _simulator(recipe, 'sky', recipe['val_seed'] + 2, 'standard'),
            batch_size=recipe['mosaic'], batches_per_epoch=1, normalization=None)
        parts.append(mosaic.draw(n_mosaic))
    flux = np.concatenate([f for f, _ in parts])
    labels = np.concatenate([la for _, la in parts])
    return BandDropoutBatches(ArrayBatches(flux, labels, batch_size=256,
                                           normalization=clf.normalization, shuffle=False),
                              dropout, seed=recipe['val_seed'], fixed=True)


def train_highz_v5(output, *, init=None, max_epochs=None, batches_per_epoch=None, n_val=None,
                   name='highz-v5', run=None):
    """
    Train the candidate version 5 of the high-z model (`HIGHZ_V5_RECIPE`); save it to ``output``.

    A fresh `~astro_galclass.highz.LymanBreakCNN` of
    `~astro_galclass.training.FAST_ARCHITECTURE` widths with a
    band-availability input, trained from random weights on sky- and
    balanced-population cutouts with varied rendering and on cutouts of
    simulated mosaics, each with a random band subset (see the module
    docstring), then calibrated (temperature scaling on the validation
    set). The classes are in equal thirds (uniform ``training_priors``);
    ``default_priors`` is the sky's class mix at the recipe's depth. Fits
    two CPU cores: every epoch is a checkpoint when ``run`` has a
    ``checkpoint_dir``, and ``run.resume`` continues an interrupted run,
    seeing the batches the uninterrupted one would have. The
    out-of-distribution statistics are fitted afterwards
    (``benchmarks/bench_highz_ood.py --write-weights``). From the shell:
    ``galclass train-highz --recipe v5``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        Weights of a band-masked network to continue instead of random
        weights (e.g. to train longer on a faster machine).
    max_epochs, batches_per_epoch, n_val : int, optional
        Override the recipe (a smoke run); the metadata records what was used.
    name : str, optional
        Name of the result.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints, resumption and time budget; the
        recipe fixes the seeds and the precision (``'bf16'``, replaced by
        ``'fp32'`` where the device has no native bfloat16).

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    start = time.perf_counter()
    run = RunOptions.check(run)
    recipe = override_recipe(HIGHZ_V5_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val)
    if max_epochs is not None:
        recipe['patience'] = recipe['max_epochs']
    precision = recipe['precision'] if _native_bf16(run.device) else 'fp32'
    seed = recipe['seed']
    torch.manual_seed(seed)
    if init is None:
        model = LymanBreakCNN(**FAST_ARCHITECTURE, band_mask=True)
    else:
        model = HighZClassifier(init, device='cpu').model
        if not getattr(model, 'band_mask', False):
            msg = f'init must be a band-masked network (band_mask=True), got {init}'
            raise ValueError(msg)
    clf = HighZClassifier(model, device=run.device, batch_size=256, name=name)
    common = {'batches_per_epoch': recipe['batches_per_epoch'],
              'normalization': clf.normalization}
    augmentation = CutoutAugmentation(flips=True, max_shift=0.5)
    sky = _simulator(recipe, 'sky', recipe['train_seed'], recipe['rendering'])
    balanced = _simulator(recipe, 'balanced', recipe['train_seed'] + 1, recipe['rendering'])
    streams = [SimulatedBatches(sky, batch_size=recipe['sky'], augmentation=augmentation,
                                seed=seed, **common),
               SimulatedBatches(balanced, batch_size=recipe['balanced'],
                                augmentation=augmentation, seed=seed + 1, **common)]
    if recipe['mosaic']:
        streams.append(SimulatedMosaicBatches(
            _simulator(recipe, 'sky', recipe['train_seed'] + 2, 'standard'),
            batch_size=recipe['mosaic'], seed=seed + 2,
            augmentation=CutoutAugmentation(flips=True, max_shift=0), **common))
    dropout = BandDropout(clf.bands, p_all=recipe['p_all'])
    train = BandDropoutBatches(MixedBatches(streams), dropout, seed=seed + 3)
    val = _validation(recipe, clf, dropout)
    mix = NIRCamSimulator(depth=recipe['depth']).sky_class_fractions()
    # equal thirds in training: the shift to the sky's mix is log(3 * share)
    shift = np.log([3 * mix[c] for c in clf.classes])
    history = _fit(clf, train, val, class_weights='balanced', lr=recipe['lr'],
                   logit_shift=shift if recipe['logit_shift_weight'] else None,
                   logit_shift_weight=recipe['logit_shift_weight'],
                   max_epochs=recipe['max_epochs'], patience=recipe['patience'],
                   schedule=recipe['schedule'], calibrate=True,
                   weight_decay=recipe['weight_decay'],
                   run=run.replace(seed=seed, precision=precision))
    _set_sky_priors(clf, recipe['depth'])
    seen = len(history) * recipe['batch_size'] * recipe['batches_per_epoch']
    clf.metadata['simulator'] = sky.settings()
    clf.metadata['balanced_simulator'] = balanced.settings()
    clf.metadata['recipe'] = {
        'reproduce': 'galclass train-highz --recipe v5',
        'init': None if init is None else str(init),
        **fit_record('astro_galclass.training.recipes.highz_v5.train_highz_v5', history,
                     **recipe, precision_used=precision, band_dropout=repr(dropout),
                     augmentation=repr(augmentation), time_budget=run.time_budget,
                     cutouts_seen=seen, architecture_widths=FAST_ARCHITECTURE),
        **run_record(clf, start), 'cutouts_seen': seen,
        'torch_num_threads': torch.get_num_threads()}
    clf.metadata['training'] = (
        'trained from random weights on NIRCamSimulator sources only (simulated, no real '
        f"data): sky and balanced populations at depth {recipe['depth']!r} with varied "
        'PSFs and noise textures, and cutouts of simulated mosaics, each with a random '
        'band subset (seven bands, CEERS six, COSMOS-Web four, or four to six)')
    return save_classifier(clf, output), history


def _native_bf16(device):
    """Whether bfloat16 autocast speeds up training on ``device``."""
    device = torch.device('cuda' if device == 'auto' and torch.cuda.is_available()
                          else 'cpu' if device == 'auto' else device)
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported()
    try:
        with open('/proc/cpuinfo') as info:
            flags = info.read()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags
