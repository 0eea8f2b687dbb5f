# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Rebuild the shipped weights: ``python -m astro_galclass.training.reproduce highz``
(or ``morphology``).

The recipe is fixed here (simulator depth and seeds, architecture, batch
size, epochs, simulation processes), so that anyone can retrain the shipped
models and compare. Each has two stages. High-z: `HIGHZ_RECIPE` trains the
network from scratch on batches of which a tenth is cut out of simulated
mosaics (the path real data take) and the rest rendered on the model grid;
`HIGHZ_FINETUNE_RECIPE` continues from there on new batches with a lower,
cosine-decaying learning rate. Morphology: `MORPHOLOGY_RECIPE` and
`MORPHOLOGY_FINETUNE_RECIPE`, on two sets of 120,000 simulated galaxies.
The shipped weights of both were trained on a lent GPU; the recipes run on
CUDA when present and on the CPU otherwise (hours to a day on two cores;
see each function). ``--init`` starts stage 2 from an existing stage-1
file; ``--finetune-epochs 0`` stops after stage 1. Bit-identical weights
are not promised across machines and torch versions (floating-point
reductions differ); the evaluation numbers should agree within their
statistical errors.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import torch

from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training.highz import COMPACT_ARCHITECTURE, train_highz_simulated

__all__ = ['HIGHZ_FINETUNE_RECIPE', 'HIGHZ_RECIPE', 'MORPHOLOGY_FINETUNE_RECIPE',
           'MORPHOLOGY_RECIPE', 'main',
           'reproduce_highz', 'reproduce_morphology']

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

