# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The recipes of the shipped high-z model that train on simulated batches.

`reproduce_highz` trains version 3 from scratch in two stages
(`HIGHZ_STAGE1_RECIPE`, `HIGHZ_STAGE2_RECIPE`); `continue_highz_sky`
continues a network on the sky population (`HIGHZ_SKY_RECIPE`, an
experiment); `continue_highz_bands` turns a seven-band network into one that
takes any band subset (`HIGHZ_BANDS_RECIPE`). Version 4 retrains the head of
version 3 (`astro_galclass.training.recipes.highz_head`). From the shell:
``galclass train-highz --recipe shipped|sky|bands``.
"""

import time
from pathlib import Path

import numpy as np
import torch
from astropy import units as u

from astro_galclass.highz.bands import BandDropout
from astro_galclass.highz.classifier import HighZClassifier
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training._records import (
    check_stage2_epochs,
    fit_record,
    override_recipe,
    run_record,
    save_classifier,
    stage_budgets,
)
from astro_galclass.training.augment import CutoutAugmentation
from astro_galclass.training.data import (
    ArrayBatches,
    BandDropoutBatches,
    MixedBatches,
    SimulatedBatches,
    SimulatedMosaicBatches,
)
from astro_galclass.training.highz import COMPACT_ARCHITECTURE, _fit, train_highz_simulated
from astro_galclass.training.options import RunOptions

__all__ = ['HIGHZ_BANDS_RECIPE', 'HIGHZ_SKY_RECIPE', 'HIGHZ_STAGE1_RECIPE',
           'HIGHZ_STAGE2_RECIPE', 'continue_highz_bands', 'continue_highz_sky',
           'reproduce_highz']

#: Stage 1 of the shipped high-z model: the default `LymanBreakCNN` from
#: random weights, on batches of which a tenth is cut out of simulated
#: mosaics, simulated by ``workers`` processes (the sequence of batches
#: depends on that number, so it is part of the recipe).
HIGHZ_STAGE1_RECIPE = {
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

#: Stage 2 of the shipped high-z model (version 3): continued training of the
#: stage-1 network on new batches, learning rate decaying from 2e-4.
HIGHZ_STAGE2_RECIPE = {
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



def _stage_model(init, recipe, device):
    """The network stage 1 starts from: fresh, or a weights file's (``init``)."""
    if init is None:
        torch.manual_seed(recipe['seed'])
        return None, (LymanBreakCNN() if recipe['architecture'] == 'default'
                      else LymanBreakCNN(**COMPACT_ARCHITECTURE))
    loaded = HighZClassifier(init, device=device)
    return loaded, loaded.model


def _simulated_stage(recipe, model, *, name, calibrate, run):
    """One stage on simulated batches: `train_highz_simulated` with the recipe's settings."""
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
        workers=recipe['workers'], calibrate=calibrate, name=name,
        run=run.replace(seed=recipe['seed']))
    clf.metadata['recipe'] = {**clf.metadata['recipe'], 'train_seed': recipe['train_seed'],
                              'val_seed': recipe['val_seed'],
                              'population': population['population'], **run_record(clf, start)}
    return clf, history


