# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Rebuild the shipped weights: ``python -m astro_galclass.training.reproduce highz``.

The recipe is fixed here (simulator depth and seeds, architecture, batch
size, epochs), so that anyone can retrain the shipped model and compare.
It runs on the CPU (88 minutes on 2 cores for the shipped file) or on CUDA when present.
Bit-identical weights are not promised across machines and torch versions
(floating-point reductions differ); the evaluation numbers should agree
within their statistical errors.
"""

import argparse
import sys
import time
from pathlib import Path

import torch

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training.highz import train_highz_simulated

__all__ = ['HIGHZ_RECIPE', 'main', 'reproduce_highz']

#: The recipe of the shipped high-z model.
HIGHZ_RECIPE = {
    'depth': 'jades-deep',
    'train_seed': 20261122,
    'val_seed': 20261123,
    'n_val': 6000,
    'batch_size': 128,
    'batches_per_epoch': 100,
    'max_epochs': 28,
    'patience': 6,
    'lr': 5e-4,
    'seed': 0,
}

_DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / 'data' / 'highz_default.pt'


def reproduce_highz(output=_DEFAULT_OUTPUT, *, device='auto', max_epochs=None,
                    batches_per_epoch=None, n_val=None, checkpoint_dir=None,
                    progress=True):
    """
    Train the shipped high-z model with `HIGHZ_RECIPE` and save it to ``output``.

    ``max_epochs``, ``batches_per_epoch`` and ``n_val`` override the recipe
    (for a quick smoke run); the weights metadata records what was used.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
    history : `~astropy.table.QTable`
    """
    recipe = dict(HIGHZ_RECIPE)
    for key, value in (('max_epochs', max_epochs), ('batches_per_epoch', batches_per_epoch),
                       ('n_val', n_val)):
        if value is not None:
            recipe[key] = int(value)
    sim = NIRCamSimulator(depth=recipe['depth'], seed=recipe['train_seed'])
    val_sim = NIRCamSimulator(depth=recipe['depth'], seed=recipe['val_seed'])
    clf, history = train_highz_simulated(
        sim, val_simulator=val_sim, n_val=recipe['n_val'],
        batch_size=recipe['batch_size'], batches_per_epoch=recipe['batches_per_epoch'],
        lr=recipe['lr'], max_epochs=recipe['max_epochs'], patience=recipe['patience'],
        device=device, seed=recipe['seed'], checkpoint_dir=checkpoint_dir,
        progress=progress, name='highz-sim-jades-deep-v1')
    clf.metadata['recipe']['reproduce'] = ('python -m astro_galclass.training.reproduce '
                                           'highz')
    clf.metadata['recipe']['device'] = str(clf.device)
    clf.metadata['recipe']['torch_version'] = torch.__version__
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    clf.save(output)
    return clf, history


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m astro_galclass.training.reproduce',
        description='Retrain a shipped model with its recorded recipe.')
    parser.add_argument('model', choices=['highz'], help='which shipped model')
    parser.add_argument('--output', type=Path, default=_DEFAULT_OUTPUT,
                        help='weights file to write (default: the shipped file)')
    parser.add_argument('--device', default='auto')
    parser.add_argument('--max-epochs', type=int, default=None)
    parser.add_argument('--batches-per-epoch', type=int, default=None)
    parser.add_argument('--n-val', type=int, default=None)
    parser.add_argument('--checkpoint-dir', type=Path, default=None)
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    clf, history = reproduce_highz(args.output, device=args.device,
                                   max_epochs=args.max_epochs,
                                   batches_per_epoch=args.batches_per_epoch,
                                   n_val=args.n_val, checkpoint_dir=args.checkpoint_dir,
                                   progress=not args.no_progress)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'\ntemperature {clf.temperature:.3f}; wrote {args.output} '
          f'in {time.perf_counter() - start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
