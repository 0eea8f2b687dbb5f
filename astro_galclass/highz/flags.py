# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Quality flags of the high-redshift classifier."""

import enum

import numpy as np

__all__ = ['CORE_RADIUS_PIX', 'MAX_PLAUSIBLE_NJY', 'HighZFlag', 'cutout_flags',
           'zero_core_bands']

#: Radius (model pixels) of the central region that must be observed in
#: every band for a source to be classified: a band whose core is missing
#: would look like a dropout, i.e. like a Lyman break.
CORE_RADIUS_PIX = 3.0

#: Minimum fraction of valid pixels in the core of every band.
MIN_CORE_FRACTION = 0.5

#: Largest plausible flux of one model pixel (nJy, 0.03"/pix): AB 11.4 in a
#: single pixel, orders of magnitude above where NIRCam saturates in deep
#: imaging (point sources of AB ~ 15-18). Brighter values mean a unit error.
MAX_PLAUSIBLE_NJY = 1e8


class HighZFlag(enum.IntFlag):
    """
    Bit flags of the ``highz_flags`` column.

    A source is classified unless `BAND_MISSING`, `OFF_IMAGE`,
    `BAD_POSITION` or `IMPLAUSIBLE_FLUX` is set; then its probabilities are
    masked.

    Examples
    --------
    >>> from astro_galclass.highz import HighZFlag
    >>> flags = 6
    >>> HighZFlag(flags)
    <HighZFlag.PARTIAL_OVERLAP|BAD_PIXELS: 6>
    >>> bool(flags & HighZFlag.BAND_MISSING)
    False
    """

    #: The position is outside the footprint of every image.
    OFF_IMAGE = 1
    #: The cutout crosses the edge of at least one image; pixels beyond the
    #: edge are filled with zero.
    PARTIAL_OVERLAP = 2
    #: NaN, infinite or masked pixels inside the cutout, filled with zero.
    BAD_PIXELS = 4
    #: At least one band has less than half of its central pixels
    #: (r <= 3 pixels) valid, or no image: the source is not classified.
    BAND_MISSING = 8
    #: The catalog position is masked or not finite: not classified.
    BAD_POSITION = 16
    #: At least one band's core (r <= 3 pixels) is mostly exact zeros: no
    #: exposure there in a mosaic that stores unexposed pixels as 0 (grizli /
    #: DJA products do), not zero flux. The band counts as missing: a model
    #: that needs every band sets `BAND_MISSING` too and does not classify
    #: the source; one with a band-availability input classifies it from the
    #: other bands (`BANDS_SUBSET`).
    ZERO_CORE = 64
    #: Pixel values of the cutout are beyond any astronomical source (a
    #: finite core pixel brighter than `MAX_PLAUSIBLE_NJY` nJy, or values the
    #: network turns into NaN): a unit error, not a source. Not classified.
    IMPLAUSIBLE_FLUX = 128
    #: The source is unlike the training data: its ``highz_ood`` score is
    #: above the model's threshold (see `~astro_galclass.HighZClassifier.fit_ood`).
    #: It is classified, but its probabilities deserve no trust.
    OUT_OF_DISTRIBUTION = 32
    #: Classified from a subset of the bands given: the core of at least one
    #: band is missing (a mosaic edge, a chip gap, unexposed), but at least
    #: `~astro_galclass.highz.MIN_BANDS` bands have data (models with a
    #: band-availability input only; ``highz_bands_used`` says which).
    BANDS_SUBSET = 256
    #: The source passes the published photometric selection of "little red
    #: dots" (`~astro_galclass.highz.red_dots.little_red_dots`: compact in
    #: F444W, flat in the rest-frame UV, red in the rest-frame optical),
    #: mostly broad-line AGN at z ~ 4-9. The training data have no AGN and
    #: the network calls such sources brown dwarfs; the selection also
    #: picks some line-boosted galaxies and brown dwarfs, as it does on
    #: the sky. It is classified, but its probabilities deserve no trust.
    LITTLE_RED_DOT = 512


#: Flags that prevent classification.
UNCLASSIFIED = (HighZFlag.OFF_IMAGE | HighZFlag.BAND_MISSING | HighZFlag.BAD_POSITION
                | HighZFlag.IMPLAUSIBLE_FLUX)


def _core_mask(ny, nx):
    yy, xx = np.mgrid[:ny, :nx]
    return ((xx - (nx - 1) / 2) ** 2 + (yy - (ny - 1) / 2) ** 2
            <= CORE_RADIUS_PIX ** 2)


