# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
How sharp are sources cut out of simulated mosaics, band by band?

The single-band pixel test of ``highz_ood`` flags a pixel whose high-pass
(the pixel minus the mean of its four neighbours) exceeds what the band's
PSF allows. This probe cuts 1,200 sources out of simulated mosaics (half
balanced, half sky population, classes in equal thirds) and prints, per
band, the largest high-pass fraction of bright pixels (above 300 times the
cutout's robust noise) against the PSF's own, drawn on the cutout grid and
on the detector pixels interpolated onto it; then the quantiles of
`single_band_score` with and without the detector pixels.

Run: ``python benchmarks/studies/pixel_sharpness_probe.py`` (about 2
minutes on two CPU cores).
"""

import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.highz.ood import (
    _high_pass,
    _psf_sharpness,
    band_pixel_sizes,
    single_band_score,
)
from astro_galclass.nircam import NATIVE_PIXEL_SCALE
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import SimulatedMosaicBatches

EQUAL = {'low_z': 1.0, 'high_z': 1.0, 'brown_dwarf': 1.0}


def main():
    clf = HighZClassifier.pretrained(device='cpu')
    parts = []
    for k, population in enumerate(('balanced', 'sky')):
        sim = NIRCamSimulator(seed=500 + k, population=population, class_fractions=EQUAL)
        mosaic = SimulatedMosaicBatches(sim, batch_size=600, batches_per_epoch=1,
                                        normalization=None, seed=500 + k)
        parts.append(np.asarray(mosaic.draw(600)[0]))
    cutouts = np.nan_to_num(np.concatenate(parts))
    fwhm, _ = band_pixel_sizes(clf.bands, clf.metadata['pixel_scale'])
    scale = clf.metadata['pixel_scale']
    native = [NATIVE_PIXEL_SCALE[b].value / scale for b in clf.bands]
    high = _high_pass(cutouts)
    print(f'{len(cutouts)} mosaic cutouts; bright pixels: above 300 x the robust noise')
    print(f'{"band":6s} {"PSF on grid":>12s} {"on detector":>12s} {"bright px":>10s} '
          f'{"99%":>6s} {"max":>6s}  (high-pass / value)')
    for b, band in enumerate(clf.bands):
        v = cutouts[:, b]
        noise = 1.4826 * np.median(np.abs(v - np.median(v, axis=(1, 2), keepdims=True)),
                                   axis=(1, 2))
        bright = v > 300 * noise[:, None, None]
        ratio = high[:, b][bright] / v[bright]
        q = np.quantile(ratio, [0.99, 1.0]) if bright.any() else [np.nan, np.nan]
        print(f'{band:6s} {_psf_sharpness(round(fwhm[b], 3)):12.3f} '
              f'{_psf_sharpness(round(fwhm[b], 3), round(native[b], 3)):12.3f} '
              f'{bright.sum():10d} {q[0]:6.3f} {q[1]:6.3f}')
    quantiles = [0.5, 0.99, 0.998, 0.999, 1.0]
    print('\nsingle_band_score quantiles', quantiles)
    print('  PSF on the cutout grid:   ',
          np.quantile(single_band_score(cutouts, fwhm), quantiles).round(1))
    print('  PSF on detector pixels:   ',
          np.quantile(single_band_score(cutouts, fwhm, native), quantiles).round(1))


if __name__ == '__main__':
    main()
