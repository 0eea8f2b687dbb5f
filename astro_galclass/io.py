# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Writing and reading classified catalogs with their provenance.

The classifiers record their provenance in ``table.meta`` as a dict (for
example ``table.meta['astro_galclass_highz']``). ECSV keeps such dicts as
they are; FITS headers hold no nested values (astropy drops them with a
warning) and HDF5 keeps them only with ``serialize_meta=True``.
`write_catalog` writes any of the three so that the provenance survives, and
`read_catalog` gives it back as a dict.
"""

import json
import warnings
from pathlib import Path

from astropy.io.fits.verify import VerifyWarning
from astropy.table import QTable

__all__ = ['CATALOG_FORMATS', 'catalog_format', 'read_catalog', 'write_catalog']

_PREFIX = 'astro_galclass_'

#: File name endings `write_catalog` and `read_catalog` take, and their format.
CATALOG_FORMATS = {'.ecsv': 'ecsv', '.fits': 'fits', '.fit': 'fits', '.fts': 'fits',
                   '.h5': 'hdf5', '.hdf5': 'hdf5'}


def catalog_format(path):
    """
    The format of a catalog file from its name, or a clear error.

    Parameters
    ----------
    path : str or path-like
        File name ending in one of `CATALOG_FORMATS`.

    Returns
    -------
    format : str
        ``'ecsv'``, ``'fits'`` or ``'hdf5'``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in CATALOG_FORMATS:
        msg = (f'the catalog file must end in one of {sorted(CATALOG_FORMATS)} (ECSV, FITS '
               f'or HDF5), got {Path(path).name!r}')
        raise ValueError(msg)
    return CATALOG_FORMATS[suffix]


def write_catalog(table, path, *, overwrite=False, path_in_file='catalog'):
    """
    Write a classified catalog so that its provenance survives the format.

    Parameters
    ----------
    table : `~astropy.table.Table`
        A table returned by the classifiers (or any table).
    path : str or path-like
        ``.ecsv``, ``.fits`` (``.fit``, ``.fts``) or ``.h5`` (``.hdf5``).
    overwrite : bool, optional
        Replace an existing file.
    path_in_file : str, optional
        HDF5 only: the dataset's path inside the file.

    Notes
    -----
    ECSV is written as it is. For FITS, each provenance dict (meta keys
    starting with ``astro_galclass_``) is stored as JSON text in a
    long-string HIERARCH card. For HDF5 the metadata is serialised with
    astropy's ``serialize_meta=True`` (needs ``h5py``). The table itself is
    never modified.

    Examples
    --------
    >>> from astropy.table import QTable
    >>> from astro_galclass.io import read_catalog, write_catalog
    >>> t = QTable({'id': [1, 2]})
    >>> t.meta['astro_galclass_highz'] = {'model': 'm', 'options': {'device': 'cpu'}}
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'c.fits')
    >>> write_catalog(t, path)
    >>> read_catalog(path).meta['astro_galclass_highz']['options']
    {'device': 'cpu'}
    """
    kind = catalog_format(path)
    if kind == 'ecsv':
        table.write(path, format='ascii.ecsv', overwrite=overwrite)
    elif kind == 'hdf5':
        table.write(path, format='hdf5', path=path_in_file, overwrite=overwrite,
                    serialize_meta=True)
    else:
        out = table.copy(copy_data=False)
        for key, value in table.meta.items():
            if str(key).lower().startswith(_PREFIX) and isinstance(value, dict):
                out.meta[key] = json.dumps(value)
        with warnings.catch_warnings():
            # keys longer than eight characters become HIERARCH cards
            warnings.filterwarnings('ignore', message='Keyword name', category=VerifyWarning)
            out.write(path, format='fits', overwrite=overwrite)


def read_catalog(path, *, path_in_file='catalog'):
    """
    Read a catalog written by `write_catalog` (or by astropy), provenance as dicts.

    Parameters
    ----------
    path : str or path-like
        ``.ecsv``, ``.fits`` (``.fit``, ``.fts``) or ``.h5`` (``.hdf5``).
    path_in_file : str, optional
        HDF5 only: the dataset's path inside the file.

    Returns
    -------
    table : `~astropy.table.QTable`
        With ``meta['astro_galclass_...']`` dicts wherever the file holds
        them, also when FITS stored them as JSON text.
    """
    kind = catalog_format(path)
    if kind == 'hdf5':
        table = QTable.read(path, format='hdf5', path=path_in_file)
    else:
        table = QTable.read(path, format='ascii.ecsv' if kind == 'ecsv' else 'fits')
    for key, value in list(table.meta.items()):
        if str(key).lower().startswith(_PREFIX) and isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                table.meta[str(key).lower()] = parsed
                if str(key) != str(key).lower():
                    del table.meta[key]
    return table
