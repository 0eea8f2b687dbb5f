# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Features for the semi-supervised pipeline: fluxes, colours, S/N."""

import itertools

import numpy as np
from astropy import units as u

from astro_galclass.nircam import (
    APERTURE_RADIUS,
    DEFAULT_PIXEL_SCALE,
    NIRCAM_BANDS,
    aperture_fluxes,
    aperture_noise,
    njy_to_mag,
)

__all__ = ['cutout_photometry', 'photometry_features']


def _flux_values(table, name):
    col = table[name]
    values = col.to_value(u.nJy) if isinstance(col, u.Quantity) else None
    if values is None:
        unit = getattr(col, 'unit', None)
        if unit is None:
            msg = (f'column {name!r} has no unit; give fluxes as Quantities (any flux '
                   'density unit, e.g. nJy, uJy, erg/s/cm2/Hz)')
            raise u.UnitsError(msg)
        values = (np.asarray(col) * unit).to_value(u.nJy)
    return np.asarray(np.ma.filled(np.ma.asarray(values, float), np.nan), float)


def photometry_features(table, *, bands=NIRCAM_BANDS, flux='flux_{band}',
                        error='fluxerr_{band}'):
    """
    A feature matrix from per-band fluxes and errors of a catalog.

    Features, for N sources and B bands:

    - ``B`` asinh S/N values ``arcsinh(f / (2 sigma))``: linear near zero,
      where non-detections live, logarithmic for bright sources;
    - ``B - 1`` colours of adjacent bands, ``-2.5 log10(f_i / f_{i+1})`` with
      each flux floored at its 1-sigma error (non-detections as limits), so
      dropouts show up as large colours;
    - ``B`` missing-band indicators (1 where a band has no finite flux or
      error). Missing values themselves are set to 0 S/N and 0 colour; the
      indicators tell the model they were missing, rather than hiding it.

    Parameters
    ----------
    table : `~astropy.table.Table`
        One row per source, flux and error columns with flux-density units
        (any: nJy, uJy, erg / (s cm2 Hz), AB magnitudes are not accepted).
    bands : sequence of str, optional
        Band names, blue to red.
    flux, error : str, optional
        Column name patterns with ``{band}``.

    Returns
    -------
    features : `~numpy.ndarray`
        ``(N, 3 B - 1)`` float64, finite.
    names : list of str
        Feature names.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astro_galclass.semisupervised import photometry_features
    >>> t = QTable({'flux_A': [10., 0.5] * u.nJy, 'fluxerr_A': [1., 1.] * u.nJy,
    ...             'flux_B': [20., 30.] * u.nJy, 'fluxerr_B': [1., 1.] * u.nJy})
    >>> X, names = photometry_features(t, bands=('A', 'B'))
    >>> names
    ['snr_A', 'snr_B', 'colour_A_B', 'missing_A', 'missing_B']
    >>> round(float(X[1, 2]), 2)     # A - B with A at its 1-sigma limit
    3.69
    """
    bands = tuple(bands)
    missing_cols = [p.format(band=b) for b in bands for p in (flux, error)
                    if p.format(band=b) not in table.colnames]
    if missing_cols:
        msg = (f'the catalog lacks the columns {missing_cols[:4]}; pass flux= and error= '
               'patterns such as "flux_{band}" matching its column names')
        raise KeyError(msg)
    f = np.stack([_flux_values(table, flux.format(band=b)) for b in bands], axis=1)
    e = np.stack([_flux_values(table, error.format(band=b)) for b in bands], axis=1)
    missing = ~np.isfinite(f) | ~np.isfinite(e) | (e <= 0)
    e_safe = np.where(missing, 1.0, e)
    f_safe = np.where(missing, 0.0, f)
    snr = np.arcsinh(f_safe / (2 * e_safe))
    floored = np.maximum(f_safe, e_safe)
    mag = njy_to_mag(floored)
    colours = mag[:, :-1] - mag[:, 1:]
    colours[missing[:, :-1] | missing[:, 1:]] = 0.0
    names = ([f'snr_{b}' for b in bands]
             + [f'colour_{a}_{b}' for a, b in itertools.pairwise(bands)]
             + [f'missing_{b}' for b in bands])
    return np.hstack([snr, colours, missing.astype(float)]), names


def cutout_photometry(cutouts, *, depth='jades-deep', bands=NIRCAM_BANDS,
                      pixel_scale=DEFAULT_PIXEL_SCALE):
    """
    Aperture photometry (r = 0.16") of centred cutouts, as a catalog.

    Fluxes are measured with photutils apertures
    (`~astro_galclass.nircam.aperture_fluxes`); errors are the survey's
    aperture noise for ``depth`` (a preset or per-band 5-sigma depths).

    Parameters
    ----------
    cutouts : array-like or `~astropy.units.Quantity`
        ``(N, bands, size, size)`` in nJy per pixel, each centred on its
        source, bands in the order of ``bands``.
    depth : str, dict or sequence, optional
        A preset name of `~astro_galclass.nircam.DEPTH_PRESETS` (default
        ``'jades-deep'``), a dict band -> 5-sigma AB depth, or one depth per
        band; the same error is given to every source.
    bands : sequence of str, optional
        Band names of the cutouts' second axis, blue to red (default the
        seven NIRCam bands).
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts (default 0.03"/pix).

    Returns
    -------
    table : `~astropy.table.QTable`
        ``flux_<band>`` and ``fluxerr_<band>`` in nJy, ready for
        `photometry_features`.
    """
    from astropy.table import QTable

    noise = aperture_noise(depth, tuple(bands))
    f = aperture_fluxes(cutouts, APERTURE_RADIUS * u.arcsec, pixel_scale=pixel_scale)[:, :, 0]
    table = QTable()
    for i, band in enumerate(bands):
        table[f'flux_{band}'] = f[:, i] * u.nJy
        table[f'fluxerr_{band}'] = np.full(len(f), noise[band]) * u.nJy
    return table
