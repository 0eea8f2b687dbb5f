# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Smooth-vs-featured accuracy of a morphology model per kind of confounder.

Simulated 'photograph' galaxies (`MorphologySimulator`, seed fixed) are
classified with and without reframing; the galaxies whose expected vote
is clear (``smooth_truth`` 0 or 1: 80% of infinite volunteers agree) are
scored by whether the predicted smooth fraction exceeds the featured one.
Rows: all, then by what the photograph contains (field stars, a star
bright enough for diffraction spikes, a close companion, monochrome,
JPEG) and by framing (tight < 3 R90, GZ2-like 3-6, wide > 6). Stars and
artifacts are scored by whether "star or artifact" is the top answer.
Also the RMSE over the 37 Kaggle targets, and the two checks of
``tests/morphology/test_morphology_shipped_checks.py`` as counts (30
ellipticals with four field stars called smooth; 30 isolated stars called
"star or artifact"). The mix of kinds is the simulator's default (6% stars,
5% artifacts, about Galaxy Zoo 2's). These are simulated scores.

    python benchmarks/bench_morphology_confounders.py --n 2000
    python benchmarks/bench_morphology_confounders.py --weights my.pt --n 2000
"""

import argparse
import time

import numpy as np

from astro_galclass.morphology import GZ2_TREE, MorphologyClassifier
from astro_galclass.simulate import MorphologySimulator


def balanced_accuracy(truth, pred):
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(truth, pred) if len(set(truth)) > 1 else float('nan')


def score(clf, images, truth, *, reframe):
    kaggle = clf.predict_kaggle(images, reframe=reframe)
    target = GZ2_TREE.from_kaggle_table(truth)
    rmse = float(np.sqrt(np.mean((kaggle - target) ** 2)))
    smooth = np.asarray(truth['smooth_truth'])
    pred = (kaggle[:, 0] > kaggle[:, 1]).astype(int)
    kind = np.asarray(truth['kind'])
    frame = np.asarray(truth['frame_r90'])
    n_stars = np.asarray(truth['n_stars'])
    groups = {
        'all galaxies': np.ones(len(truth), bool),
        'field stars in frame': n_stars > 0,
        'no field star': n_stars == 0,
        'close companion': np.asarray(truth['companion']),
        'monochrome': np.asarray(truth['monochrome']),
        'JPEG': np.asarray(truth['jpeg_quality']) > 0,
        'tight framing (< 3 R90)': frame < 3,
        'GZ2-like framing (3-6 R90)': (frame >= 3) & (frame <= 6),
        'wide framing (> 6 R90)': frame > 6,
    }
    rows = []
    for name, sel in groups.items():
        s = sel & (smooth >= 0)
        acc = float(np.mean(pred[s] == smooth[s])) if s.any() else float('nan')
        rows.append((name, int(s.sum()), acc, balanced_accuracy(smooth[s], pred[s])))
    star = np.isin(kind, ['star', 'artifact'])
    top_star = np.argmax(kaggle[:, :3], axis=1) == 2
    rows.append(('stars/artifacts called star or artifact', int(star.sum()),
                 float(np.mean(top_star[star])), float('nan')))
    rows.append(('galaxies called star or artifact', int((~star).sum()),
                 float(np.mean(top_star[~star])), float('nan')))
    return rmse, rows


def checks(clf):
    """The shipped-model checks: (smooth ellipticals, star-or-artifact stars), out of 30."""
    def photographs(kind, seed, **values):
        simulator = MorphologySimulator(seed=seed, kinds={kind: 1.0}, framing=(3.8, 4.6))
        truth = simulator.draw(30)
        for name, value in values.items():
            truth[name] = value
        return clf.predict_kaggle(simulator.photograph(simulator.render(truth), truth))

    ellipticals = photographs('elliptical', 1, n_stars=4, snr=100.0)
    stars = photographs('star', 2, n_stars=0, n_galaxies=0, snr=100.0)
    return (int(np.sum(ellipticals[:, 0] > ellipticals[:, 1])),
            int(np.sum(np.argmax(stars[:, :3], axis=1) == 2)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', help='weights file (default: the shipped model)')
    parser.add_argument('--n', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=4242)
    args = parser.parse_args(argv)
    clf = (MorphologyClassifier(args.weights, device='cpu') if args.weights
           else MorphologyClassifier.pretrained(device='cpu'))
    print(f'model: {clf.name} (framing {clf.framing})')
    start = time.perf_counter()
    images, truth = MorphologySimulator(seed=args.seed).sample(args.n)
    print(f'simulated {args.n} photograph galaxies in {time.perf_counter() - start:.0f} s')
    for reframe in (True, False):
        start = time.perf_counter()
        rmse, rows = score(clf, images, truth, reframe=reframe)
        print(f'\nreframe={reframe}: RMSE {rmse:.4f} ({time.perf_counter() - start:.0f} s)')
        print(f'| {"subset":42s} | {"n":>5s} | accuracy | balanced |')
        for name, n, acc, bal in rows:
            print(f'| {name:42s} | {n:5d} | {acc:8.3f} | {bal:8.3f} |')
    smooth, star = checks(clf)
    print(f'\nchecks (reframed): {smooth}/30 ellipticals with field stars smooth, '
          f'{star}/30 isolated stars "star or artifact"')


if __name__ == '__main__':
    main()
