# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The warnings of a `~astro_galclass.HighZClassifier` about the data it is given.

Each function's ``stacklevel`` is the one its caller would pass to
`warnings.warn` itself, so that the warning points at the user's call.
"""

import warnings

import numpy as np

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz.bands import MIN_BANDS
from astro_galclass.highz.flags import UNCLASSIFIED, HighZFlag

__all__ = ['UNCLASSIFIED_WARNING_FRACTION', 'warn_coverage', 'warn_unusable',
           'warn_zero_cores']

#: Share of unclassified rows above which `HighZClassifier.classify_catalog`
#: warns (the rows are kept, masked and flagged, in any case).
UNCLASSIFIED_WARNING_FRACTION = 0.5


def warn_unusable(flags, what, *, stacklevel):
    """
    Say which sources a method without flags computes from zero-filled data.

    Parameters
    ----------
    flags : `~numpy.ndarray`
        ``(N,)`` flags of the sources.
    what : str
        The method, for the message.
    stacklevel : int
        As the caller would pass to `warnings.warn`.
    """
    bad = np.flatnonzero((flags & UNCLASSIFIED) != 0)
    if len(bad):
        reasons = sorted({flag.name for flag in HighZFlag
                          if flag & UNCLASSIFIED and np.any(flags[bad] & flag)})
        warnings.warn(f'{what}: {len(bad)} source(s) (rows {bad[:5].tolist()}'
                      f"{' ...' if len(bad) > 5 else ''}) cannot be classified ({reasons}); "
                      'their results come from zero-filled data', AstroGalclassUserWarning,
                      stacklevel=stacklevel + 1)


def warn_zero_cores(counts, bands, band_mask, *, stacklevel):
    """
    Name the bands whose source cores are exact zeros (unexposed).

    Parameters
    ----------
    counts : `~numpy.ndarray`
        ``(n_bands,)`` sources per band with a zero core.
    bands : sequence of str
        The classifier's bands.
    band_mask : bool
        Whether its network takes band subsets.
    stacklevel : int
        As the caller would pass to `warnings.warn`.
    """
    named = {b: int(c) for b, c in zip(bands, counts, strict=True) if c}
    if named:
        warnings.warn(f'sources per band whose core is exact zeros (no exposure, as '
                      f'mosaics that store unexposed pixels as 0 have it): {named}; '
                      'these bands count as missing there, never as zero flux (flag '
                      'ZERO_CORE, and ' + ('BANDS_SUBSET, or BAND_MISSING with fewer than '
                                           f'{MIN_BANDS} bands left)' if band_mask
                                           else 'BAND_MISSING)'), AstroGalclassUserWarning,
                      stacklevel=stacklevel + 1)


def warn_coverage(prepared, on_band, n_valid, flags, *, stacklevel):
    """
    Warn about mosaics that miss the catalog and about many unclassified rows.

    Parameters
    ----------
    prepared : dict
        Band -> prepared image, or None where no image was given.
    on_band : `~numpy.ndarray`
        ``(n_bands,)`` sources each image covers.
    n_valid : int
        Rows with a usable position.
    flags : `~numpy.ndarray`
        ``(N,)`` flags of every row.
    stacklevel : int
        As the caller would pass to `warnings.warn`.
    """
    if n_valid:
        for band, covered in zip(prepared, on_band, strict=True):
            if prepared[band] is not None and covered == 0:
                warnings.warn(f'the {band} image does not overlap any of the {n_valid} '
                              'catalog positions: check its WCS and the catalog '
                              'coordinates', AstroGalclassUserWarning,
                              stacklevel=stacklevel + 1)
    bad = (flags & UNCLASSIFIED) != 0
    if len(flags) and bad.mean() > UNCLASSIFIED_WARNING_FRACTION:
        reasons = {flag.name: int(np.sum((flags & flag) != 0)) for flag in HighZFlag
                   if flag & UNCLASSIFIED and np.any(flags & flag)}
        hint = ('; IMPLAUSIBLE_FLUX: check the images\' units (surface brightness '
                'such as MJy/sr labelled as a flux such as MJy is read as flux per pixel, '
                'orders of magnitude too bright)' if 'IMPLAUSIBLE_FLUX' in reasons else '')
        warnings.warn(f'{int(bad.sum())} of {len(flags)} rows could not be classified '
                      f'(more than {UNCLASSIFIED_WARNING_FRACTION:.0%}); rows per flag: '
                      f'{reasons}{hint}', AstroGalclassUserWarning,
                      stacklevel=stacklevel + 1)
