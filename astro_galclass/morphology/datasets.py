# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Readers for real Galaxy Zoo data, keeping every galaxy's ID with its row.

- the Kaggle "Galaxy Zoo - The Galaxy Challenge" layout
  (``images_training_rev1/<GalaxyID>.jpg`` and
  ``training_solutions_rev1.csv`` with ``GalaxyID, Class1.1, ...``);
- the seed project's ``.npz`` (``images`` and ``target``);
- a catalogue of image paths with Galaxy Zoo 2 columns (vote counts or
  fractions), as the galaxy-datasets package and the GZ2 tables provide.
"""

from pathlib import Path

import numpy as np
from astropy.table import QTable, Table

from astro_galclass.morphology.tree import GZ2_TREE

__all__ = ['LABEL_TOLERANCE', 'check_gz2_labels', 'load_gz2_catalogue',
           'load_kaggle_galaxy_zoo', 'load_seed_npz', 'preprocess_rgb', 'read_rgb_image']

#: Largest violation of the decision tree's sums accepted in label files:
#: each question's fractions sum to 1 (per question) or to the parent
#: answer's fraction (Kaggle cumulative), within this. The published tables
#: are rounded to a few decimals, well inside it.
LABEL_TOLERANCE = 0.01

#: The Kaggle recipe of the seed project (and of most entries): centre crop
#: 210 x 210 of the 424 x 424 JPEGs, resize to 64 x 64.
KAGGLE_CROP = 210


def read_rgb_image(path):
    """
    A JPEG/PNG file as ``(H, W, 3)`` RGB (Pillow).

    8-bit images come back as uint8; 16-bit grey images as float32 in
    [0, 1], scaled by their bit depth (a conversion to 8 bits would
    saturate them).

    Parameters
    ----------
    path : path-like
        The image file, any format Pillow reads; it is converted to RGB.
    """
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        msg = f'image file not found: {path}'
        raise FileNotFoundError(msg)
    with Image.open(path) as img:
        if img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
            # 16-bit (and 32-bit integer) grey images: scaled by their bit depth to
            # [0, 1], never clipped at 255 as a conversion to 8-bit RGB would
            data = np.asarray(img).astype(np.float32)
            depth = 65535.0 if img.mode.startswith('I;16') or data.max() <= 65535 \
                else float(np.iinfo(np.int32).max)
            return np.repeat(np.clip(data / depth, 0, 1)[..., None], 3, axis=-1)
        return np.asarray(img.convert('RGB'))


def preprocess_rgb(image, *, size=64, crop=None):
    """
    One RGB image -> ``(3, size, size)`` float32 in [0, 1].

    Parameters
    ----------
    image : array-like
        ``(H, W, 3)`` or ``(3, H, W)``, uint8 (0-255) or float (0-1).
    size : int or None, optional
        Output side (bicubic resampling with Pillow, as the seed did); None
        keeps the image's own size.
    crop : int, optional
        Side of a centred square crop taken first (the Kaggle recipe uses
        210 on the 424-pixel JPEGs).
    """
    from PIL import Image

    a = np.asarray(image)
    if a.ndim != 3 or 3 not in (a.shape[0], a.shape[-1]):
        msg = f'expected an RGB image (H, W, 3) or (3, H, W), got shape {a.shape}'
        raise ValueError(msg)
    if a.shape[-1] != 3:
        a = np.moveaxis(a, 0, -1)
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    else:
        a = a.astype(np.float32)
        if np.nanmax(a) > 1.0 + 1e-6 or np.nanmin(a) < -1e-6:
            msg = ('float RGB images must be in [0, 1]; got values from '
                   f'{np.nanmin(a):.3g} to {np.nanmax(a):.3g}')
            raise ValueError(msg)
    if crop is not None:
        h, w = a.shape[:2]
        if crop > min(h, w):
            msg = f'crop {crop} is larger than the image ({h} x {w})'
            raise ValueError(msg)
        y0, x0 = (h - crop) // 2, (w - crop) // 2
        a = a[y0:y0 + crop, x0:x0 + crop]
    if size is not None and a.shape[:2] != (size, size):
        channels = [np.asarray(Image.fromarray(np.ascontiguousarray(a[..., c])).resize(
            (size, size), Image.Resampling.BICUBIC)) for c in range(3)]
        a = np.clip(np.stack(channels, axis=-1), 0.0, 1.0)
    return np.ascontiguousarray(np.moveaxis(a, -1, 0), dtype=np.float32)


def _rows(ids, bad, limit=5):
    """The IDs of the rows in ``bad`` (first ``limit``), for messages."""
    where = np.flatnonzero(bad)
    shown = ', '.join(str(ids[i]) for i in where[:limit])
    more = f' and {len(where) - limit} more' if len(where) > limit else ''
    return f'{len(where)} row(s): {shown}{more}'


def check_gz2_labels(values, ids, *, kind, tolerance=LABEL_TOLERANCE, what='labels'):
    """
    Check Galaxy Zoo labels against the decision tree; name the offending rows.

    Parameters
    ----------
    values : array-like
        ``(N, 37)`` labels in the answer order of `~astro_galclass.morphology.GZ2_TREE`.
    ids : sequence
        The galaxy ID of each row (used in the messages).
    kind : {'cumulative', 'fraction', 'count'}
        Kaggle cumulative targets (each question sums to its parent
        answer's fraction, 1 for questions 1 and 6), per-question fractions
        (each question sums to 1, or is NaN where no volunteer reached it),
        or vote counts (>= 0).
    tolerance : float, optional
        Largest accepted violation of the sums.
    what : str, optional
        Name of the labels in the messages.

    Raises
    ------
    ValueError
        For masked or non-finite values where numbers are needed, values
        outside [0, 1] (fractions) or negative counts, sums that break the
        tree, and duplicate IDs; the message names the rows by ID.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.morphology import check_gz2_labels
    >>> labels = np.full((1, 37), 0.0)
    >>> labels[0, 0] = 2.0                                    # "smooth" 200%
    >>> check_gz2_labels(labels, ['587722981741363294'], kind='cumulative')
    Traceback (most recent call last):
    ...
    ValueError: labels: values outside [0, 1] in 1 row(s): 587722981741363294
    """
    ids = np.asarray(ids)
    masked = np.ma.getmaskarray(values)
    values = np.ma.getdata(values).astype(float)
    if values.ndim != 2 or values.shape[1] != GZ2_TREE.n_answers or len(ids) != len(values):
        msg = (f'{what} must be (N, {GZ2_TREE.n_answers}) with one ID per row, got shape '
               f'{values.shape} and {len(ids)} IDs')
        raise ValueError(msg)
    if kind not in ('cumulative', 'fraction', 'count'):
        msg = f"kind must be 'cumulative', 'fraction' or 'count', got {kind!r}"
        raise ValueError(msg)
    unique, counts = np.unique(ids.astype(str), return_counts=True)
    if np.any(counts > 1):
        msg = f'{what}: duplicate IDs {unique[counts > 1][:5].tolist()}'
        raise ValueError(msg)
    if masked.any(axis=1).any():
        msg = f'{what}: missing values (a short or ragged row) in {_rows(ids, masked.any(axis=1))}'
        raise ValueError(msg)
    finite = np.isfinite(values)
    if kind != 'fraction' and not finite.all():
        msg = f'{what}: NaN or infinite values in {_rows(ids, ~finite.all(axis=1))}'
        raise ValueError(msg)
    with np.errstate(invalid='ignore'):
        if kind == 'count':
            bad = (values < 0).any(axis=1)
            if bad.any():
                msg = f'{what}: negative vote counts in {_rows(ids, bad)}'
                raise ValueError(msg)
            return
        bad = ((values < -tolerance) | (values > 1 + tolerance)).any(axis=1)
        if bad.any():
            msg = f'{what}: values outside [0, 1] in {_rows(ids, bad)}'
            raise ValueError(msg)
        if kind == 'cumulative':
            residual = GZ2_TREE.identity_residuals(values)
        else:
            residual = np.zeros(len(values))
            for question in GZ2_TREE.questions:
                part = values[:, GZ2_TREE.slice(question.number)]
                reached = np.isfinite(part).all(axis=1)
                off = np.abs(np.nansum(part, axis=1) - 1)
                if (~np.isfinite(part).all(axis=1) & np.isfinite(part).any(axis=1)).any():
                    msg = (f'{what}: question {question.number} partly NaN in '
                           f'{_rows(ids, np.isfinite(part).any(axis=1) & ~reached)}')
                    raise ValueError(msg)
                residual = np.maximum(residual, np.where(reached, off, 0.0))
    bad = residual > tolerance
    if bad.any():
        rule = ('its parent answer' if kind == 'cumulative' else '1')
        msg = (f"{what}: the answers of a question do not sum to {rule} (within "
               f'{tolerance}; largest error {residual.max():.3g}) in {_rows(ids, bad)}')
        raise ValueError(msg)


def load_kaggle_galaxy_zoo(root, *, limit=None, size=64, crop=KAGGLE_CROP):
    """
    Read the Kaggle Galaxy Zoo Challenge training set.

    Parameters
    ----------
    root : path-like
        Folder holding ``training_solutions_rev1.csv`` and
        ``images_training_rev1/``.
    limit : int, optional
        Read only the first ``limit`` galaxies of the CSV.
    size, crop : int, optional
        Preprocessing (`preprocess_rgb`).

    Returns
    -------
    images : `~numpy.ndarray`
        ``(N, 3, size, size)`` float32 in [0, 1].
    table : `~astropy.table.QTable`
        ``GalaxyID`` and the 37 ``Class`` columns (cumulative fractions),
        in the CSV's order; a galaxy whose JPEG is missing is an error.

    Raises
    ------
    ValueError
        For labels that break the decision tree, values outside [0, 1],
        short rows or duplicate IDs (`check_gz2_labels`, naming the rows by
        ``GalaxyID``), or a negative ``limit``. A CSV with a header and no
        rows (or ``limit=0``) gives empty results.
    """
    root = Path(root)
    csv = root / 'training_solutions_rev1.csv'
    folder = root / 'images_training_rev1'
    if not csv.is_file() or not folder.is_dir():
        msg = (f'{root} must hold training_solutions_rev1.csv and images_training_rev1/ '
               '(the Kaggle "Galaxy Zoo - The Galaxy Challenge" layout)')
        raise FileNotFoundError(msg)
    table = QTable(Table.read(csv, format='ascii.csv'))
    missing = [c for c in ['GalaxyID', *GZ2_TREE.kaggle_columns] if c not in table.colnames]
    if missing:
        msg = f'{csv} lacks the columns {missing[:4]}'
        raise KeyError(msg)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
            msg = f'limit must be an integer >= 0, got {limit!r}'
            raise ValueError(msg)
        table = table[:int(limit)]
    check_gz2_labels(np.ma.column_stack([table[c] for c in GZ2_TREE.kaggle_columns])
                     if len(table) else np.zeros((0, GZ2_TREE.n_answers)),
                     table['GalaxyID'], kind='cumulative', what=str(csv))
    images = np.stack([preprocess_rgb(read_rgb_image(folder / f'{gid}.jpg'),
                                      size=size, crop=crop)
                       for gid in table['GalaxyID']]) if len(table) else \
        np.empty((0, 3, size, size), np.float32)
    return images, table


def load_seed_npz(path):
    """
    Read the seed project's ``.npz`` (``images`` (N, 64, 64, 3) in [0, 1], ``target`` (N, 37)).

    The file holds no galaxy IDs; the returned table numbers the rows
    (``row``), so that results can at least be traced back to the file.

    Parameters
    ----------
    path : path-like or file-like
        The ``.npz`` file (read with `numpy.load`).

    Returns
    -------
    images : `~numpy.ndarray`
        ``(N, 3, 64, 64)`` float32.
    table : `~astropy.table.QTable`
        ``row`` and the 37 ``Class`` columns.
    """
    with np.load(path) as data:
        missing = {'images', 'target'} - set(data.files)
        if missing:
            msg = f'{path} must hold arrays "images" and "target"; missing {sorted(missing)}'
            raise KeyError(msg)
        images, target = data['images'], np.asarray(data['target'], float)
    if target.ndim != 2 or target.shape[1] != 37 or len(target) != len(images):
        msg = (f'"target" must be (N, 37) for N = {len(images)} images, '
               f'got {target.shape}')
        raise ValueError(msg)
    images = np.stack([preprocess_rgb(im, size=images.shape[1]) for im in images]) \
        if len(images) else np.empty((0, 3, 64, 64), np.float32)
    table = GZ2_TREE.to_table(target, convention='kaggle')
    table.add_column(np.arange(len(target)), name='row', index=0)
    return images, table


def load_gz2_catalogue(catalogue, *, image_column='file_loc', id_column=None,
                       kind='count', root=None, size=64, crop=None):
    """
    Read images and Galaxy Zoo 2 labels from a catalogue of image files.

    Parameters
    ----------
    catalogue : `~astropy.table.Table` or path-like
        A table (or a file astropy can read) with an image-path column and
        the GZ2 columns of ``kind`` (`~astro_galclass.morphology.GZ2Tree.gz2_columns`).
    image_column : str, optional
    id_column : str, optional
        Galaxy ID column kept in the output (default: the first of
        ``dr7objid``, ``id_str``, ``objid``, ``GalaxyID`` present).
    kind : str, optional
        ``'count'`` (vote counts; fractions are derived per question),
        ``'fraction'``, ``'weighted_fraction'`` or ``'debiased'``.
    root : path-like, optional
        Folder that relative image paths are relative to.
    size, crop : optional
        Preprocessing (`preprocess_rgb`).

    Returns
    -------
    images : `~numpy.ndarray`
        ``(N, 3, size, size)`` float32.
    table : `~astropy.table.QTable`
        The ID column, the image path, the per-question fractions (GZ2
        names), the 37 Kaggle cumulative targets and, for counts, the
        counts.

    Raises
    ------
    ValueError
        For negative counts, fractions outside [0, 1] or questions whose
        fractions do not sum to 1 (within `LABEL_TOLERANCE`; 0.05 for
        ``'debiased'`` fractions, which Hart et al. 2016 adjust per answer),
        missing values or duplicate IDs (`check_gz2_labels`, naming the rows).
    """
    table = catalogue if isinstance(catalogue, Table) else Table.read(catalogue)
    if image_column not in table.colnames:
        msg = f'the catalogue has no image column {image_column!r}; columns: {table.colnames[:8]}'
        raise KeyError(msg)
    if id_column is None:
        id_column = next((c for c in ('dr7objid', 'id_str', 'objid', 'GalaxyID')
                          if c in table.colnames), None)
    per_question = GZ2_TREE.from_gz2_table(table, kind=kind)
    ids = table[id_column] if id_column is not None else np.arange(len(table))
    raw = np.ma.column_stack([table[c] for c in GZ2_TREE.gz2_columns(kind)]) \
        if len(table) else np.zeros((0, GZ2_TREE.n_answers))
    check_gz2_labels(raw, ids, kind='count' if kind == 'count' else 'fraction',
                     tolerance=LABEL_TOLERANCE if kind in ('count', 'fraction',
                                                            'weighted_fraction') else 0.05,
                     what='catalogue labels')
    out = QTable()
    if id_column is not None:
        out[id_column] = table[id_column]
    out[image_column] = table[image_column]
    fractions = GZ2_TREE.to_table(per_question, convention='gz2')
    for name in fractions.colnames:
        out[name] = fractions[name]
    cumulative = GZ2_TREE.to_table(GZ2_TREE.to_kaggle(per_question), convention='kaggle')
    for name in cumulative.colnames:
        out[name] = cumulative[name]
    if kind == 'count':
        for name in GZ2_TREE.gz2_columns('count'):
            out[name] = table[name]
    base = Path(root) if root is not None else Path('.')
    images = np.stack([preprocess_rgb(read_rgb_image(base / str(p)), size=size, crop=crop)
                       for p in table[image_column]]) if len(table) else \
        np.empty((0, 3, size, size), np.float32)
    return images, out
