# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A field-wide check of each band's zero point against the training population.

A photometric zero point that is wrong in one band (a wrong pixel-area
conversion from MJy/sr, a stale calibration, a mosaic in other units) moves
every source of the field the same way. One source cannot show it: a band
0.5 mag too faint turns one plausible spectrum into another, and the
per-source ``highz_ood`` score flags almost none of them (model card). Across
a field it is obvious, because it shifts the *whole* colour distribution:
the median flux ratio of a band to the reddest band moves by exactly the
zero-point error, whatever the sources are.

`zero_point_offsets` compares those median ratios with the ones of the
simulated population the shipped models were trained on, measured the same
way (`~astro_galclass.simulate.NIRCamSimulator` with ``population='sky'`` at
the user's depth), and reports the offset of each band.
"""

import functools

import astropy.units as u
import numpy as np
from astropy.table import QTable

from astro_galclass.nircam import (
    AB_ZEROPOINT_NJY,
    DEFAULT_PIXEL_SCALE,
    NIRCAM_BANDS,
    aperture_fluxes,
    aperture_noise,
)
from astro_galclass.utils._units import pixel_scale_arcsec

__all__ = ['zero_point_offsets']

#: Radius (arcsec) of the aperture the colours are measured in: large
#: enough that the bands' different PSFs change the colours little, small
#: enough that neighbours rarely enter it.
COLOUR_RADIUS = 0.3

#: Radius (arcsec) of the aperture of the detection S/N (the depths' aperture).
SNR_RADIUS = 0.16

_MIN_SOURCES = 50


def _measure(values, pixel_scale):
    """Aperture fluxes (N, bands, 2: colour and S/N radii) and the bands with data."""
    complete = np.all(np.isfinite(values), axis=(2, 3))
    radii = [COLOUR_RADIUS, SNR_RADIUS] * u.arcsec
    return aperture_fluxes(values, radii, pixel_scale=pixel_scale), complete


def _ratios(ap, complete, noise, min_snr):
    """
    Per source: the flux ratio of each band to the reddest one, and the
    reddest band's aperture magnitude; only sources whose reddest band has
    ``S/N >= min_snr`` (``noise``: its r = 0.16" noise in nJy). Ratios are
    NaN where a band has no valid data.
    """
    anchor = ap[:, -1, 0]
    keep = complete[:, -1] & (ap[:, -1, 1] / noise >= min_snr) & (anchor > 0)
    ratio = ap[keep, :, 0] / anchor[keep, None]
    ratio[~complete[keep]] = np.nan
    return ratio, -2.5 * np.log10(anchor[keep]) + AB_ZEROPOINT_NJY


def _weighted_median(values, weights):
    """Median of ``values`` with ``weights`` (NaN values are skipped)."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return np.nan
    order = np.argsort(values[ok])
    v, w = values[ok][order], weights[ok][order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, 0.5 * cum[-1])])


@functools.lru_cache(maxsize=4)
def _reference(depth_key, n_reference, seed, pixel_scale, size):
    """Aperture fluxes of simulated sky-population sources in the seven bands,
    measured as the field's are (read-only arrays, kept between calls)."""
    from astro_galclass.simulate import NIRCamSimulator

    depth = dict(depth_key) if isinstance(depth_key, tuple) else depth_key
    sim = NIRCamSimulator(depth=depth, seed=seed, population='sky',
                          pixel_scale=pixel_scale * u.arcsec / u.pix, cutout_size=size)
    flux, _ = sim.sample(n_reference, progress=False)
    ap, complete = _measure(flux.to_value(u.nJy), pixel_scale * u.arcsec / u.pix)
    ap.setflags(write=False)
    complete.setflags(write=False)
    return ap, complete


def _medians(ratio, weights):
    """Weighted median of each band's ratio."""
    return np.array([_weighted_median(ratio[:, b], weights) for b in range(ratio.shape[1])])


def _offsets(field, reference, mag, ref_mag, bins):
    """Offsets (mag) of each band from the median ratios, the reference
    reweighted to the field's magnitude distribution."""
    n_field = np.histogram(mag, bins)[0].astype(float)
    n_ref = np.histogram(ref_mag, bins)[0].astype(float)
    per_bin = np.divide(n_field, n_ref, out=np.zeros_like(n_field), where=n_ref > 0)
    which = np.clip(np.digitize(ref_mag, bins) - 1, 0, len(per_bin) - 1)
    expected = _medians(reference, per_bin[which])
    observed = _medians(field, np.ones(len(mag)))
    with np.errstate(divide='ignore', invalid='ignore'):
        raw = -2.5 * np.log10(observed / expected)
    # Colours fix the offsets up to a constant (a zero point shared by all
    # bands changes no colour): take the one that makes the median offset 0,
    # so that a minority of wrong bands shows as such.
    return raw - np.nanmedian(raw)


