# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Find the sky positions of a user's catalog."""

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table

__all__ = ['catalog_positions']

# RA/Dec column pairs recognised when a table has no SkyCoord column,
# compared case-insensitively.
_RADEC_NAMES = (('ra', 'dec'), ('ra_deg', 'dec_deg'), ('raj2000', 'dej2000'),
                ('alpha_j2000', 'delta_j2000'), ('alpha', 'delta'))

#: photutils' SourceCatalog names its sky position column this way.
_PREFERRED_SKYCOORD = 'sky_centroid'


def _column_as_angle(table, name):
    col = table[name]
    unit = getattr(col, 'unit', None)
    if unit is None or not u.Unit(unit).is_equivalent(u.deg):
        msg = (f'catalog column {name!r} must carry an angle unit (e.g. deg) '
               f'to be used as a position, got unit {unit}')
        raise ValueError(msg)
    values = np.ma.getdata(u.Quantity(col).to_value(u.deg)).astype(float)
    mask = np.ma.getmaskarray(col) if hasattr(col, 'mask') else np.zeros(len(col), bool)
    return values, np.asarray(mask, bool)


def _from_radec(table, ra_name, dec_name):
    ra, ra_mask = _column_as_angle(table, ra_name)
    dec, dec_mask = _column_as_angle(table, dec_name)
    valid = ~ra_mask & ~dec_mask & np.isfinite(ra) & np.isfinite(dec) \
        & (np.abs(dec) <= 90)
    coords = SkyCoord(np.where(valid, ra, 0.0) * u.deg,
                      np.where(valid, dec, 0.0) * u.deg, frame='icrs')
    return coords, valid, f'{ra_name}/{dec_name}'


def _from_skycoord(coords, description):
    if coords.isscalar:
        coords = coords.reshape((1,))
    if coords.ndim != 1:
        msg = f'expected a 1-D SkyCoord of sources, got shape {coords.shape}'
        raise ValueError(msg)
    sph = coords.spherical
    valid = np.isfinite(sph.lon.value) & np.isfinite(sph.lat.value)
    return coords, valid, description


def catalog_positions(catalog, position_column=None):
    """
    Sky positions of the sources of ``catalog``.

    Parameters
    ----------
    catalog : `~astropy.coordinates.SkyCoord` or `~astropy.table.Table`
        A SkyCoord, or a table with a SkyCoord column or RA/Dec columns with
        angle units.
    position_column : str or tuple of two str, optional
        The SkyCoord column, or the (RA, Dec) column names, to use. When
        `None`, a ``sky_centroid`` column (photutils) is used, else the only
        SkyCoord column, else a recognised RA/Dec pair.

    Returns
    -------
    coords : `~astropy.coordinates.SkyCoord`
        One position per row (placeholder 0, 0 where invalid).
    valid : `~numpy.ndarray` of bool
        False where the position is masked or not finite.
    description : str
        Which column(s) the positions came from.
    """
    if isinstance(catalog, SkyCoord):
        if position_column is not None:
            msg = ('position_column applies to a table; a SkyCoord was given, '
                   f'with position_column={position_column!r}')
            raise ValueError(msg)
        return _from_skycoord(catalog, 'SkyCoord')
    if not isinstance(catalog, Table):
        msg = ('catalog must be a SkyCoord or an astropy Table/QTable with '
               f'positions, got {type(catalog).__name__}')
        raise TypeError(msg)

    if position_column is not None:
        if isinstance(position_column, str):
            if position_column not in catalog.colnames:
                msg = (f'position_column {position_column!r} is not a column '
                       f'of the catalog; columns: {catalog.colnames}')
                raise ValueError(msg)
            col = catalog[position_column]
            if not isinstance(col, SkyCoord):
                msg = (f'position_column {position_column!r} must be a '
                       f'SkyCoord column, got {type(col).__name__}; give a '
                       "(ra, dec) pair of column names for angle columns")
                raise ValueError(msg)
            return _from_skycoord(col, position_column)
        names = tuple(position_column)
        if len(names) != 2 or not all(isinstance(n, str) for n in names):
            msg = ('position_column must be a column name or a pair of '
                   f'(ra, dec) column names, got {position_column!r}')
            raise ValueError(msg)
        missing = [n for n in names if n not in catalog.colnames]
        if missing:
            msg = (f'position columns {missing} are not in the catalog; '
                   f'columns: {catalog.colnames}')
            raise ValueError(msg)
        return _from_radec(catalog, *names)

    skycoord_cols = [name for name in catalog.colnames
                     if isinstance(catalog[name], SkyCoord)]
    if _PREFERRED_SKYCOORD in skycoord_cols:
        return _from_skycoord(catalog[_PREFERRED_SKYCOORD], _PREFERRED_SKYCOORD)
    if len(skycoord_cols) == 1:
        return _from_skycoord(catalog[skycoord_cols[0]], skycoord_cols[0])
    if len(skycoord_cols) > 1:
        msg = (f'the catalog has several SkyCoord columns {skycoord_cols}; '
               'choose one with position_column=')
        raise ValueError(msg)

    lower = {name.lower(): name for name in catalog.colnames}
    for ra_name, dec_name in _RADEC_NAMES:
        if ra_name in lower and dec_name in lower:
            return _from_radec(catalog, lower[ra_name], lower[dec_name])

    msg = ('the catalog has no positions: expected a SkyCoord column (e.g. '
           "photutils' 'sky_centroid') or RA/Dec columns with angle units "
           f'(e.g. ra, dec); columns: {catalog.colnames}. Use position_column= '
           'to name them')
    raise ValueError(msg)
