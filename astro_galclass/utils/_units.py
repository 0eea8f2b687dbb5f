# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Conversion of image units to flux per pixel.

Images come either as a flux density per pixel (nJy, uJy, "nJy / pix") or as
a surface brightness (MJy/sr as in JWST pipeline products, nJy/arcsec2). Both
are brought to nJy per pixel of a given pixel area.
"""

import astropy.units as u

__all__ = ['flux_conversion']

_PER_PIXEL = 'per_pixel'
_SURFACE = 'surface_brightness'


def _unit_kind(unit, what):
    """Return (kind, factor) so that value * factor is nJy [/ arcsec2]."""
    unit = u.Unit(unit)
    if unit.is_equivalent(u.nJy):
        return _PER_PIXEL, unit.to(u.nJy)
    if unit.is_equivalent(u.nJy / u.pix):
        return _PER_PIXEL, unit.to(u.nJy / u.pix)
    if unit.is_equivalent(u.nJy / u.arcsec**2):
        return _SURFACE, unit.to(u.nJy / u.arcsec**2)
    msg = (f'{what} has unit {unit!s}, which is neither a spectral flux '
           'density per pixel (e.g. nJy, uJy) nor a surface brightness '
           '(e.g. MJy/sr); convert it to f_nu first (JWST images in DN/s '
           'are calibrated with the PHOTMJSR header keyword)')
    raise ValueError(msg)


def check_flux_unit(unit, what):
    """Raise a clear `ValueError` when ``unit`` is not a flux unit we handle."""
    _unit_kind(unit, what)


def flux_conversion(unit, out_pixel_area, *, in_pixel_area=None, what='data'):
    """
    Factor and kind needed to turn values in ``unit`` into nJy per output pixel.

    Parameters
    ----------
    unit : `~astropy.units.UnitBase`
        Unit of the input values.
    out_pixel_area : float
        Area of an output pixel in arcsec2.
    in_pixel_area : float or array, optional
        Area of an input pixel in arcsec2. Needed only when the input is a
        flux per pixel and the pixel grids differ (resampling); when `None`
        the input pixels are taken to be the output pixels.
    what : str
        How to name the input in error messages.

    Returns
    -------
    factor : float or array
        Multiply the input values by this to get nJy per output pixel.
    """
    kind, factor = _unit_kind(unit, what)
    if kind == _SURFACE:
        return factor * out_pixel_area
    if in_pixel_area is None:
        return factor
    return factor * out_pixel_area / in_pixel_area
