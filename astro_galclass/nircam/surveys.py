# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Survey depths and the noise of drizzled NIRCam mosaics.

Depths are 5-sigma point-source limits (AB) in r = 0.16" circular apertures.
JADES values come from Hainline's pre-launch JADES noise model
(kevinhainline/NIRCPrepareMock) evaluated for the planned deep and medium
exposure times; CEERS, PRIMER (COSMOS, medium depth) and COSMOS-Web values
are those listed in stephenmwilkins/flare (FLARE/surveys.py).

A survey's wide bands are `SURVEY_BANDS`: CEERS has no F090W, COSMOS-Web
only F115W, F150W, F277W and F444W. So that the simulator can still draw
seven-band cutouts at these depths, a preset fills each band the survey
lacks with the depth of its nearest band in wavelength (and CEERS's F277W,
which FLARE does not list, with that of F356W); evaluations at such a depth
drop the bands the survey lacks (``galclass evaluate-highz --bands``).
"""

import numpy as np

from astro_galclass.nircam.instrument import NATIVE_PIXEL_SCALE, NIRCAM_BANDS
from astro_galclass.nircam.photometry import mag_to_njy

__all__ = ['APERTURE_RADIUS', 'DEPTH_PRESETS', 'SURVEY_BANDS', 'aperture_noise',
           'drizzle_kernel_sigma', 'resolve_depths']

#: Radius (arcsec) of the aperture the depths refer to.
APERTURE_RADIUS = 0.16

#: 5-sigma depths (AB) by preset, in the order of `NIRCAM_BANDS`.
DEPTH_PRESETS = {
    'jades-deep': (30.21, 30.47, 30.55, 30.54, 30.48, 30.56, 30.34),
    'jades-medium': (29.32, 29.42, 29.54, 29.65, 29.57, 29.67, 29.44),
    'ceers': (29.15, 29.15, 28.90, 28.95, 28.95, 28.95, 28.96),
    'primer': (28.57, 28.84, 29.03, 29.11, 29.08, 29.02, 28.54),
    'cosmos-web': (27.13, 27.13, 27.38, 27.38, 27.82, 27.82, 27.49),
}

#: The wide bands each preset's survey observed (blue to red). COSMOS-Web:
#: Casey et al. (2023, ApJ 954, 31); CEERS: Bagley et al. (2023, ApJL 946,
#: L12); PRIMER: Dunlop et al. (JWST GO 1837); JADES: Eisenstein et al.
#: (2023, arXiv:2306.02465). Medium bands (F335M, F410M, ...) are left out:
#: the models know the seven wide bands only.
SURVEY_BANDS = {
    'jades-deep': NIRCAM_BANDS,
    'jades-medium': NIRCAM_BANDS,
    'ceers': ('F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W'),
    'primer': NIRCAM_BANDS,
    'cosmos-web': ('F115W', 'F150W', 'F277W', 'F444W'),
}


def aperture_noise(depth, bands=NIRCAM_BANDS):
    """
    1-sigma noise (nJy) of an r = 0.16" aperture per band.

    A fifth of the 5-sigma depth's flux (`mag_to_njy`).

    Parameters
    ----------
    depth : str, dict or sequence
        A preset name of `DEPTH_PRESETS`, a dict band -> 5-sigma AB depth, or
        one depth per band (see `resolve_depths`).
    bands : sequence of str, optional
        Bands to return, blue to red.

    Returns
    -------
    noise : dict
        Band -> 1-sigma aperture noise in nJy (float).

    Examples
    --------
    >>> from astro_galclass.nircam import aperture_noise
    >>> round(aperture_noise('jades-deep')['F444W'], 3)
    0.531
    """
    return {b: mag_to_njy(m) / 5 for b, m in resolve_depths(depth, bands).items()}


def resolve_depths(depth, bands=NIRCAM_BANDS):
    """
    Per-band 5-sigma depths (AB) from a preset name, a dict or a sequence.

    Parameters
    ----------
    depth : str, dict or sequence
        A preset name of `DEPTH_PRESETS`, a dict band -> 5-sigma AB depth, or
        one depth per band of ``bands``.
    bands : sequence of str, optional
        Bands to return, blue to red.

    Returns
    -------
    depths : dict
        Band -> 5-sigma AB depth (float), checked to lie between 20 and 35.

    Examples
    --------
    >>> from astro_galclass.nircam import resolve_depths
    >>> resolve_depths('jades-deep')['F444W']
    30.34
    """
    if isinstance(depth, str):
        if depth not in DEPTH_PRESETS:
            msg = (f'unknown depth preset {depth!r}; expected one of '
                   f'{sorted(DEPTH_PRESETS)}, a dict band -> 5-sigma AB depth, or '
                   'a sequence of seven depths')
            raise ValueError(msg)
        values = dict(zip(NIRCAM_BANDS, DEPTH_PRESETS[depth], strict=True))
        return {b: values[b] for b in bands}
    if isinstance(depth, dict):
        missing = [b for b in bands if b not in depth]
        if missing:
            msg = f'depth dict lacks bands {missing}; got {sorted(depth)}'
            raise ValueError(msg)
        values = {b: float(depth[b]) for b in bands}
    else:
        seq = list(np.atleast_1d(depth))
        if len(seq) != len(bands):
            msg = (f'depth must give one 5-sigma depth per band ({len(bands)}), '
                   f'got {len(seq)}')
            raise ValueError(msg)
        values = {b: float(v) for b, v in zip(bands, seq, strict=True)}
    bad = {b: v for b, v in values.items() if not (np.isfinite(v) and 20 < v < 35)}
    if bad:
        msg = f'depths must be AB magnitudes between 20 and 35, got {bad}'
        raise ValueError(msg)
    return values


def drizzle_kernel_sigma(band, pixel_scale):
    """
    Width (pixels) of the Gaussian that correlates the noise of a band
    drizzled onto ``pixel_scale``.

    Drizzling with pixfrac = 1 spreads each native pixel over a box of
    ``native / output`` output pixels; the Gaussian with the same variance
    has sigma = width / sqrt(12). Resampling a band at its own scale leaves
    the noise uncorrelated (sigma = 0).

    Parameters
    ----------
    band : str
        A band of `NIRCAM_BANDS`.
    pixel_scale : float
        Output pixel scale in arcsec per pixel.

    Returns
    -------
    sigma : float
        Kernel width in output pixels.
    """
    native = NATIVE_PIXEL_SCALE[band].value
    ratio = native / pixel_scale
    return 0.0 if ratio <= 1.05 else ratio / np.sqrt(12)
