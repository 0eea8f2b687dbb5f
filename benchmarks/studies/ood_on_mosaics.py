"""
Does ``OUT_OF_DISTRIBUTION`` spare in-distribution sources cut out of mosaics?

Issue 14 asks for a flag that fires on at most 1% of in-distribution
sources. The shipped statistics were first fitted on cutouts drawn directly
on the model grid; `HighZClassifier.classify_catalog` instead cuts sources
out of mosaics at the native pixel scales, with white noise and the
long-wave bands resampled by two. This script measures, for a weights file:

1. the share of classified rows flagged ``OUT_OF_DISTRIBUTION`` on simulated
   fields classified end to end (`NIRCamSimulator.make_field`, seed 3: 300
   sources on 1000 x 1000 short-wave pixels for each population, and the
   test suite's 200 sources on 900 x 900 of the sky population);
2. on the cutouts of the sky field that have every pixel, and on as many
   directly drawn ones (seed 5), the share above each of the two thresholds
   (the embedding's Mahalanobis score, the pixel-level single-band score)
   and their medians in units of the threshold;
3. each band's single-band score with the other bands removed (no
   neighbour to compare with), median over the same cutouts: how far the
   high-pass maxima of each kind of cutout reach in noise units.

    python benchmarks/studies/ood_on_mosaics.py [--weights FILE]

About 2 minutes on two CPU cores. The statistics before 2026-12-01 are in
``git show 574da0b:astro_galclass/data/highz_default.pt``.
"""

import argparse

import numpy as np
from astropy import units as u
from astropy.table import QTable

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, extract_cutouts
from astro_galclass.highz.ood import band_pixel_sizes, mahalanobis_score, single_band_score
from astro_galclass.simulate import NIRCamSimulator


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', default=None, help='weights file (default: shipped)')
    args = parser.parse_args()
    clf = (HighZClassifier.pretrained(device='cpu') if args.weights is None
           else HighZClassifier(args.weights, device='cpu'))
    stats = clf.metadata['ood']
    if stats.get('features', 'embedding') != 'embedding':
        msg = f"this study reads embedding statistics, got {stats.get('features')!r}"
        raise ValueError(msg)
    print(f"{clf.name} (tensors sha256 {clf.weights_sha256[:12]}); OOD statistics fitted on "
          f"{stats['fitted_on']}; thresholds {stats['threshold']:.1f} (Mahalanobis), "
          f"{stats['single_band_threshold']:.2f} (single-band)\n")

    fields = {}
    for population, n, shape in (('balanced', 300, (1000, 1000)), ('sky', 300, (1000, 1000)),
                                 ('sky', 200, (900, 900))):
        images, truth = NIRCamSimulator(seed=3, population=population).make_field(
            n_sources=n, shape=shape)
        result = clf.classify_catalog(QTable({'sky_centroid': truth['sky_centroid']}), images)
        classified = ~np.ma.getmaskarray(result['p_high_z'])
        flagged = (np.asarray(result['highz_flags']) & HighZFlag.OUT_OF_DISTRIBUTION) != 0
        print(f'make_field {population:8s} {n} sources {shape}: {classified.sum()} classified, '
              f'{flagged[classified].sum()} of them flagged OUT_OF_DISTRIBUTION '
              f'({flagged[classified].mean():.3f})')
        fields.setdefault(population, (images, truth))

    images, truth = fields['sky']
    cutouts, _ = extract_cutouts(images, truth['sky_centroid'], bands=clf.bands,
                                 progress=False)
    mosaic = cutouts.to_value(u.nJy)
    mosaic = mosaic[np.all(np.isfinite(mosaic), axis=(1, 2, 3))]
    direct = NIRCamSimulator(seed=5, population='sky').sample(len(mosaic))[0].to_value(u.nJy)
    fwhm, _ = band_pixel_sizes(clf.bands, clf.metadata['pixel_scale'])
    print(f'\n{len(mosaic)} complete sky-field cutouts against as many drawn directly '
          '(in units of each threshold):')
    for kind, x in (('mosaic', mosaic), ('direct', direct)):
        maha = mahalanobis_score(clf.embed(x), np.asarray(stats['means']),
                                 np.asarray(stats['precision'])) / stats['threshold']
        pixel = single_band_score(x, fwhm) / stats['single_band_threshold']
        print(f'  {kind:6s}: Mahalanobis above 1 {np.mean(maha > 1):.3f} (median '
              f'{np.median(maha):.2f}); single-band above 1 {np.mean(pixel > 1):.3f} '
              f'(median {np.median(pixel):.2f})')
    print('\neach band alone (no neighbour), median single-band score, mosaic / direct:')
    for b, band in enumerate(clf.bands):
        alone = []
        for x in (mosaic, direct):
            only = np.full_like(x, np.nan)
            only[:, b] = x[:, b]
            alone.append(np.median(single_band_score(only, fwhm)))
        print(f'  {band}: {alone[0]:.2f} / {alone[1]:.2f}')


if __name__ == '__main__':
    main()
