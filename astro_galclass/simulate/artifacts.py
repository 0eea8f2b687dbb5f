# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What real NIRCam mosaics contain and the simulator does not.

Cosmic-ray residuals and hot pixels in one band, satellite trails, bright
saturated stars with diffraction spikes, blends of two sources, a band off
by a zero-point error, and compact very red point sources ("little red
dots", broad-line AGN at z ~ 4-9 with a blue rest-UV and a red rest-optical
continuum; Matthee et al. 2024, Kocevski et al. 2024). `inject_artifacts`
puts them into cutouts, to test how a classifier behaves on what it never
saw (`~astro_galclass.HighZClassifier` flags them ``OUT_OF_DISTRIBUTION``
when its out-of-distribution score says so, and little red dots
``LITTLE_RED_DOT`` when they pass the published selection,
`~astro_galclass.highz.little_red_dots`). These are caricatures with
the right scales (PSF widths, fluxes, geometry), not models of the
detectors.
"""

import numpy as np
from astropy import units as u

from astro_galclass.nircam import NIRCAM_BANDS, PSF_FWHM, mag_to_njy

__all__ = ['ARTIFACT_KINDS', 'LITTLE_RED_DOT_MAGNITUDES', 'inject_artifacts']

#: The kinds `inject_artifacts` makes.
ARTIFACT_KINDS = ('cosmic_ray', 'satellite_trail', 'diffraction_spikes', 'blend',
                  'zero_point', 'little_red_dot')

#: AB magnitudes F090W ... F444W of a typical "little red dot": flat and
#: faint in the short-wave bands, 2-3 mag brighter at 4.4 micron
#: (F277W - F444W > 1, F150W - F200W ~ 0; Kocevski et al. 2024 selection),
#: shifted by a random -1.5 to +0.5 mag.
LITTLE_RED_DOT_MAGNITUDES = (28.6, 28.4, 28.3, 28.1, 26.9, 26.0, 25.4)


def _gaussian(size, x0, y0, fwhm_px):
    yy, xx = np.mgrid[:size, :size]
    sigma = fwhm_px / 2.3548
    g = np.exp(-0.5 * ((xx - x0) ** 2 + (yy - y0) ** 2) / sigma ** 2)
    return g / g.sum()


def _line(size, x0, y0, angle, width):
    """Distance-based profile of an infinite line through (x0, y0)."""
    yy, xx = np.mgrid[:size, :size]
    d = np.abs(-(xx - x0) * np.sin(angle) + (yy - y0) * np.cos(angle))
    return np.exp(-0.5 * (d / width) ** 2)


def inject_artifacts(cutouts, kind, *, rng, pixel_scale=0.03 * u.arcsec / u.pix, others=None,
                     bands=NIRCAM_BANDS):
    """
    A copy of ``cutouts`` with one artefact of ``kind`` in each.

    Parameters
    ----------
    cutouts : `~astropy.units.Quantity` or `~numpy.ndarray`
        ``(N, len(bands), size, size)`` in nJy per pixel (a `sample` of
        `~astro_galclass.simulate.NIRCamSimulator`; for
        ``'little_red_dot'`` blank ones, ``NIRCamSimulator.noise``).
    kind : str
        One of `ARTIFACT_KINDS`:

        - ``'cosmic_ray'``: a sharp 1-4 pixel track of 20-500 nJy per pixel,
          near the centre, in one random band;
        - ``'satellite_trail'``: a straight trail 1-2 pixels wide and 2-20
          nJy per pixel across the cutout, in one random band;
        - ``'diffraction_spikes'``: a star of AB 17-20 outside the central
          0.3" with six spikes, its core saturated (clipped), in every band;
        - ``'blend'``: a second source (from ``others``) 0.1-0.3" away;
        - ``'zero_point'``: one random band off by 0.5 mag;
        - ``'little_red_dot'``: a point source with the colours of
          `LITTLE_RED_DOT_MAGNITUDES` at the centre.
    rng : `numpy.random.Generator`
        Random generator.
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts.
    others : array-like, optional
        ``(N, ...)`` cutouts to blend in, for ``'blend'``.
    bands : sequence of str, optional
        The bands of the cutouts' second axis.

    Returns
    -------
    cutouts : `~numpy.ndarray`
        ``(N, len(bands), size, size)`` float32, nJy per pixel; the input is
        not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate import NIRCamSimulator, inject_artifacts
    >>> sim = NIRCamSimulator(seed=1)
    >>> lrd = inject_artifacts(sim.noise(2), 'little_red_dot', rng=np.random.default_rng(0))
    >>> lrd.shape, bool(lrd[:, -1].sum() > 10 * lrd[:, 0].sum())
    ((2, 7, 64, 64), True)
    """
    if kind not in ARTIFACT_KINDS:
        msg = f'kind must be one of {ARTIFACT_KINDS}, got {kind!r}'
        raise ValueError(msg)
    out = np.array(u.Quantity(cutouts, u.nJy).value if hasattr(cutouts, 'unit') else cutouts,
                   dtype=np.float32, copy=True)
    if out.ndim != 4 or out.shape[1] != len(bands) or out.shape[2] != out.shape[3]:
        msg = (f'cutouts must be (N, {len(bands)}, size, size), got shape {out.shape}')
        raise ValueError(msg)
    n, n_bands, size, _ = out.shape
    centre = (size - 1) / 2
    scale = u.Quantity(pixel_scale).to_value(u.arcsec / u.pix)
    fwhm = np.array([PSF_FWHM[b].to_value(u.arcsec) / scale for b in bands])
    if kind == 'blend':
        if others is None or np.shape(others)[:2] != (n, n_bands):
            msg = f"kind='blend' needs others= of {n} cutouts like cutouts, got {others!r:.60}"
            raise ValueError(msg)
        other = np.asarray(u.Quantity(others, u.nJy).value if hasattr(others, 'unit')
                           else others, dtype=np.float32)
    for i in range(n):
        if kind == 'cosmic_ray':
            b = rng.integers(n_bands)
            x, y = centre + rng.uniform(-6, 6, 2)
            length, angle = rng.integers(1, 5), rng.uniform(0, np.pi)
            for t in range(length):
                px = round(x + t * np.cos(angle))
                py = round(y + t * np.sin(angle))
                out[i, b, py % size, px % size] += rng.uniform(20, 500)
        elif kind == 'satellite_trail':
            b = rng.integers(n_bands)
            x, y = centre + rng.uniform(-10, 10, 2)
            out[i, b] += rng.uniform(2, 20) * _line(size, x, y, rng.uniform(0, np.pi),
                                                    rng.uniform(0.5, 1.0))
        elif kind == 'diffraction_spikes':
            r, phi = rng.uniform(0.3 / scale, centre), rng.uniform(0, 2 * np.pi)
            x, y = centre + r * np.cos(phi), centre + r * np.sin(phi)
            flux = mag_to_njy(rng.uniform(17, 20))
            saturation = rng.uniform(200, 2000)
            yy, xx = np.mgrid[:size, :size]
            dist = np.hypot(xx - x, yy - y) + 1.0
            rotation = rng.uniform(0, np.pi / 3)
            for b in range(n_bands):
                star = flux * _gaussian(size, x, y, fwhm[b])
                spikes = sum(_line(size, x, y, rotation + k * np.pi / 3, 0.7)
                             for k in range(3))
                star = star + 0.02 * flux * spikes * fwhm[b] / dist ** 2
                out[i, b] += np.minimum(star, saturation)
        elif kind == 'blend':
            r, phi = rng.uniform(0.1, 0.3) / scale, rng.uniform(0, 2 * np.pi)
            dx, dy = round(r * np.cos(phi)), round(r * np.sin(phi))
            out[i] += np.roll(other[i], (dy, dx), axis=(-2, -1))
        elif kind == 'zero_point':
            b = rng.integers(n_bands)
            out[i, b] *= 10 ** (-0.4 * rng.choice([-0.5, 0.5]))
        else:  # little red dot
            mags = np.asarray(LITTLE_RED_DOT_MAGNITUDES) + rng.uniform(-1.5, 0.5)
            x, y = centre + rng.normal(0, 0.3, 2)
            for b in range(n_bands):
                out[i, b] += mag_to_njy(mags[b]) * _gaussian(size, x, y, fwhm[b])
    return out
