# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Cross-renderer test of the high-z classifiers (issue 32).

A network trained on `~astro_galclass.simulate.NIRCamSimulator` cutouts can
learn the renderer's fingerprints (Gaussian PSF, Gaussian-mixture Sersic
profiles, Gaussian noise kernel) rather than the sources. This benchmark
draws ``--n-test`` sources from ``NIRCamSimulator(population='sky')``
(classes in equal thirds, ``--seed``) and scores each model on two
renderings of the same truth table:

* **in-renderer**: the simulator's own cutouts (``sample``);
* **cross-renderer**: the same sources drawn by GalSim
  (``benchmarks/crossrender.py``, `render_galsim`: GalSim's Sersic profiles,
  an obscured Airy PSF topped up to the band's FWHM, or ``--psf moffat``,
  and drizzle-like correlated noise at the same aperture depth).

The models: (a) a `~astro_galclass.HighZClassifier` (``--weights``, default
the shipped model) and (b) an
`~astro_galclass.training.baselines.ApertureRandomForest` trained on
``--n-train`` of the simulator's sky-population cutouts (equal thirds,
seed + 1). On the sources with F444W S/N >= 10 (truth ``snr_F444W``),
weighted to the sky's class mix at the depth
(``NIRCamSimulator(population='sky').sky_class_fractions()``, through
`~astro_galclass.nircam.prevalence_weights`; the probabilities shifted to
that mix), it reports

* the ROC AUC of ``p_high_z`` (high-z against the rest, weighted);
* the completeness of ``p_high_z >= t`` where ``t`` gives contamination
  <= 0.03 on a second simulated set (``--n-select`` sources, seed + 2) of
  the **same rendering**, as ``galclass evaluate-highz
  --select-completeness`` sets its thresholds, with the contamination it
  gives on the test set;
* beside it, for the cross-renderer rows, the threshold of the
  in-renderer selection set applied as is (what a user who calibrates on
  the simulator and observes a different "renderer" gets);
* and the oracle completeness: the threshold chosen on the test set
  itself (optimistic, labelled as such).

It prints one row per model and rendering, the drops (in-renderer minus
cross-renderer) in AUC and completeness with bootstrap standard errors
(``--bootstrap`` resamples of the test set, thresholds fixed), and with
``--json FILE`` writes them.

