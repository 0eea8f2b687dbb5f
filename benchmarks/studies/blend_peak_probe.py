# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Would a second-peak test flag blends? (issue 14)

``highz_ood`` flags 6.7% of injected blends (a second simulated source
0.1-0.3" away, `~astro_galclass.simulate.inject_artifacts`). The
simulator's galaxies are smooth Sersic profiles, so a second maximum near
the centre of the short-wave detection image (F115W + F150W + F200W, each
in units of its noise, smoothed by a 1-pixel Gaussian) is what a blend
adds. The score of a cutout is the largest depth, in noise units, of a
secondary maximum within 0.45" below its saddle to the brightest one.

It reports the score's 99th, 99.5th and 99.8th percentiles on 3,000
in-distribution cutouts (half drawn directly, half cut out of simulated
mosaics, as ``bench_highz_ood.py`` draws them) and the share of 300
injected blends above each, with the thresholds set on the direct
cutouts alone and on both kinds.

Run: ``python benchmarks/studies/blend_peak_probe.py`` (about a minute on
two CPU cores).
"""

import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from astro_galclass.simulate import inject_artifacts

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_highz_ood import _in_distribution


def _noise(image, outside):
    sky = image[outside]
    return 1.4826 * np.median(np.abs(sky - np.median(sky)))


def second_peak(cutouts, bands=(1, 2, 3), rmax=15, smooth=1.0):
    """Per cutout: depth (noise units) of the deepest secondary maximum within ``rmax`` px."""
    n, _, size, _ = cutouts.shape
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(xx - (size - 1) / 2, yy - (size - 1) / 2)
    outside = r > 25
    out = np.zeros(n)
    for i in range(n):
        det = sum(np.nan_to_num(cutouts[i, b]) / max(_noise(np.nan_to_num(cutouts[i, b]),
                                                            outside), 1e-12) for b in bands)
        det = ndimage.gaussian_filter(det, smooth)
        det = det / _noise(det, outside)
        peaks = np.argwhere((ndimage.maximum_filter(det, size=5) == det) & (r <= rmax)
                            & (det > 5))
        if len(peaks) < 2:
            continue
        values = det[peaks[:, 0], peaks[:, 1]]
        order = np.argsort(values)[::-1]
        first = peaks[order[0]]
        for k in order[1:]:
            m = int(np.ceil(np.hypot(*(peaks[k] - first)))) * 2 + 1
            line = ndimage.map_coordinates(
                det, [np.linspace(first[0], peaks[k][0], m),
                      np.linspace(first[1], peaks[k][1], m)], order=1)
            out[i] = max(out[i], values[k] - line.min())
    return out


def main():
    start = time.perf_counter()
    cutouts, _, kind = _in_distribution(3000, 81, 'jades-deep', 0.5, 150)
    score = second_peak(cutouts)
    pool, _, _ = _in_distribution(600, 91, 'jades-deep')
    blends = inject_artifacts(pool[:300], 'blend', rng=np.random.default_rng(1),
                              others=pool[300:])
    blend_score = second_peak(blends)
    print('quantile  threshold (direct / mosaic)  blends flagged (direct threshold / both)')
    for q in (0.99, 0.995, 0.998):
        direct = np.quantile(score[kind == 'direct'], q)
        mosaic = np.quantile(score[kind == 'mosaic'], q)
        both = max(direct, mosaic)
        print(f'{q:8.3f}  {direct:9.2f} / {mosaic:7.2f}          '
              f'{np.mean(blend_score > direct):.3f} / {np.mean(blend_score > both):.3f}')
    print(f'{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
