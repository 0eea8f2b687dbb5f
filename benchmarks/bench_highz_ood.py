# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Out-of-distribution flags and Monte Carlo dropout uncertainties of a high-z model.

1. Fits the ``highz_ood`` statistics (``HighZClassifier.fit_ood``: the
   embedding's Mahalanobis score and the pixel-level single-band score) on
   simulated in-distribution cutouts (half ``'balanced'``, half ``'sky'``
   population, classes in equal thirds; ``--mosaic-fraction`` of them cut
   out of simulated mosaics as ``classify_catalog`` cuts them, the rest
   drawn directly), with a 1% false-flag goal for each of the two kinds
   (``fit_ood(groups=)``), at 95% confidence (``--confidence``: the
   thresholds are set for the largest held-out share whose Clopper-Pearson
   upper bound is 1%, as a quantile of a few thousand sources is itself
   uncertain).
2. Reports the share flagged ``OUT_OF_DISTRIBUTION`` among fresh
   in-distribution cutouts of both kinds (drawn directly, and cut out of
   mosaics: their noise texture and resampling differ, and a flag fitted on
   direct cutouts alone fired on most mosaic sources) and among cutouts
   with each kind of
   ``astro_galclass.simulate.inject_artifacts`` (cosmic rays, satellite
   trails, saturated stars with spikes, blends, 0.5 mag zero-point errors,
   little red dots on blank sky), and draws the score distributions.
   Beside it, the share that the little-red-dot selection flags
   (``LITTLE_RED_DOT``, `astro_galclass.highz.little_red_dots`), and the
   share with either flag.
3. On the fresh in-distribution cutouts, with ``uncertainty`` dropout
   samples: the error rate of the most and least uncertain deciles (by the
   spread of the predicted class's probability) and the ECE of the sample
   mean against the single deterministic pass.

With a band-masked network (``--band-subsets F``), a share ``F`` of the
fitting cutouts keeps only CEERS's six or COSMOS-Web's four bands (the
others NaN, as `classify` gives them to the network), each subset its own
group with the 1% goal, and the report adds the in-distribution flag rates
for six and four bands.

``--write-weights FILE`` saves the model with its fitted statistics (how the
shipped file gets them). Run: ``python benchmarks/bench_highz_ood.py``
(about 8 minutes on two CPU cores with the defaults).
"""

import argparse
import time

import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, little_red_dots
from astro_galclass.highz.ood import single_band_scores
from astro_galclass.nircam import SURVEY_BANDS
from astro_galclass.simulate import ARTIFACT_KINDS, NIRCamSimulator, inject_artifacts
from astro_galclass.training import SimulatedMosaicBatches
from astro_galclass.training.calibration import expected_calibration_error

EQUAL = {'low_z': 1.0, 'high_z': 1.0, 'brown_dwarf': 1.0}
#: The band subsets of ``--band-subsets``: group name -> the bands kept.
SUBSETS = {'ceers': SURVEY_BANDS['ceers'], 'cosmos-web': SURVEY_BANDS['cosmos-web']}


def _keep_bands(cutouts, bands, keep):
    """A copy of ``cutouts`` with the bands not in ``keep`` set to NaN (missing)."""
    out = np.array(cutouts, dtype=np.float32, copy=True)
    drop = [i for i, b in enumerate(bands) if b not in keep]
    out[:, drop] = np.nan
    return out


def _with_subsets(cutouts, kinds, bands, share, rng):
    """Give a share of the cutouts, spread over `SUBSETS`, only a subset's bands."""
    cutouts, kinds = np.array(cutouts, np.float32, copy=True), np.array(kinds, dtype=object)
    picked = rng.permutation(len(kinds))[:round(share * len(kinds))]
    for name, rows in zip(SUBSETS, np.array_split(picked, len(SUBSETS)), strict=True):
        cutouts[rows] = _keep_bands(cutouts[rows], bands, SUBSETS[name])
        kinds[rows] = name
    return cutouts, kinds.astype(str)


def _in_distribution(n, seed, depth, mosaic_fraction=0.0, field_sources=150):
    """
    ``n`` cutouts (nJy per pixel), half of each population, their labels and kinds.

    ``mosaic_fraction`` of each half are cut out of simulated mosaics
    (`SimulatedMosaicBatches`: native pixel scales, resampled, neighbours;
    kind ``'mosaic'``), the rest drawn directly on the model grid
    (``'direct'``). Each mosaic holds ``field_sources`` sources at the
    density of `SimulatedMosaicBatches`' default fields (600 on 2000 x 2000
    short-wave pixels): fields differ from one another by more than their
    counting noise, so many small fields give a threshold that holds on
    fields it has not seen.
    """
    side = round(2000 * np.sqrt(field_sources / 600))
    cutouts, labels, kinds = [], [], []
    for k, pop in enumerate(('balanced', 'sky')):
        sim = NIRCamSimulator(depth=depth, seed=seed + k, population=pop,
                              class_fractions=EQUAL)
        n_mosaic = round(n // 2 * mosaic_fraction)
        flux, truth = sim.sample(n // 2 - n_mosaic)
        cutouts.append(flux.value)
        labels.append(np.asarray(truth['label']))
        kinds.append(np.full(n // 2 - n_mosaic, 'direct'))
        if n_mosaic:
            mosaic = SimulatedMosaicBatches(sim, batch_size=n_mosaic, batches_per_epoch=1,
                                            normalization=None, seed=seed + k,
                                            field_sources=field_sources,
                                            field_shape=(side, side))
            flux, label = mosaic.draw(n_mosaic)
            cutouts.append(np.asarray(flux))
            labels.append(np.asarray(label))
            kinds.append(np.full(n_mosaic, 'mosaic'))
    return np.concatenate(cutouts), np.concatenate(labels), np.concatenate(kinds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', default=None, help='weights file (default: shipped)')
    parser.add_argument('--n-fit', type=int, default=8000,
                        help='in-distribution cutouts to fit the statistics on')
    parser.add_argument('--n-test', type=int, default=2000, help='fresh in-distribution cutouts')
    parser.add_argument('--n-kind', type=int, default=300, help='cutouts per artefact kind')
    parser.add_argument('--uncertainty', type=int, default=30, help='dropout samples')
    parser.add_argument('--depth', default='jades-deep')
    parser.add_argument('--seed', type=int, default=41)
    parser.add_argument('--mosaic-fraction', type=float, default=0.5,
                        help='share of the fitting cutouts cut out of simulated mosaics')
    parser.add_argument('--confidence', type=float, default=0.95,
                        help='thresholds such that each kind is flagged at most 1%% with this '
                             'probability (HighZClassifier.fit_ood); 0 for the plain quantile')
    parser.add_argument('--field-sources', type=int, default=150,
                        help='sources per simulated mosaic (at a fixed density)')
    parser.add_argument('--features', default='embedding', choices=('embedding', 'pooled', 'both'),
                        help='network features of the score (HighZClassifier.fit_ood)')
    parser.add_argument('--band-subsets', type=float, default=0.0,
                        help='band-masked networks: share of the fitting cutouts given only '
                        "CEERS's six or COSMOS-Web's four bands (each its own 1%% group)")
    parser.add_argument('--figure', default=None, help='PNG of the score distributions')
    parser.add_argument('--write-weights', default=None,
                        help='save the model with its fitted statistics here')
    parser.add_argument('--device', default='auto')
    args = parser.parse_args(argv)

    start = time.perf_counter()
    clf = (HighZClassifier.pretrained(device=args.device) if args.weights is None
           else HighZClassifier(args.weights, device=args.device))
    fit_x, fit_y, fit_kind = _in_distribution(args.n_fit, args.seed, args.depth,
                                              args.mosaic_fraction, args.field_sources)
    if args.band_subsets:
        if not clf.band_mask:
            parser.error('--band-subsets needs a band-masked network (band_mask=True)')
        fit_x, fit_kind = _with_subsets(fit_x, fit_kind, clf.bands, args.band_subsets,
                                        np.random.default_rng(args.seed + 5))
    confidence = args.confidence or None
    summary = clf.fit_ood(fit_x, fit_y, false_flag_rate=0.01, features=args.features,
                          groups=fit_kind, confidence=confidence, description=(
        f'{args.n_fit} simulated {args.depth} cutouts, half balanced and half sky '
        f'population, classes in equal thirds, {args.mosaic_fraction:.0%} of them cut out '
        f'of simulated mosaics of {args.field_sources} sources each (seeds {args.seed}, '
        f'{args.seed + 1})'
        + (f'; {args.band_subsets:.0%} of them with only the CEERS or COSMOS-Web bands'
           if args.band_subsets else '')
        + '; thresholds such that no kind has more than 1% flagged'
        + (f' at confidence {confidence}' if confidence else '')))
    by_kind = ', '.join(f'{k} {v:.3f}' for k, v in
                        summary.get('false_flag_rate_by_group', {}).items())
    if confidence:
        by_kind += '; set for ' + ', '.join(f'{k} {v:.4f}' for k, v in
                                            summary['target_rate_by_group'].items())
    print(f'{clf.name}, {args.features} features: fitted on {summary["n_fit"]}, '
          f'thresholds {summary["threshold"]:.1f} (Mahalanobis) and '
          f'{summary["single_band_threshold"]:.1f} (single-band pixels) '
          f'set on {summary["n_threshold"]} (flags {summary["false_flag_rate"]:.3f} of them'
          f'{"; " + by_kind if by_kind else ""})')
    if args.write_weights:
        clf.save(args.write_weights)
        print(f'wrote {args.write_weights}')

    test_x, test_y, _ = _in_distribution(args.n_test, args.seed + 10, args.depth)
    mosaic_x, _, _ = _in_distribution(args.n_test, args.seed + 40, args.depth, 1.0,
                                      args.field_sources)
    scores = {'in distribution': clf.ood_score(test_x),
              'in distr., mosaics': clf.ood_score(mosaic_x)}
    scale = clf.metadata['pixel_scale']
    pixels = {'in distribution': single_band_scores(test_x, clf.bands, scale),
              'in distr., mosaics': single_band_scores(mosaic_x, clf.bands, scale)}
    red_dots = {'in distribution': little_red_dots(test_x),
                'in distr., mosaics': little_red_dots(mosaic_x)}
    if clf.band_mask:
        for name, keep in SUBSETS.items():
            for label, x in (('', test_x), (', mosaics', mosaic_x)):
                kept = _keep_bands(x, clf.bands, keep)
                key = f'in distr., {name}{label}'
                scores[key] = clf.ood_score(kept)
                pixels[key] = single_band_scores(kept, clf.bands, scale)
                red_dots[key] = None      # the selection needs bands a subset lacks
    rng = np.random.default_rng(args.seed)
    pool_x, _, _ = _in_distribution(2 * args.n_kind, args.seed + 20, args.depth)
    blank = NIRCamSimulator(depth=args.depth, seed=args.seed + 30).noise(args.n_kind).value
    for kind in ARTIFACT_KINDS:
        base = blank if kind == 'little_red_dot' else pool_x[:args.n_kind]
        injected = inject_artifacts(base, kind, rng=rng, others=pool_x[args.n_kind:])
        scores[kind] = clf.ood_score(injected)
        pixels[kind] = single_band_scores(injected, clf.bands, scale)
        red_dots[kind] = little_red_dots(injected)
    threshold = clf.ood_threshold
    single_threshold = clf.metadata['ood']['single_band_threshold']
    print(f'\n{"sources":32s} {"n":>5s} {"flagged OUT_OF_DISTRIBUTION":>28s} '
          f'{"by the pixel test":>18s} {"median highz_ood":>17s} {"LITTLE_RED_DOT":>15s} '
          f'{"either":>7s}')
    for kind, s in scores.items():
        dots = red_dots[kind]
        either = s > threshold if dots is None else (s > threshold) | dots
        print(f'{kind:32s} {len(s):5d} {np.mean(s > threshold):28.3f} '
              f'{np.mean(pixels[kind] > single_threshold):18.3f} {np.median(s):17.2f} '
              f'{"-" if dots is None else f"{np.mean(dots):.3f}":>15s} {np.mean(either):7.3f}')

    samples = clf.predict_proba_samples(test_x, n_samples=args.uncertainty)
    single = clf.predict_proba(test_x)
    pred = single.argmax(axis=1)
    spread = samples[np.arange(len(pred)), :, pred].std(axis=1)
    wrong = pred != test_y
    order = np.argsort(spread)
    decile = len(order) // 10
    low, high = wrong[order[:decile]].mean(), wrong[order[-decile:]].mean()
    mean = samples.mean(axis=1)
    print(f'\nMC dropout, {args.uncertainty} samples, {len(test_y)} in-distribution cutouts:')
    print(f'  error rate, least uncertain decile {low:.4f}; most uncertain decile {high:.4f}; '
          f'all {wrong.mean():.4f}')
    print(f'  ECE of the single pass {expected_calibration_error(single, test_y):.4f}; '
          f'of the sample mean {expected_calibration_error(mean, test_y):.4f}')
    flags = clf.classify(test_x[:200])['highz_flags']
    assert np.mean((np.asarray(flags) & HighZFlag.OUT_OF_DISTRIBUTION) != 0) < 0.1
    print(f'\n{time.perf_counter() - start:.0f} s')

    if args.figure:
        import matplotlib

        matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        bins = np.geomspace(max(min(np.min(s) for s in scores.values()), 0.05),
                            max(np.max(s) for s in scores.values()) * 1.1, 60)
        for kind, s in scores.items():
            ax.hist(s, bins=bins, histtype='step', density=True, lw=2 if kind.startswith(
                    'in distr') else 1, label=f'{kind} ({np.mean(s > threshold):.0%})')
        ax.axvline(threshold, color='k', ls='--', lw=1, label='threshold (1% in distribution)')
        ax.set_xscale('log')
        ax.set_xlabel('highz_ood (in units of the threshold)')
        ax.set_ylabel('density')
        ax.set_title(f'{clf.name}: share flagged in brackets')
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.figure, dpi=100)
        print(f'wrote {args.figure}')


if __name__ == '__main__':
    main()