def zero_point_offsets(cutouts, *, bands=NIRCAM_BANDS, depth='jades-deep',
                       pixel_scale=DEFAULT_PIXEL_SCALE, min_snr=20.0, tolerance=0.3,
                       n_reference=4000, n_bootstrap=200, seed=0):
    r"""
    Check each band's zero point from the colours of the field's bright sources.

    For every source whose reddest band has ``S/N >= min_snr`` (in an
    r = 0.16" aperture at the noise of ``depth``), the flux in an r = 0.3"
    aperture of each band is divided by that of the reddest band. The median
    of this ratio over the field is compared with its median over simulated
    sources of the sky population the models were trained on
    (`~astro_galclass.simulate.NIRCamSimulator`, ``population='sky'``, at the
    same depth, cut out and measured the same way, and weighted to the
    field's magnitude distribution):

    .. math::
        \Delta m_b = -2.5 \log_{10}
        \frac{\mathrm{median}(f_b / f_{\rm red})_{\rm field}}
             {\mathrm{median}(f_b / f_{\rm red})_{\rm sim}}

    A zero-point error of :math:`\delta` magnitudes in band :math:`b`
    scales every source's ratio, and so its median, by
    :math:`10^{-0.4\delta}`. Colours cannot tell a zero point shared by all
    bands, so the offsets are given relative to their median over the bands:
    with most bands right, a wrong band shows its own error (a wrong reddest
    band shows as its error, the others near 0).

    What the offsets mean: a field whose population differs from the
    simulated one also moves the medians, so an offset is a zero-point error
    *or* a field unlike the training data; on simulated fields of other
    seeds the offsets stay within 0.034 (seven bands) to 0.084 mag (the four
    of COSMOS-Web; :ref:`highz-zero-points`).
    The default ``tolerance`` of 0.3 mag is set for the errors that make a
    classification wrong (a 0.5 mag error in one band, a unit or pixel-area
    conversion off by a factor of two or more), not for photometric
    calibration at the 0.05 mag level, which needs spectroscopic redshifts
    or stars.

    Parameters
    ----------
    cutouts : `~astropy.units.Quantity` or array-like
        ``(N, len(bands), size, size)`` cutouts in nJy per pixel at
        ``pixel_scale``, sources at the centre, as `extract_cutouts` gives
        them (NaN where a band has no data: that source is left out of that
        band). Not modified.
    bands : sequence of str, optional
        The cutouts' bands, blue to red; at least three of the seven wide
        bands. The reddest is the reference (detection) band.
    depth : str or dict, optional
        The field's depth (a `~astro_galclass.nircam.DEPTH_PRESETS` name or
        band -> 5-sigma AB depth in r = 0.16"), for the S/N cut and the
        simulated sources' noise.
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts.
    min_snr : float, optional
        S/N of the reddest band above which sources are used.
    tolerance : float, optional
        A band is ``suspect`` when its offset is larger than this (mag) and
        than three times its uncertainty.
    n_reference : int, optional
        Simulated sources drawn for the reference (kept in memory for the
        next call with the same settings).
    n_bootstrap : int, optional
        Bootstrap resamples of the field (and of the reference) for the
        uncertainties.
    seed : int, optional
        Seed of the simulation and of the bootstrap.

    Returns
    -------
    offsets : `~astropy.table.QTable`
        One row per band: ``band``, ``offset`` (mag; positive when the band
        is fainter than expected relative to the others, so that its fluxes
        should be multiplied by :math:`10^{0.4\,\Delta m}`), ``offset_err``
        (mag, bootstrap), ``n_sources`` (sources with data in the band) and
        ``suspect``; the offset is NaN, and the band not suspect, when no
        source has data in it. The meta holds the settings and
        ``n_reference_used``.

    Raises
    ------
    ValueError
        For cutouts of the wrong shape or unit, unknown or too few bands, a
        bad option, or fewer than 50 sources above ``min_snr``.

    Examples
    --------
    A simulated field whose F150W is 0.5 mag too faint:

    >>> import astropy.units as u
    >>> from astro_galclass.highz import zero_point_offsets
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> cutouts, _ = NIRCamSimulator(seed=3, population='sky').sample(1500)
    >>> cutouts[:, 2] *= 10 ** (-0.4 * 0.5)
    >>> table = zero_point_offsets(cutouts, n_reference=2000)
    >>> [str(b) for b in table['band'][table['suspect']]]
    ['F150W']
    >>> print(f"{table['offset'][2]:.1f}")    # 0.57 +- 0.03 for the 0.5 injected
    0.6 mag
    """
    bands = _check_bands(bands)
    values = _check_cutouts(cutouts, bands)
    for name, value in (('min_snr', min_snr), ('tolerance', tolerance)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            msg = f'{name} must be a positive number, got {value!r}'
            raise ValueError(msg)
    for name, value, low in (('n_reference', n_reference, _MIN_SOURCES),
                             ('n_bootstrap', n_bootstrap, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            msg = f'{name} must be an int >= {low}, got {value!r}'
            raise ValueError(msg)
    scale = pixel_scale_arcsec(pixel_scale)

    if isinstance(depth, dict):
        # The simulation needs all seven bands: the reference's bands must be given.
        missing = [b for b in NIRCAM_BANDS if b not in depth]
        if missing:
            msg = (f'a depth dict for the zero-point check must give all seven wide bands '
                   f'(the simulated reference has them all); missing {missing}')
            raise ValueError(msg)
        depth_key = tuple(sorted(depth.items()))
    else:
        depth_key = depth
    noise = aperture_noise(depth, bands)[bands[-1]]
    ratio, mag = _ratios(*_measure(values, scale * u.arcsec / u.pix), noise, min_snr)
    if len(ratio) < _MIN_SOURCES:
        msg = (f'the zero-point check needs at least {_MIN_SOURCES} sources with '
               f'{bands[-1]} S/N >= {min_snr} (at the noise of depth {depth!r}); got '
               f'{len(ratio)} of {len(values)}')
        raise ValueError(msg)
    ref_ap, ref_complete = _reference(depth_key, int(n_reference), int(seed), scale,
                                      values.shape[-1])
    index = [NIRCAM_BANDS.index(b) for b in bands]
    ref_ratio, ref_mag = _ratios(ref_ap[:, index], ref_complete[:, index], noise, min_snr)
    if len(ref_ratio) < _MIN_SOURCES:
        msg = (f'only {len(ref_ratio)} of {n_reference} simulated sources pass '
               f'{bands[-1]} S/N >= {min_snr}; raise n_reference')
        raise ValueError(msg)

    bins = np.arange(np.floor(min(mag.min(), ref_mag.min())),
                     np.ceil(max(mag.max(), ref_mag.max())) + 0.5, 0.5)
    offset = _offsets(ratio, ref_ratio, mag, ref_mag, bins)
    rng = np.random.default_rng(seed)
    boot = np.empty((n_bootstrap, len(bands)))
    for i in range(n_bootstrap):
        f = rng.integers(len(ratio), size=len(ratio))
        r = rng.integers(len(ref_ratio), size=len(ref_ratio))
        boot[i] = _offsets(ratio[f], ref_ratio[r], mag[f], ref_mag[r], bins)
    finite = np.isfinite(boot)
    error = np.full(len(bands), np.nan)
    some = finite.sum(axis=0) > 1
    error[some] = [np.std(boot[finite[:, b], b]) for b in np.flatnonzero(some)]
    suspect = (np.abs(offset) > tolerance) & (np.abs(offset) > 3 * error)
    table = QTable()
    table['band'] = list(bands)
    table['offset'] = offset * u.mag
    table['offset_err'] = error * u.mag
    table['n_sources'] = np.sum(np.isfinite(ratio), axis=0)
    table['suspect'] = suspect
    table.meta.update({
        'depth': depth if isinstance(depth, str) else dict(depth),
        'min_snr': float(min_snr), 'tolerance': float(tolerance),
        'colour_radius_arcsec': COLOUR_RADIUS, 'snr_radius_arcsec': SNR_RADIUS,
        'reference_band': bands[-1], 'n_reference_used': len(ref_ratio),
        'reference': "NIRCamSimulator(population='sky')",
    })
    return table


def _check_bands(bands):
    if isinstance(bands, str):
        bands = (bands,)
    bands = tuple(bands)
    unknown = [b for b in bands if b not in NIRCAM_BANDS]
    if unknown:
        msg = (f'unknown band(s) {unknown}; the zero-point check knows the NIRCam wide '
               f'bands {list(NIRCAM_BANDS)}')
        raise ValueError(msg)
    if len(set(bands)) != len(bands) or len(bands) < 3:
        msg = f'bands must be at least three distinct wide bands, got {list(bands)}'
        raise ValueError(msg)
    if list(bands) != sorted(bands, key=NIRCAM_BANDS.index):
        msg = f'bands must run blue to red, got {list(bands)}'
        raise ValueError(msg)
    return bands


def _check_cutouts(cutouts, bands):
    if isinstance(cutouts, u.Quantity):
        if not cutouts.unit.is_equivalent(u.nJy):
            msg = f'cutouts must be in nJy per pixel (a flux), got unit {cutouts.unit}'
            raise ValueError(msg)
        values = cutouts.to_value(u.nJy)
    else:
        values = np.asarray(cutouts, dtype=float)
    if values.ndim != 4 or values.shape[1] != len(bands) or values.shape[2] != values.shape[3]:
        msg = (f'cutouts must have shape (N, {len(bands)}, size, size) for bands '
               f'{list(bands)}, got {values.shape}')
        raise ValueError(msg)
    return values
