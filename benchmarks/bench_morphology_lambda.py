# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The tree-penalty study: lambda = 0, 0.001, 0.01, and the tree output layer.

The seed project trained 37 independent sigmoids with RMSE plus lambda times
a penalty on the violated tree identities, at one lambda, and never
compared lambda = 0. Here the same network (`ParallelCNN` at width 0.25,
a quarter of the shipped model's channels, so that the study runs on two
CPU cores) is trained with the same seed, data and budget:

- ``head='sigmoid'`` at lambda = 0, 0.001 and 0.01
  (`~astro_galclass.morphology.tree_constraint_penalty`, question-7 bug
  fixed);
- ``head='tree'`` (`~astro_galclass.morphology.TreeOutput`), which satisfies
  the identities by construction (lambda is irrelevant).

Printed: RMSE over the 37 Kaggle targets on an independent simulated test
set, the largest and the mean tree-identity residual of the predictions,
and the smooth-versus-featured accuracy on unambiguous galaxies.

``python benchmarks/bench_morphology_lambda.py`` (part of ``tox -e bench``;
about 15 minutes on 2 cores with the defaults).
"""

import argparse
import time

import numpy as np
import torch
from astropy.table import QTable

from astro_galclass.morphology import GZ2_TREE, ParallelCNN
from astro_galclass.simulate import MorphologySimulator
from astro_galclass.training import RunOptions, evaluate_morphology, train_morphology


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-train', type=int, default=5000)
    parser.add_argument('--n-test', type=int, default=2000)
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--device', default='auto')
    args = parser.parse_args(argv)

    start = time.perf_counter()
    images, truth = MorphologySimulator(seed=301).sample(args.n_train)
    test_images, test_truth = MorphologySimulator(seed=302).sample(args.n_test)
    rows = []
    for head, lam in (('sigmoid', 0.0), ('sigmoid', 0.001), ('sigmoid', 0.01), ('tree', 0.0)):
        torch.manual_seed(0)
        t0 = time.perf_counter()
        clf, _history = train_morphology(
            images, truth, model=ParallelCNN(head=head, width=0.25), loss='rmse', lam=lam,
            max_epochs=args.epochs, patience=args.epochs,
            run=RunOptions(device=args.device, seed=0, progress=False))
        result = evaluate_morphology(clf, test_images, test_truth)
        residuals = GZ2_TREE.identity_residuals(clf.predict_kaggle(test_images))
        rows.append({'head': head, 'lambda': lam if head == 'sigmoid' else np.nan,
                     'test_rmse': float(result['rmse'][0]),
                     'max_tree_residual': float(residuals.max()),
                     'mean_tree_residual': float(residuals.mean()),
                     'smooth_featured_accuracy': result.meta['smooth_featured_accuracy'],
                     'train_seconds': time.perf_counter() - t0})
        print(f'{head} lambda={lam}: RMSE {rows[-1]["test_rmse"]:.4f}', flush=True)
    table = QTable(rows=rows)
    for name in ('test_rmse', 'smooth_featured_accuracy'):
        table[name].info.format = '.4f'
    for name in ('max_tree_residual', 'mean_tree_residual'):
        table[name].info.format = '.2e'
    table['train_seconds'].info.format = '.0f'
    print(f'\nParallelCNN(width=0.25), {args.n_train} simulated training galaxies '
          f'(10% held out), {args.epochs} epochs, test on {args.n_test} others:')
    table.pprint(max_lines=-1, max_width=-1)
    print(f'total {time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