#: Stage 1 of the shipped morphology model: the seed's Parallel CNN at its
#: full width, from scratch, on 120,000 simulated galaxies.
MORPHOLOGY_RECIPE = {
    'simulator_seed': 20261203,
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

_DATA = Path(__file__).resolve().parent.parent / 'data'
_DEFAULT_OUTPUT = _DATA / 'highz_default.pt'
_DEFAULT_MORPHOLOGY_OUTPUT = _DATA / 'morphology_default.pt'


def _check_finetune_epochs(epochs, init):
    """Stage-2 epochs: >= 0, and > 0 when stage 2 starts from ``init``."""
    if epochs < 0 or (epochs == 0 and init is not None):
        msg = ('finetune_epochs must be >= 0, and > 0 with init (0 means stage 1 only), '
               f'got {epochs} with init={init}')
        raise ValueError(msg)


def _override(recipe, **values):
    recipe = dict(recipe)
    for key, value in values.items():
        if value is not None:
            recipe[key] = int(value)
    return recipe


def reproduce_highz(output=_DEFAULT_OUTPUT, *, device='auto', init=None, max_epochs=None,
                    finetune_epochs=None, batches_per_epoch=None, n_val=None, workers=None,
                    checkpoint_dir=None, progress=True):
    """
    Train the shipped high-z model with its two-stage recipe; save it to ``output``.

    Stage 1 (`HIGHZ_RECIPE`) trains the default
    `~astro_galclass.highz.LymanBreakCNN` from scratch on batches of cutouts
    rendered on the model grid, a tenth of them cut out of simulated
    mosaics; stage 2 (`HIGHZ_FINETUNE_RECIPE`) continues on new batches with
    a lower learning rate. The shipped weights were trained on a GPU (an
    H100, about 14 minutes); on two CPU cores the network trains at about 26
    cutouts per second, so the recipe (1.1 million cutouts) takes about half
    a day there.

    Parameters
    ----------
    output : path, optional
        Weights file to write (default: the shipped file).
    device : str, optional
    init : path, optional
        A stage-1 weights file: skip stage 1 and start stage 2 from it.
    max_epochs, finetune_epochs, batches_per_epoch, n_val, workers : int, optional
        Override the recipes (for a quick smoke run); the weights metadata
        records what was used. ``finetune_epochs=0`` stops after stage 1.
        The batches depend on ``workers`` (simulation processes): the
        recipe's numbers repeat the shipped run.
    checkpoint_dir : path, optional
    progress : bool, optional

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
    history : `~astropy.table.QTable` or None
        The history of stage 2 (None when ``finetune_epochs=0``).
    """
    from astro_galclass.highz.classifier import HighZClassifier

    stage1 = _override(HIGHZ_RECIPE, max_epochs=max_epochs,
                       batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    stage2 = _override(HIGHZ_FINETUNE_RECIPE, max_epochs=finetune_epochs,
                       batches_per_epoch=batches_per_epoch, n_val=n_val, workers=workers)
    _check_finetune_epochs(stage2['max_epochs'], init)
    stage1_only = stage2['max_epochs'] == 0
    start = time.perf_counter()
    if init is None:
        torch.manual_seed(stage1['seed'])
        model = (LymanBreakCNN() if stage1['architecture'] == 'default'
                 else LymanBreakCNN(**COMPACT_ARCHITECTURE))
        first, _ = train_highz_simulated(
            NIRCamSimulator(depth=stage1['depth'], seed=stage1['train_seed']),
            val_simulator=NIRCamSimulator(depth=stage1['depth'], seed=stage1['val_seed']),
            model=model, n_val=stage1['n_val'], batch_size=stage1['batch_size'],
            batches_per_epoch=stage1['batches_per_epoch'], lr=stage1['lr'],
            schedule=stage1['schedule'], max_epochs=stage1['max_epochs'],
            patience=stage1['patience'], mosaic_fraction=stage1['mosaic_fraction'],
            workers=stage1['workers'], device=device, seed=stage1['seed'],
            checkpoint_dir=checkpoint_dir, progress=progress,
            calibrate=stage1_only, name='highz-sim-jades-deep-v3-stage1')
        stage1_record = {**first.metadata['recipe'],
                         'seconds': round(time.perf_counter() - start)}
        if stage1_only:
            first.metadata['recipe'] = {
                **stage1_record, 'device': str(first.device),
                'reproduce': ('python -m astro_galclass.training.reproduce highz '
                              '--finetune-epochs 0'),
                'torch_version': torch.__version__}
            return _save(first, output), None
    else:
        first = HighZClassifier(init, device=device)
        stage1_record = dict(first.metadata['recipe'])
        stage1_record['loaded_from'] = Path(init).name
    start2 = time.perf_counter()
    clf, history = train_highz_simulated(
        NIRCamSimulator(depth=stage2['depth'], seed=stage2['train_seed']),
        val_simulator=NIRCamSimulator(depth=stage2['depth'], seed=stage2['val_seed']),
        model=first.model, n_val=stage2['n_val'], batch_size=stage2['batch_size'],
        batches_per_epoch=stage2['batches_per_epoch'], lr=stage2['lr'],
        schedule=stage2['schedule'], max_epochs=stage2['max_epochs'],
        patience=stage2['patience'], mosaic_fraction=stage2['mosaic_fraction'],
        workers=stage2['workers'], device=device, seed=stage2['seed'],
        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir) / 'stage2',
        progress=progress, name='highz-sim-jades-deep-v3')
    stage2_record = {**clf.metadata['recipe'],
                     'seconds': round(time.perf_counter() - start2)}
    clf.metadata['recipe'] = {
        'reproduce': 'python -m astro_galclass.training.reproduce highz',
        'stage1': stage1_record,
        'stage2': stage2_record,
        'cutouts_seen': stage1_record['cutouts_seen'] + stage2_record['cutouts_seen'],
        'device': str(clf.device),
        'torch_version': torch.__version__,
    }
    clf.metadata['training'] = (
        f'{first.metadata.get("training", "")}; then continued on simulated '
        f'direct and mosaic cutouts ({clf.metadata["training"]})')
    return _save(clf, output), history


def reproduce_morphology(output=_DEFAULT_MORPHOLOGY_OUTPUT, *, device='auto', init=None,
                         max_epochs=None, finetune_epochs=None, n_images=None,
                         checkpoint_dir=None, progress=True):
    """
    Train the shipped morphology model with its recipe; save it to ``output``.

    Stage 1 (`MORPHOLOGY_RECIPE`): `~astro_galclass.simulate.MorphologySimulator`
    draws 120,000 galaxies with vote fractions from about 40 simulated
    volunteers (in parallel chunks of
    `~astro_galclass.simulate.MorphologySimulator.PARALLEL_CHUNK`, using every
    CPU core; the galaxies do not depend on the number of cores); the seed's
    `~astro_galclass.morphology.ParallelCNN` at full width with the tree
    output layer is trained on them with
    `~astro_galclass.training.train_morphology` (RMSE on the Kaggle targets,
    rotations and flips, a held-out tenth for validation). Stage 2
    (`MORPHOLOGY_FINETUNE_RECIPE`) continues on 120,000 other simulated
    galaxies. Both stages use a cosine-decaying learning rate. The shipped
    weights were trained on a GPU (an H100, about 13 minutes); on two CPU
    cores the same recipe takes about a day.

    Parameters
    ----------
    output : path, optional
        Weights file to write (default: the shipped file).
    device : str, optional
    init : path, optional
        A stage-1 weights file: skip stage 1 and run stage 2 from it.
    max_epochs, finetune_epochs, n_images : int, optional
        Override the recipes (for a quick smoke run; ``n_images`` applies to
        both stages); the weights metadata records what was used.
        ``finetune_epochs=0`` stops after stage 1.
    checkpoint_dir : path, optional
    progress : bool, optional

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
    history : `~astropy.table.QTable`
        The history of the last stage run.
    """
    from astro_galclass.morphology import MorphologyClassifier, ParallelCNN

    stage1 = _override(MORPHOLOGY_RECIPE, max_epochs=max_epochs, n_images=n_images)
    stage2 = _override(MORPHOLOGY_FINETUNE_RECIPE, max_epochs=finetune_epochs,
                       n_images=n_images)
    _check_finetune_epochs(stage2['max_epochs'], init)
    if init is None:
        torch.manual_seed(stage1['seed'])
        clf, history = _morphology_stage(
            stage1, ParallelCNN(width=stage1['width']), 'morphology-sim-parallelcnn-v3-stage1',
            device, checkpoint_dir, progress)
        if stage2['max_epochs'] == 0:
            clf.metadata['recipe']['reproduce'] = (
                'python -m astro_galclass.training.reproduce morphology --finetune-epochs 0')
            return _save(clf, output), history
        first = clf.metadata
    else:
        loaded = MorphologyClassifier(init, device=device)
        first = loaded.metadata
        clf = loaded
    record1 = {**first['recipe'], 'loaded_from': Path(init).name} if init else first['recipe']
    clf, history = _morphology_stage(
        stage2, clf.model, 'morphology-sim-parallelcnn-v3', device,
        None if checkpoint_dir is None else Path(checkpoint_dir) / 'stage2', progress)
    clf.metadata['training'] = f'{first["training"]}; then {clf.metadata["training"]}'
    clf.metadata['recipe'] = {
        'reproduce': 'python -m astro_galclass.training.reproduce morphology',
        'stage1': record1, 'stage2': clf.metadata['recipe'],
        'device': str(clf.device), 'torch_version': torch.__version__}
    return _save(clf, output), history


def _morphology_stage(recipe, model, name, device, checkpoint_dir, progress):
    """One training stage of the morphology recipe, on freshly simulated galaxies."""
    from astro_galclass.simulate import MorphologySimulator
    from astro_galclass.training.morphology import train_morphology

    start = time.perf_counter()
    torch.manual_seed(recipe['seed'])
    sim = MorphologySimulator(seed=recipe['simulator_seed'], voters=recipe['voters'])
    images, truth = sim.sample(recipe['n_images'], workers=os.cpu_count() or 1)
    clf, history = train_morphology(
        images, truth, model=model, loss='rmse', val_fraction=recipe['val_fraction'],
        batch_size=recipe['batch_size'], lr=recipe['lr'], schedule=recipe['schedule'],
        max_epochs=recipe['max_epochs'], patience=recipe['patience'], device=device,
        seed=recipe['seed'], checkpoint_dir=checkpoint_dir, progress=progress, name=name)
    clf.metadata['simulator'] = sim.settings()
    clf.metadata['training'] = (f'simulated galaxies (astro_galclass MorphologySimulator, seed '
                                f'{recipe["simulator_seed"]}); {clf.metadata["training"]}')
    clf.metadata['recipe'] = {
        **clf.metadata['recipe'], **recipe,
        'reproduce': 'python -m astro_galclass.training.reproduce morphology',
        'seconds': round(time.perf_counter() - start), 'device': str(clf.device),
        'torch_version': torch.__version__}
    return clf, history


def _save(clf, output):
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    clf.save(output)
    return clf


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m astro_galclass.training.reproduce',
        description='Retrain a shipped model with its recorded recipe.')
    parser.add_argument('model', choices=['highz', 'morphology'], help='which shipped model')
    parser.add_argument('--output', type=Path, default=None,
                        help='weights file to write (default: the shipped file)')
    parser.add_argument('--device', default='auto')
    parser.add_argument('--init', type=Path, default=None,
                        help='a stage-1 weights file: run stage 2 only, from it')
    parser.add_argument('--max-epochs', type=int, default=None)
    parser.add_argument('--finetune-epochs', type=int, default=None)
    parser.add_argument('--batches-per-epoch', type=int, default=None)
    parser.add_argument('--n-val', type=int, default=None)
    parser.add_argument('--workers', type=int, default=None,
                        help='high-z: simulation processes (changes the batches)')
    parser.add_argument('--n-images', type=int, default=None,
                        help='morphology: simulated galaxies')
    parser.add_argument('--checkpoint-dir', type=Path, default=None)
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.model == 'morphology':
        output = args.output or _DEFAULT_MORPHOLOGY_OUTPUT
        clf, history = reproduce_morphology(output, device=args.device, init=args.init,
                                            max_epochs=args.max_epochs,
                                            finetune_epochs=args.finetune_epochs,
                                            n_images=args.n_images,
                                            checkpoint_dir=args.checkpoint_dir,
                                            progress=not args.no_progress)
        history.pprint(max_lines=-1, max_width=-1)
        print(f'\nwrote {output} in {time.perf_counter() - start:.0f} s')
        return 0
    args.output = args.output or _DEFAULT_OUTPUT
    clf, history = reproduce_highz(args.output, device=args.device, init=args.init,
                                   max_epochs=args.max_epochs,
                                   finetune_epochs=args.finetune_epochs,
                                   batches_per_epoch=args.batches_per_epoch,
                                   n_val=args.n_val, workers=args.workers,
                                   checkpoint_dir=args.checkpoint_dir,
                                   progress=not args.no_progress)
    if history is not None:
        history.pprint(max_lines=-1, max_width=-1)
    print(f'\ntemperature {clf.temperature:.3f}; wrote {args.output} '
          f'in {time.perf_counter() - start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