def reproduce_highz(output, *, init=None, max_epochs=None, stage2_epochs=None,
                    batches_per_epoch=None, n_val=None, workers=None, run=None):
    """
    Train the shipped high-z model with its two-stage recipe; save it to ``output``.

    Stage 1 (`HIGHZ_STAGE1_RECIPE`) trains the default
    `~astro_galclass.highz.LymanBreakCNN` from scratch on batches of cutouts
    rendered on the model grid, a tenth of them cut out of simulated
    mosaics; stage 2 (`HIGHZ_STAGE2_RECIPE`) continues on new batches with
    a lower learning rate. The shipped weights were trained on a GPU (an
    H100, about 14 minutes); on two CPU cores the network trains at about 26
    cutouts per second, so the recipe (1.1 million cutouts) takes about half
    a day there. From the shell: ``galclass train-highz --recipe shipped``.

    Parameters
    ----------
    output : path-like
        Weights file to write (its folder is created).
    init : path-like, optional
        A weights file (e.g. a stage-1 result or the shipped model): skip
        stage 1 and run stage 2 from its network.
    max_epochs, stage2_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipes (for a quick smoke run): ``max_epochs`` is
        stage 1's, ``stage2_epochs`` stage 2's (0 stops after stage 1); the
        weights metadata records what was used. The batches depend on
        ``workers`` (simulation processes): the recipe's numbers repeat the
        shipped run.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars and checkpoints (stage 2's in ``stage2/``);
        its ``time_budget`` is split over the stages in proportion to their
        work, each stage fitting its epochs to its share, so that a run on a
        lent machine ends calibrated and saved. The recipes fix the seeds.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The history of the last stage run.
    """
    run = RunOptions.check(run)
    stage1 = override_recipe(HIGHZ_STAGE1_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    stage2 = override_recipe(HIGHZ_STAGE2_RECIPE, max_epochs=stage2_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val,
                             workers=workers)
    check_stage2_epochs(stage2['max_epochs'], init)
    budget1, budget2 = stage_budgets(run.time_budget, {**stage1, 'max_epochs': 0}
                                     if init is not None else stage1, stage2)
    command = 'galclass train-highz --recipe shipped'
    loaded, model = _stage_model(init, stage1, run.device)
    if loaded is None:
        first, history = _simulated_stage(
            stage1, model, name='highz-sim-jades-deep-v3-stage1',
            calibrate=stage2['max_epochs'] == 0, run=run.replace(time_budget=budget1))
        if stage2['max_epochs'] == 0:
            first.metadata['recipe']['reproduce'] = f'{command} --stage2-epochs 0'
            return save_classifier(first, output), history
        stage1_record = first.metadata['recipe']
        training = first.metadata['training']
    else:
        stage1_record = {**loaded.metadata.get('recipe', {}), 'loaded_from': Path(init).name}
        training = loaded.metadata.get('training', 'not recorded')
        model = loaded.model
    clf, history = _simulated_stage(
        stage2, model, name='highz-sim-jades-deep-v3', calibrate=True,
        run=run.replace(time_budget=budget2, checkpoint_dir=None if run.checkpoint_dir is None
                        else run.checkpoint_dir / 'stage2'))
    stage2_record = clf.metadata['recipe']
    clf.metadata['recipe'] = {
        'reproduce': command, 'stage1': stage1_record, 'stage2': stage2_record,
        'cutouts_seen': stage1_record.get('cutouts_seen', 0) + stage2_record['cutouts_seen'],
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    clf.metadata['training'] = (f'{training}; then continued on simulated direct and mosaic '
                                f'cutouts ({clf.metadata["training"]})')
    return save_classifier(clf, output), history


def _start_from(init, device):
    """The network a recipe continues (default: the shipped one) and its recipe record."""
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


def continue_highz_sky(output, *, init=None, max_epochs=None, batches_per_epoch=None,
                       n_val=None, workers=None, name='highz-sim-jades-deep-sky', run=None):
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
    max_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipe; the metadata records what was used.
    name : str, optional
        Name of the result.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints and time budget (the epochs are
        fitted to it); the recipe fixes the seeds.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    run = RunOptions.check(run)
    recipe = override_recipe(HIGHZ_SKY_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    loaded, previous = _start_from(init, run.device)
    clf, history = _simulated_stage(recipe, loaded.model, name=name, calibrate=True, run=run)
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


def continue_highz_bands(output, *, init=None, max_epochs=None, batches_per_epoch=None,
                         n_val=None, workers=None, name='highz-sim-bands', run=None):
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
    max_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipe; the metadata records what was used.
    name : str, optional
        Name of the result.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints and time budget (the epochs are
        fitted to it); the recipe fixes the seeds.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The trained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    start = time.perf_counter()
    run = RunOptions.check(run)
    recipe = override_recipe(HIGHZ_BANDS_RECIPE, max_epochs=max_epochs,
                             batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    loaded, previous = _start_from(init, run.device)
    if loaded.model.band_mask:
        msg = f'{loaded.name!r} already takes a band-availability input'
        raise ValueError(msg)
    torch.manual_seed(recipe['seed'])
    model = loaded.model.to('cpu').with_band_mask()
    clf = HighZClassifier(model, device=run.device, batch_size=recipe['batch_size'],
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
                   schedule=recipe['schedule'], calibrate=True, run=run.replace(seed=seed))
    _set_sky_priors(clf, recipe['depth'])
    seen = len(history) * batch * recipe['batches_per_epoch']
    clf.metadata['simulator'] = balanced.settings()
    clf.metadata['sky_simulator'] = sky.settings()
    clf.metadata['recipe'] = {
        'reproduce': 'galclass train-highz --recipe bands',
        'previous': previous,
        'bands': {**fit_record('astro_galclass.training.recipes.highz.continue_highz_bands',
                               history, **recipe, band_dropout=repr(dropout),
                               augmentation=repr(augmentation), time_budget=run.time_budget,
                               cutouts_seen=seen),
                  **run_record(clf, start)},
        'cutouts_seen': previous.get('cutouts_seen', 0) + seen,
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    clf.metadata['training'] = (
        f"{loaded.metadata.get('training', 'not recorded')}; then given a band-availability "
        'input and continued on balanced- and sky-population NIRCamSimulator sources '
        f"(depth {recipe['depth']!r}) with random band subsets")
    return save_classifier(clf, output), history