Run: ``python benchmarks/bench_crossrender.py``. Time: with
``--n-test 600 --n-train 1500 --n-select 600 --device cpu``, 2.5 minutes
(148 s wall, 4.7 GB peak RSS, most of it the simulator's) on the two CPU
cores of the development machine shared with a training run (2026-12-08):
GalSim rendered the 1,200 test and selection sources in 46 s, the network
and the forest took 15 s per pass over the ~310 kept sources. The
defaults (3,000 / 6,000 / 3,000) were not timed: about 15 minutes, scaled
from that run.

That small run (seed 7, the shipped v4; 312 sources at S/N >= 10, 57 of
them at z >= 4, so a smoke test: its errors are as large as the effects)::

    model          rendering           AUC  thresh   compl  contam  oracle compl
    CNN            in-renderer      0.9937   0.923   0.754   0.000         0.772
    CNN            cross-renderer   0.9934   0.866   0.825   0.000         0.965
    random forest  in-renderer      0.9873   0.513   0.561   0.054         0.526
    random forest  cross-renderer   0.9908   0.500   0.632   0.000         0.842

    cross-renderer with the simulator's threshold: CNN completeness 0.649,
    forest 0.614 (contamination 0.000 both)
    drops (in- minus cross-renderer): CNN AUC +0.0004 +- 0.0038,
    completeness -0.070 +- 0.043; forest AUC -0.0036 +- 0.0050,
    completeness -0.070 +- 0.068
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from astro_galclass import HighZClassifier
from astro_galclass.nircam import (
    HIGHZ_CLASSES,
    check_priors,
    prevalence_weights,
    selection_threshold,
    shift_priors,
)
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training.baselines import ApertureRandomForest

EQUAL = {'low_z': 1.0, 'high_z': 1.0, 'brown_dwarf': 1.0}
MAX_CONTAMINATION = 0.03
SNR_MIN = 10.0
HI = HIGHZ_CLASSES.index('high_z')


def _crossrender():
    """``benchmarks/crossrender.py``, loaded by path (``benchmarks/`` is not a package)."""
    path = Path(__file__).with_name('crossrender.py')
    spec = importlib.util.spec_from_file_location('crossrender', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _say(msg, start):
    print(f'[{time.perf_counter() - start:6.0f} s] {msg}', file=sys.stderr, flush=True)


def _weights(labels, target):
    """Weights to the mix ``target`` over the classes present (as ``evaluate_highz`` does)."""
    present = np.bincount(labels, minlength=len(target)) > 0
    mix = np.where(present, target, 0.0)
    return prevalence_weights(labels, mix / mix.sum())


def _selection(p, hi, w, threshold):
    """Weighted completeness and contamination of ``p >= threshold``."""
    chosen = p >= threshold
    completeness = w[chosen & hi].sum() / w[hi].sum()
    contamination = (w[chosen & ~hi].sum() / w[chosen].sum()) if chosen.any() else np.nan
    return float(completeness), float(contamination)


def _threshold(p, labels, w):
    """The most complete ``p_high_z`` threshold with contamination <= 0.03 (NaN if none)."""
    try:
        return float(selection_threshold(p, labels, max_contamination=MAX_CONTAMINATION,
                                         sample_weight=w)['threshold'])
    except ValueError:
        return np.nan


class _Set:
    """One simulated set: its truth and the sources kept (S/N >= 10), with weights."""

    def __init__(self, truth, target):
        labels = np.asarray(truth['label'], int)
        self.keep = np.asarray(truth['snr_F444W'], float) >= SNR_MIN
        self.labels = labels[self.keep]
        self.hi = self.labels == HI
        self.w = _weights(self.labels, target)


def _score(p_test, test, p_select, select, p_select_in=None):
    """The metrics of one model on one rendering (``p_*``: p_high_z of the kept sources)."""
    row = {'n': len(p_test), 'n_high_z': int(test.hi.sum()),
           'auc': float(roc_auc_score(test.hi, p_test, sample_weight=test.w))}
    t = _threshold(p_select, select.labels, select.w)
    row['threshold'] = t
    row['completeness'], row['contamination'] = (_selection(p_test, test.hi, test.w, t)
                                                 if np.isfinite(t) else (np.nan, np.nan))
    if p_select_in is not None:
        t_in = _threshold(p_select_in, select.labels, select.w)
        row['threshold_from_simulator'] = t_in
        row['completeness_from_simulator'], row['contamination_from_simulator'] = (
            _selection(p_test, test.hi, test.w, t_in) if np.isfinite(t_in) else (np.nan, np.nan))
    oracle = _threshold(p_test, test.labels, test.w)
    row['oracle_threshold'] = oracle
    row['oracle_completeness'] = (_selection(p_test, test.hi, test.w, oracle)[0]
                                  if np.isfinite(oracle) else np.nan)
    return row


def _bootstrap_drops(p_in, p_cross, test, t_in, t_cross, n_boot, seed):
    """Bootstrap standard errors of the AUC and completeness drops (paired, thresholds fixed)."""
    rng = np.random.default_rng(seed)
    auc, comp = [], []
    for _ in range(n_boot):
        i = rng.integers(len(test.labels), size=len(test.labels))
        hi, w = test.hi[i], test.w[i]
        if hi.all() or not hi.any():
            continue
        auc.append(roc_auc_score(hi, p_in[i], sample_weight=w)
                   - roc_auc_score(hi, p_cross[i], sample_weight=w))
        if np.isfinite(t_in) and np.isfinite(t_cross):
            comp.append(_selection(p_in[i], hi, w, t_in)[0]
                        - _selection(p_cross[i], hi, w, t_cross)[0])
    return (float(np.std(auc)) if auc else np.nan, float(np.std(comp)) if comp else np.nan)


def parse_args(argv=None):
    """
    The command line options.

    Parameters
    ----------
    argv : list of str, optional
        Default ``sys.argv[1:]``.

    Returns
    -------
    args : `argparse.Namespace`
    """
    parser = argparse.ArgumentParser(
        description='High-z classifiers on the simulator\'s cutouts and on GalSim renderings '
                    'of the same sources (issue 32): AUC and completeness at contamination '
                    '<= 0.03, at the sky\'s class mix, F444W S/N >= 10.')
    parser.add_argument('--n-test', type=int, default=3000,
                        help='test sources (sky population, classes in equal thirds)')
    parser.add_argument('--n-train', type=int, default=6000,
                        help="the Random Forest's training cutouts (simulator, seed + 1)")
    parser.add_argument('--n-select', type=int, default=3000,
                        help='sources of the set that sets the thresholds (seed + 2)')
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--depth', default='jades-deep')
    parser.add_argument('--weights', default=None,
                        help='HighZClassifier weights file (default: the shipped model)')
    parser.add_argument('--psf', choices=('airy', 'moffat'), default='airy',
                        help="GalSim's PSF (see benchmarks/crossrender.py)")
    parser.add_argument('--bootstrap', type=int, default=200,
                        help='bootstrap resamples for the standard errors of the drops')
    parser.add_argument('--device', default='auto', help="the network's device, e.g. cpu")
    parser.add_argument('--json', default=None, metavar='FILE', help='write the results here')
    return parser.parse_args(argv)


def main(argv=None):
    """
    Run the benchmark.

    Parameters
    ----------
    argv : list of str, optional
        Default ``sys.argv[1:]``.

    Returns
    -------
    results : dict
        What ``--json`` writes.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    crossrender = _crossrender()
    clf = (HighZClassifier.pretrained(device=args.device) if args.weights is None
           else HighZClassifier(args.weights, device=args.device))
    sky = NIRCamSimulator(depth=args.depth, population='sky').sky_class_fractions()
    target = check_priors({c: sky[c] for c in HIGHZ_CLASSES}, HIGHZ_CLASSES)
    mix = dict(zip(HIGHZ_CLASSES, target.tolist(), strict=True))

    def simulator(seed):
        return NIRCamSimulator(depth=args.depth, seed=seed, population='sky',
                               class_fractions=EQUAL, pixel_scale=clf.pixel_scale,
                               cutout_size=clf.cutout_size)

    sim = simulator(args.seed)
    pick = [list(sim.bands).index(b) for b in clf.bands]
    renderings, sets = {}, {}
    for name, seed, n in (('test', args.seed, args.n_test),
                          ('select', args.seed + 2, args.n_select)):
        _say(f'{name}: simulating {n} sources (seed {seed})', start)
        ours, truth = simulator(seed).sample(int(n))
        _say(f'{name}: rendering them with GalSim (psf {args.psf})', start)
        theirs = crossrender.render_galsim(truth, bands=sim.bands, pixel_scale=clf.pixel_scale,
                                           size=clf.cutout_size, depth=args.depth, seed=seed,
                                           psf=args.psf)
        sets[name] = _Set(truth, target)
        renderings[name] = {'in-renderer': ours.value[:, pick], 'cross-renderer': theirs[:, pick]}

    _say(f'training the Random Forest on {args.n_train} simulated cutouts (seed '
         f'{args.seed + 1})', start)
    train_x, train_truth = simulator(args.seed + 1).sample(int(args.n_train))
    forest = ApertureRandomForest(depth=args.depth, pixel_scale=clf.pixel_scale, seed=args.seed,
                                  bands=clf.bands)
    forest.fit(train_x.value[:, pick], np.asarray(train_truth['label']))
    del train_x
    uniform = np.full(len(HIGHZ_CLASSES), 1 / len(HIGHZ_CLASSES))

    p = {}          # (model, set, rendering) -> p_high_z of the kept sources, at the sky mix
    for name, images in renderings.items():
        keep = sets[name].keep
        for rendering, cutouts in images.items():
            _say(f'{name}, {rendering}: the network ({clf.name}) and the forest', start)
            cnn = clf.predict_proba(cutouts[keep], bands=clf.bands, priors=mix)
            rf = shift_priors(forest.predict_proba(cutouts[keep]), uniform, target)
            for model, probs in (('CNN', cnn), ('random forest', rf)):
                bad = ~np.isfinite(probs[:, HI])
                if bad.any():       # not classified: never selected
                    _say(f'{model}: {bad.sum()} sources not classified, p_high_z = 0', start)
                p[model, name, rendering] = np.where(bad, 0.0, probs[:, HI])

    test, select = sets['test'], sets['select']
    rows, drops = [], {}
    for model in ('CNN', 'random forest'):
        for rendering in ('in-renderer', 'cross-renderer'):
            row = {'model': model, 'rendering': rendering}
            row.update(_score(p[model, 'test', rendering], test, p[model, 'select', rendering],
                              select, p[model, 'select', 'in-renderer']
                              if rendering == 'cross-renderer' else None))
            rows.append(row)
        r_in, r_cross = rows[-2], rows[-1]
        se_auc, se_comp = _bootstrap_drops(p[model, 'test', 'in-renderer'],
                                           p[model, 'test', 'cross-renderer'], test,
                                           r_in['threshold'], r_cross['threshold'],
                                           args.bootstrap, args.seed)
        drops[model] = {'auc': r_in['auc'] - r_cross['auc'], 'auc_se': se_auc,
                        'completeness': r_in['completeness'] - r_cross['completeness'],
                        'completeness_se': se_comp,
                        'completeness_threshold_from_simulator':
                            r_in['completeness'] - r_cross['completeness_from_simulator']}
    elapsed = time.perf_counter() - start

    print(f'\n{clf.name} (sha256 {clf.weights_sha256[:12]}) and an ApertureRandomForest '
          f'({args.n_train} training cutouts) on {args.n_test} sky-population sources '
          f'({args.depth}, seed {args.seed}, classes in equal thirds) rendered by the '
          f'simulator and by GalSim (psf {args.psf}); F444W S/N >= {SNR_MIN:g}: '
          f'{test.keep.sum()} sources, {test.hi.sum()} at z >= 4; weighted to the sky mix '
          + ', '.join(f'{c}={f:.3g}' for c, f in mix.items()) + '.')
    print(f'Thresholds for contamination <= {MAX_CONTAMINATION} set on {args.n_select} other '
          f'sources (seed {args.seed + 2}, {select.keep.sum()} at S/N >= {SNR_MIN:g}) of the '
          'same rendering; "oracle": set on the test set itself (optimistic).\n')
    head = (f"{'model':<14} {'rendering':<15} {'AUC':>7} {'thresh':>7} {'compl':>7} "
            f"{'contam':>7} {'oracle compl':>13}")
    print(head)
    print('-' * len(head))
    for r in rows:
        print(f"{r['model']:<14} {r['rendering']:<15} {r['auc']:7.4f} {r['threshold']:7.3f} "
              f"{r['completeness']:7.3f} {r['contamination']:7.3f} "
              f"{r['oracle_completeness']:13.3f}")
    print('\ncross-renderer with the in-renderer selection set\'s threshold (calibrated on the '
          'simulator, applied to GalSim):')
    for r in rows[1::2]:
        print(f"  {r['model']:<14} p_high_z >= {r['threshold_from_simulator']:.3f}: "
              f"completeness {r['completeness_from_simulator']:.3f}, contamination "
              f"{r['contamination_from_simulator']:.3f}")
    print(f'\ndrops, in-renderer minus cross-renderer (bootstrap s.e., {args.bootstrap} '
          'resamples, thresholds fixed):')
    for model, d in drops.items():
        print(f"  {model:<14} AUC {d['auc']:+.4f} +- {d['auc_se']:.4f}   completeness "
              f"{d['completeness']:+.3f} +- {d['completeness_se']:.3f}   (threshold from the "
              f"simulator: {d['completeness_threshold_from_simulator']:+.3f})")
    print(f'\n{elapsed:.0f} s')
    results = {'settings': {k: v for k, v in vars(args).items() if k != 'json'},
               'model': clf.name, 'weights_sha256': clf.weights_sha256, 'sky_mix': mix,
               'snr_min': SNR_MIN, 'max_contamination': MAX_CONTAMINATION,
               'n_kept': int(test.keep.sum()), 'n_select_kept': int(select.keep.sum()),
               'rows': rows, 'drops': drops, 'seconds': elapsed}
    if args.json is not None:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + '\n')
        print(f'wrote {args.json}')
    return results


if __name__ == '__main__':
    main()