def cutout_flags(values, outside=None, *, min_bands=None):
    """
    Flags for cutouts with NaN where there is no valid data.

    Parameters
    ----------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)``; NaN (or inf) marks missing pixels.
    outside : `~numpy.ndarray` of bool, optional
        Same shape, True where the pixel lies beyond the image's edge.
    min_bands : int, optional
        Fewest bands with data at the source for it to be classified
        (``BANDS_SUBSET`` when some lack data); by default every band is
        needed.

    Returns
    -------
    flags : `~numpy.ndarray` of int
        ``(N,)`` combination of `HighZFlag` bits.
    """
    n, _, ny, nx = values.shape
    invalid = ~np.isfinite(values)
    flags = np.zeros(n, dtype=np.int32)

    if outside is not None:
        bad_inside = invalid & ~outside
        partial = outside.any(axis=(2, 3))                     # (N, bands)
        off_band = outside.all(axis=(2, 3))                    # (N, bands)
        flags[partial.any(axis=1) & ~off_band.all(axis=1)] |= HighZFlag.PARTIAL_OVERLAP
        flags[off_band.all(axis=1)] |= HighZFlag.OFF_IMAGE
    else:
        bad_inside = invalid
    flags[bad_inside.any(axis=(1, 2, 3))] |= HighZFlag.BAD_PIXELS

    core = _core_mask(ny, nx)
    zero = zero_core_bands(values)
    flags[zero.any(axis=1)] |= HighZFlag.ZERO_CORE
    core_values = values[..., core]                                   # (N, bands, core)
    with np.errstate(invalid='ignore'):
        implausible = np.isfinite(core_values) & (np.abs(core_values) > MAX_PLAUSIBLE_NJY)
    flags[implausible.any(axis=(1, 2))] |= HighZFlag.IMPLAUSIBLE_FLUX
    unusable = ~usable_bands(values)                                  # (N, bands)
    if min_bands is None:
        flags[unusable.any(axis=1)] |= HighZFlag.BAND_MISSING
    else:
        enough = (~unusable).sum(axis=1) >= min_bands
        flags[~enough] |= HighZFlag.BAND_MISSING
        flags[enough & unusable.any(axis=1)] |= HighZFlag.BANDS_SUBSET
    return flags


def zero_core_bands(values):
    """
    Bands whose core is mostly exact zeros: unexposed, not faint.

    Drizzled mosaics hold noise in every exposed pixel, so a core where at
    least `MIN_CORE_FRACTION` of the pixels are exactly 0 has no data there
    (grizli / DJA mosaics store unexposed pixels as 0). Treated as zero
    flux, such a band would look like a dropout.

    Parameters
    ----------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)``.

    Returns
    -------
    zero : `~numpy.ndarray` of bool
        ``(N, n_bands)``.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.highz import zero_core_bands
    >>> cutouts = np.random.default_rng(0).normal(0, 1, (2, 7, 64, 64))
    >>> cutouts[1, 0] = 0.0                     # F090W unexposed for source 1
    >>> zero_core_bands(cutouts)[:, 0]
    array([False,  True])
    """
    ny, nx = values.shape[-2:]
    core = _core_mask(ny, nx)
    return (values[..., core] == 0).mean(axis=-1) >= MIN_CORE_FRACTION


def usable_bands(values):
    """
    Which bands of each cutout have data at the source.

    A band is usable when at least `MIN_CORE_FRACTION`
    of its core (r <= 3 pixels) is finite and its core is not mostly exact
    zeros (unexposed; `zero_core_bands`).

    Parameters
    ----------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)``; NaN (or inf) marks missing pixels.

    Returns
    -------
    usable : `~numpy.ndarray` of bool
        ``(N, n_bands)``.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.highz import usable_bands
    >>> cutouts = np.random.default_rng(0).normal(0, 1, (1, 7, 64, 64))
    >>> cutouts[0, 0] = np.nan                  # no F090W
    >>> usable_bands(cutouts).astype(int)
    array([[0, 1, 1, 1, 1, 1, 1]])
    """
    values = np.asarray(values)
    core = _core_mask(*values.shape[-2:])
    valid = np.isfinite(values[..., core]).mean(axis=-1) >= MIN_CORE_FRACTION
    return valid & ~zero_core_bands(values)
