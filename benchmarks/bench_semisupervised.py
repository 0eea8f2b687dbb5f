# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Semi-supervised high-z selection against the fraction of labelled sources.

A simulated JADES-deep field of 20,000 sources (seed 2026) is what the
learners see, with 1%, 5%, 20% or 100% of its labels kept (three random
draws below 100%); 10,000 independent sources (seed 2027) are the test set.
Printed per fraction: accuracy, high-z completeness and contamination of
`~astro_galclass.semisupervised.SemiSupervisedClassifier` and of a Random
Forest trained on the labelled rows alone (at 100% the fully supervised
forest), on the same aperture-photometry features; and of the shipped CNN,
which needs no labels of this field (trained on other simulations).
``--embedding`` appends the CNN's 64-number penultimate embedding of each
cutout to the photometry features of both learners.

``python benchmarks/bench_semisupervised.py [--embedding]`` (part of
``tox -e bench``; about 20 minutes on 2 cores).
"""

import argparse
import os
import time

import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.nircam import selection_metrics
from astro_galclass.semisupervised import (
    label_fraction_benchmark,
    photometry_features,
    simulated_photometry,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-field', type=int, default=20_000)
    parser.add_argument('--n-test', type=int, default=10_000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.01, 0.05, 0.2, 1.0])
    parser.add_argument('--embedding', action='store_true',
                        help="append the CNN's penultimate embedding to the features")
    parser.add_argument('--n-jobs', type=int, default=os.cpu_count())
    args = parser.parse_args(argv)

    start = time.perf_counter()
    cnn = HighZClassifier.pretrained(device='cpu')
    field, field_cnn = simulated_photometry(args.n_field, seed=2026,
                                            classifier=cnn if args.embedding else None)
    test, test_cnn = simulated_photometry(args.n_test, seed=2027, classifier=cnn)
    X, _ = photometry_features(field)
    X_test, _ = photometry_features(test)
    if args.embedding:
        X = np.hstack([X, field_cnn['embedding']])
        X_test = np.hstack([X_test, test_cnn['embedding']])
    y, y_test = np.asarray(field['label']), np.asarray(test['label'])
    snr = np.asarray(test['snr_F444W'])
    print(f'simulated {len(y)} field and {len(y_test)} test sources '
          f'in {time.perf_counter() - start:.0f} s; {X.shape[1]} features '
          f'({"photometry + CNN embedding" if args.embedding else "photometry"})')

    table = label_fraction_benchmark(X, y, X_test, y_test, fractions=args.fractions,
                                     repeats=args.repeats, snr_test=snr, n_jobs=args.n_jobs)
    pred = test_cnn['proba'].argmax(axis=1)
    row = {'method': 'shipped CNN (no labels used)', 'label_fraction': np.nan, 'repeats': 1,
           **selection_metrics(y_test, pred),
           'accuracy_bright': float(np.mean(pred[snr >= 10] == y_test[snr >= 10]))}
    table.add_row({key: row.get(key, np.nan) for key in table.colnames})
    for name in table.colnames:
        if table[name].dtype.kind == 'f':
            table[name].info.format = '.4f'
    for name in ('n_labelled', 'n_pseudo', 'fit_seconds'):
        table[name].info.format = '.0f'
    table.pprint(max_lines=-1, max_width=-1)

    def get(method, fraction, key='accuracy'):
        rows = table[(table['method'] == method) & (table['label_fraction'] == fraction)]
        return float(rows[key][0]) if len(rows) else np.nan

    ssl5 = get('semi-supervised', 0.05)
    rf5 = get('labelled-only RF', 0.05)
    rf_full = get('labelled-only RF', 1.0)
    print(f'\ngoal, 5% labelled: semi-supervised {ssl5:.4f} vs labelled-only RF {rf5:.4f}: '
          f'{"beats" if ssl5 > rf5 else "does NOT beat"} it (d = {ssl5 - rf5:+.4f})')
    print(f'goal, 5% labelled: semi-supervised {ssl5:.4f} vs fully supervised RF '
          f'{rf_full:.4f}: d = {ssl5 - rf_full:+.4f} '
          f'({"within" if ssl5 >= rf_full - 0.02 else "NOT within"} 2 points)')
    print(f'total {time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
