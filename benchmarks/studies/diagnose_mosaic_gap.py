# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Why the shipped high-z model is less accurate on the demo field.

Cuts three simulated fields (``make_field``) at the *true* source positions
with ``extract_cutouts`` and compares the accuracy at F444W S/N >= 10 with
that on cutouts drawn the way the training data are (``sample``); then
checks that the aperture fluxes of compact sources agree with the truth on
both paths (so the gap is not a flux error). About a minute on 2 cores:
``python benchmarks/studies/diagnose_mosaic_gap.py``.
"""

import astropy.units as u
import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.highz import extract_cutouts
from astro_galclass.nircam import aperture_fluxes
from astro_galclass.simulate import NIRCamSimulator


def main():
    clf = HighZClassifier.pretrained(device='cpu')
    sim = NIRCamSimulator(seed=11)
    preds, labels, snrs, ratios = [], [], [], []
    for _ in range(3):
        images, truth = sim.make_field(n_sources=500, shape=(2000, 2000))
        cutouts, flags = extract_cutouts(images, truth['sky_centroid'], bands=clf.bands)
        ok = flags == 0
        preds.append(clf.predict_proba(cutouts[ok]).argmax(axis=1))
        labels.append(np.asarray(truth['label'])[ok])
        snrs.append(np.asarray(truth['snr_F444W'])[ok])
        compact = ok & (truth['re'].to_value(u.arcsec) < 0.1)
        flux = aperture_fluxes(cutouts[compact], 0.6 * u.arcsec)[:, :, 0]
        true = np.stack([truth[f'flux_{b}'].to_value(u.nJy)[compact] for b in clf.bands], 1)
        ratios.append(np.where(true > 50, flux / true, np.nan))
    pred, label, snr = (np.concatenate(a) for a in (preds, labels, snrs))
    bright = snr >= 10
    print(f'mosaic cutouts at true positions, S/N >= 10: accuracy '
          f'{np.mean(pred[bright] == label[bright]):.3f} (n={bright.sum()})')
    x, t = NIRCamSimulator(seed=12).sample(1500)
    p = clf.predict_proba(x).argmax(axis=1)
    b = np.asarray(t['snr_F444W']) >= 10
    print(f'directly drawn cutouts, S/N >= 10: accuracy '
          f'{np.mean(p[b] == np.asarray(t["label"])[b]):.3f} (n={b.sum()})')
    ratio = np.nanmedian(np.concatenate(ratios), axis=0)
    print('median aperture flux / true flux (mosaic path, compact sources > 50 nJy):')
    print('  ' + '  '.join(f'{band} {r:.3f}' for band, r in zip(clf.bands, ratio, strict=True)))


if __name__ == '__main__':
    main()
