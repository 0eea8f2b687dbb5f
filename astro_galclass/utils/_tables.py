# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Rules for the tables the classifiers return (photutils' ``to_table`` pattern)."""

import datetime

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, QTable

__all__ = ['UNCLASSIFIED_LABEL', 'append_columns', 'class_column', 'provenance']

#: What a masked class label reads as when the column is filled.
UNCLASSIFIED_LABEL = 'unclassified'


def class_column(labels, mask, *, description):
    """
    A masked column of class names that fills as ``'unclassified'``.

    The string width fits ``'unclassified'`` as well as every label, so that
    ``column.filled()`` (and writers that fill masked values) never cut it.

    Parameters
    ----------
    labels : array-like of str
        One class name per row (any value where ``mask`` is True).
    mask : array-like of bool
        True where the row was not classified.
    description : str
        Column description.

    Returns
    -------
    column : `~astropy.table.MaskedColumn`
    """
    labels = np.asarray(labels, dtype=str)
    width = max([len(UNCLASSIFIED_LABEL), *(len(v) for v in labels.ravel())])
    return MaskedColumn(labels.astype(f'U{width}'), mask=np.asarray(mask, bool),
                        fill_value=UNCLASSIFIED_LABEL, description=description)


def provenance(*, task, model_name, weights_sha256, options):
    """
    Provenance record stored in ``table.meta``.

    It holds plain Python types only: ECSV keeps it as it is, and
    `astro_galclass.io.write_catalog` keeps it in FITS and HDF5 files too
    (astropy's own FITS writer drops nested values).
    """
    from astro_galclass import __version__

    return {
        'task': task,
        'package': 'astro_galclass',
        'version': __version__,
        'model': model_name,
        'weights_sha256': weights_sha256,
        'date': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
        'options': dict(options),
    }


def append_columns(catalog, columns, *, meta_key, meta, overwrite=False):
    """
    Return a copy of ``catalog`` with ``columns`` added.

    The user's rows, row order and columns are kept; ``catalog`` itself is
    never modified.

    Parameters
    ----------
    catalog : `~astropy.table.Table`, `~astropy.coordinates.SkyCoord` or None
        The user's catalog. A SkyCoord becomes a `~astropy.table.QTable`
        with a ``sky_centroid`` column; `None` gives a new QTable.
    columns : dict
        New columns, in order, each of the catalog's length.
    meta_key : str
        Key under which ``meta`` is stored in ``table.meta``.
    meta : dict
        Provenance (see `provenance`).
    overwrite : bool
        Replace columns that already exist instead of raising.
    """
    if catalog is None:
        table = QTable()
    elif isinstance(catalog, SkyCoord):
        coords = catalog.reshape((1,)) if catalog.isscalar else catalog
        table = QTable({'sky_centroid': coords})
    else:
        table = catalog.copy(copy_data=True)

    clashes = [name for name in columns if name in table.colnames]
    if clashes and not overwrite:
        msg = (f'the catalog already has columns {clashes}; pass '
               'overwrite=True to replace them, or rename them first')
        raise ValueError(msg)
    for name, column in columns.items():
        if name in table.colnames:
            table.replace_column(name, column)
        else:
            table[name] = column
    table.meta[meta_key] = meta
    return table

