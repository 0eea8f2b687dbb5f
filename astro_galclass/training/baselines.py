# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Baselines a high-z network must beat: colour selection and a Random Forest.

Both work from aperture photometry measured with photutils at the cutout
centre, as catalogue-based selections do.
"""

import numpy as np
from astropy import units as u
from sklearn.ensemble import RandomForestClassifier

from astro_galclass.nircam import (
    APERTURE_RADIUS,
    DEFAULT_PIXEL_SCALE,
    NIRCAM_BANDS,
    aperture_fluxes,
    aperture_noise,
    njy_to_mag,
    resolve_depths,
)

__all__ = ['ApertureRandomForest', 'LymanBreakSelection']


class _Photometry:
    def __init__(self, depth, pixel_scale, bands):
        self.bands = tuple(bands)
        self.depths = resolve_depths(depth, self.bands)
        # 1-sigma noise of an r = 0.16" aperture, nJy
        noise = aperture_noise(self.depths, self.bands)
        self.sigma = np.array([noise[b] for b in self.bands])
        self.pixel_scale = u.Quantity(pixel_scale).to(u.arcsec / u.pix)

    def _check(self, fluxes):
        if fluxes.shape[1] != len(self.bands):
            msg = f'expected {len(self.bands)} bands {self.bands}, got {fluxes.shape[1]}'
            raise ValueError(msg)


class LymanBreakSelection(_Photometry):
    """
    A dropout colour selection with a brown-dwarf colour cut.

    The kind of selection JADES and CEERS used before photometric redshifts
    (after Hainline et al. 2020, 2024): aperture photometry in r = 0.16",
    magnitudes with non-detections replaced by their 1-sigma limits, then,
    in this order,

    1. brown dwarf: F115W - F277W < -0.8 and F277W - F444W > 1.1 (Wang et
       al. 2023, 500-1300 K dwarfs);
    2. high-z, any of

       - F090W dropout (z ~ 6.5-8.5): F090W - F115W > 1.0, F115W - F200W < 0.7
         and S/N(F200W) > 3;
       - F115W dropout (z ~ 8.5-11): S/N(F090W) < 2, F115W - F150W > 1.0,
         F150W - F277W < 0.7;
       - F150W dropout (z ~ 11-15): S/N(F090W), S/N(F115W) < 2,
         F150W - F200W > 1.0, F200W - F356W < 0.7;

    3. otherwise low-z.

    With NIRCam alone the Lyman break of 4 < z < 6.5 galaxies lies blueward
    of F090W, so a dropout selection cannot find them: this baseline is
    expected to miss them (JADES selects them with photometric redshifts
    that use HST/ACS bands).

    Parameters
    ----------
    depth : str or dict, optional
        Survey depth preset or per-band 5-sigma depths (sets the errors).
    pixel_scale : `~astropy.units.Quantity`, optional
    bands : sequence of str, optional
    """

    def __init__(self, *, depth='jades-deep', pixel_scale=DEFAULT_PIXEL_SCALE,
                 bands=NIRCAM_BANDS):
        super().__init__(depth, pixel_scale, bands)
        missing = set(NIRCAM_BANDS) - set(self.bands)
        if missing:
            msg = f'the colour selection needs the bands {sorted(missing)}'
            raise ValueError(msg)

    def predict(self, cutouts):
        """
        Class indices (0 low_z, 1 high_z, 2 brown_dwarf), one per cutout.

        Parameters
        ----------
        cutouts : array-like or `~astropy.units.Quantity`
            ``(N, bands, size, size)`` in nJy per pixel at ``pixel_scale``,
            centred on the sources, bands in the order of ``bands``.
        """
        f = aperture_fluxes(cutouts, APERTURE_RADIUS * u.arcsec,
                            pixel_scale=self.pixel_scale)[:, :, 0]
        self._check(f)
        snr = f / self.sigma
        mag = njy_to_mag(np.maximum(f, self.sigma))
        m = {b: mag[:, i] for i, b in enumerate(self.bands)}
        s = {b: snr[:, i] for i, b in enumerate(self.bands)}
        dwarf = (m['F115W'] - m['F277W'] < -0.8) & (m['F277W'] - m['F444W'] > 1.1)
        f090 = ((m['F090W'] - m['F115W'] > 1.0) & (m['F115W'] - m['F200W'] < 0.7)
                & (s['F200W'] > 3))
        f115 = ((s['F090W'] < 2) & (m['F115W'] - m['F150W'] > 1.0)
                & (m['F150W'] - m['F277W'] < 0.7))
        f150 = ((s['F090W'] < 2) & (s['F115W'] < 2) & (m['F150W'] - m['F200W'] > 1.0)
                & (m['F200W'] - m['F356W'] < 0.7))
        labels = np.zeros(len(f), int)
        labels[f090 | f115 | f150] = 1
        labels[dwarf] = 2
        return labels


class ApertureRandomForest(_Photometry):
    """
    A Random Forest on multi-aperture photometry (scikit-learn).

    Features per band: asinh(flux / sigma) in apertures of radii 0.1",
    0.16" and 0.3" (the ratio carries the size), plus the six colours of
    adjacent bands in r = 0.16" (non-detections at their 1-sigma limit).

    Parameters
    ----------
    depth : str or dict, optional
        Survey depth preset or per-band 5-sigma depths.
    n_estimators : int, optional
    seed : int, optional
    pixel_scale : `~astropy.units.Quantity`, optional
    bands : sequence of str, optional
    """

    radii = (0.1, 0.16, 0.3) * u.arcsec

    def __init__(self, *, depth='jades-deep', n_estimators=300, seed=0,
                 pixel_scale=DEFAULT_PIXEL_SCALE, bands=NIRCAM_BANDS):
        super().__init__(depth, pixel_scale, bands)
        self.forest = RandomForestClassifier(
            n_estimators=n_estimators, min_samples_leaf=2, class_weight='balanced',
            n_jobs=-1, random_state=seed)

    def features(self, cutouts):
        """
        Feature matrix ``(N, 3 * bands + bands - 1)``.

        Parameters
        ----------
        cutouts : array-like or `~astropy.units.Quantity`
            ``(N, bands, size, size)`` in nJy per pixel at ``pixel_scale``,
            centred on the sources, bands in the order of ``bands``.
        """
        f = aperture_fluxes(cutouts, self.radii, pixel_scale=self.pixel_scale)
        self._check(f)
        scaled = np.arcsinh(f / self.sigma[None, :, None]).reshape(len(f), -1)
        main = f[:, :, 1]
        mag = -2.5 * np.log10(np.maximum(main, self.sigma))
        return np.hstack([scaled, mag[:, :-1] - mag[:, 1:]])

    def fit(self, cutouts, labels):
        """
        Train on labelled cutouts; returns self.

        Parameters
        ----------
        cutouts : array-like or `~astropy.units.Quantity`
            ``(N, bands, size, size)`` in nJy per pixel at ``pixel_scale``,
            centred on the sources, bands in the order of ``bands``.
        labels : array-like of int
            ``(N,)`` class index of each cutout (0 low_z, 1 high_z,
            2 brown_dwarf).
        """
        self.forest.fit(self.features(cutouts), np.asarray(labels, int))
        return self

    def predict_proba(self, cutouts):
        """
        Class probabilities ``(N, n_classes)``.

        Parameters
        ----------
        cutouts : array-like or `~astropy.units.Quantity`
            ``(N, bands, size, size)`` in nJy per pixel at ``pixel_scale``,
            centred on the sources, bands in the order of ``bands``.
        """
        return self.forest.predict_proba(self.features(cutouts))

    def predict(self, cutouts):
        """
        Class indices.

        Parameters
        ----------
        cutouts : array-like or `~astropy.units.Quantity`
            ``(N, bands, size, size)`` in nJy per pixel at ``pixel_scale``,
            centred on the sources, bands in the order of ``bands``.
        """
        return self.forest.predict(self.features(cutouts))
