# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Survey-scale classification: Dask workers, and results streamed to Parquet.

`classify_catalog` classifies a catalog of any size with a
`~astro_galclass.HighZClassifier`:

- the catalog is cut into partitions of sources close on the sky (whole
  chunks of the single-process call's sky-cell order, see
  `~astro_galclass.highz.HighZClassifier.classify_catalog`);
- with a `dask.distributed.Client`, each partition is a task: the worker
  opens the FITS mosaics by path and reads only the windows its sources
  need (no pixel goes through the scheduler), loads the classifier once
  (on its GPU when it has one and
  ``device='auto'``), and returns the partition's probabilities and flags;
  a task lost with its worker is run again elsewhere, and each partition
  lands in its place once, so no row is lost or duplicated;
- without a client the partitions run one after the other in this process,
  which with ``output=`` bounds the memory of a catalog of any length;
- the result is the single-process call's table (same rows, order, columns
  and meta; bit-identical probabilities on the CPU when both sides run torch
  with the same number of threads), or with ``output=`` a
  folder of Parquet files, one per partition, that `astropy.table.Table.read`,
  ``pyarrow.dataset`` or ``dask.dataframe.read_parquet`` read back.

Dask (``dask[distributed]``) and pyarrow are optional dependencies:
``pip install astro_galclass[distributed]``.
"""

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.utils._progress import progress_bar
from astro_galclass.utils._validation import check_positive_int

__all__ = ['DEFAULT_PARTITION_SIZE', 'classify_catalog', 'read_parquet']

#: Sources per partition (rounded up to whole chunks of ``4 * batch_size``).
DEFAULT_PARTITION_SIZE = 8192

#: File name pattern of the Parquet partitions.
PART_NAME = 'part-{:06d}.parquet'


def _check_classifier(classifier):
    from astro_galclass.highz import HighZClassifier

    if not isinstance(classifier, HighZClassifier):
        msg = f'classifier must be a HighZClassifier, got {type(classifier).__name__}'
        raise TypeError(msg)


def _check_paths(images):
    """Images must be FITS paths for workers to open them where they run."""
    if not isinstance(images, dict):
        return
    not_paths = {band: type(obj).__name__ for band, obj in images.items()
                 if not isinstance(obj, (str, os.PathLike))}
    if not_paths:
        msg = ('with a Dask client, images must be FITS file paths that every worker can '
               f'open (memory-mapped); got {not_paths}: write them with '
               'astropy.io.fits, or pass client=None')
        raise TypeError(msg)
    missing = [str(p) for p in images.values() if not Path(p).is_file()]
    if missing:
        msg = f'image files not found: {missing}'
        raise FileNotFoundError(msg)


def _check_output(output, overwrite):
    """The output folder: created, and empty of partitions unless ``overwrite``."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        msg = f'output must be a folder for the Parquet partitions; {output} is a file'
        raise ValueError(msg)
    output.mkdir(parents=True, exist_ok=True)
    old = sorted(output.glob('part-*.parquet'))
    if old and not overwrite:
        msg = (f'{output} already holds {len(old)} Parquet partitions; pass '
               'overwrite=True to replace them, or choose another folder')
        raise FileExistsError(msg)
    if not os.access(output, os.W_OK):
        msg = f'cannot write to the output folder {output}'
        raise PermissionError(msg)
    for path in old:
        path.unlink()
    return output


def _partitions(job, partition_size):
    """Row indices of each partition: runs of whole chunks in sky-cell order."""
    per = max(1, -(-partition_size // job.chunk_size))
    bounds = range(0, job.n_chunks, per)
    return [np.concatenate(list(job.chunks(b, min(b + per, job.n_chunks))))
            for b in bounds]


def _serialise(classifier):
    """The classifier's weights file as bytes, and the options that go with it."""
    buffer = io.BytesIO()
    classifier.save(buffer)
    data = buffer.getvalue()
    return data, {'batch_size': classifier.batch_size, 'precision': classifier.precision,
                  'sha256': hashlib.sha256(data).hexdigest()}


#: On each worker: the last classifier and images it loaded.
_WORKER_CACHE = {}


def _worker_classifier(data, options, device):
    from astro_galclass.highz import HighZClassifier

    key = ('classifier', options['sha256'], options['batch_size'], options['precision'],
           str(device))
    if _WORKER_CACHE.get('classifier_key') != key:
        folder = Path(tempfile.gettempdir()) / 'astro_galclass-distributed'
        folder.mkdir(exist_ok=True)
        path = folder / f"{options['sha256']}.pt"
        if not path.exists():
            tmp = path.with_suffix(f'.{os.getpid()}.tmp')
            tmp.write_bytes(data)
            tmp.replace(path)
        clf = HighZClassifier(path, device=device, batch_size=options['batch_size'])
        clf.precision = options['precision']
        _WORKER_CACHE.update(classifier_key=key, classifier=clf)
    return _WORKER_CACHE['classifier']


def _worker_images(images, bands, unit):
    from astro_galclass.highz.resample import prepare_images

    key = ('images', tuple((b, str(p), os.stat(p).st_mtime_ns) for b, p in images.items()),
           str(unit))
    if _WORKER_CACHE.get('images_key') != key:
        with warnings.catch_warnings():
            # the driver already warned about the images (units, coverage)
            warnings.simplefilter('ignore', AstroGalclassUserWarning)
            prepared = prepare_images(images, bands, unit=unit)
        _WORKER_CACHE.update(images_key=key, images=prepared)
    return _WORKER_CACHE['images']


def _partition_task(index, data, options, device, images, unit, job, ra, dec, hook=None):
    """A Dask task: classify one partition on the worker that runs it."""
    if hook is not None:
        hook(index)
    from astro_galclass.highz._catalog import CatalogRun

    clf = _worker_classifier(data, options, device)
    run = CatalogRun(clf, job, prepared=_worker_images(images, clf.bands, unit))
    with warnings.catch_warnings():
        # warnings are the driver's, once, from the counts of all partitions
        warnings.simplefilter('ignore', AstroGalclassUserWarning)
        return index, run.classify_partition(ra, dec)


def classify_catalog(classifier, catalog, images, *, client=None,
                     partition_size=DEFAULT_PARTITION_SIZE, output=None, overwrite=False,
                     position_column=None, unit=None, priors=None, uncertainty=False,
                     device='auto', progress=True, _task_hook=None):
    """
    Classify a catalog partition by partition, on Dask workers or in this process.

    Gives what ``classifier.classify_catalog(catalog, images, ...)`` gives:
    the same rows in the same order, the same columns and provenance, and on
    the CPU bit-identical probabilities when torch runs with the same number
    of threads here and on the workers (the partitions are runs of the
    single-process call's chunks, so every source meets the network in the
    same batch; with other thread counts they agree to about 1e-10);
    warnings are raised here, once, from the counts of all partitions.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        The classifier; its weights, ``batch_size``, ``precision``,
        temperature, priors and out-of-distribution statistics go to the
        workers.
    catalog : `~astropy.coordinates.SkyCoord` or `~astropy.table.Table`
        As for `~astro_galclass.HighZClassifier.classify_catalog`.
    images : dict
        Band -> image. With a ``client``, FITS file paths that every worker
        can read (a shared or copied file system): each worker opens them
        memory-mapped and reads only the pixels around its sources.
    client : `dask.distributed.Client`, optional
        Run the partitions as tasks on this client's workers. `None` runs
        them here, one after the other.
    partition_size : int, optional
        Sources per partition, rounded up to whole chunks of
        ``4 * classifier.batch_size``. Rows with no usable position form one
        more partition (flagged ``BAD_POSITION``, never dropped).
    output : str or path-like, optional
        A folder (created if needed) to write the results to instead of
        returning one table: one Parquet file per partition,
        ``part-000000.parquet`` ..., each holding that partition's catalog
        rows, the result columns, the provenance in its meta and a column
        ``row`` with each row's index in ``catalog``. Read them back with
        `read_parquet`. The results of a partition are released once it is
        written, so memory does not grow with the catalog.
    overwrite : bool, optional
        Replace existing result columns (as in ``classify_catalog``) and
        existing partitions in ``output``.
    position_column, unit, priors, uncertainty
        As for `~astro_galclass.HighZClassifier.classify_catalog`.
    device : str, optional
        Device of the workers' classifiers: ``'auto'`` (each worker's GPU
        when it has one), ``'cpu'``, ``'cuda'``. Without a client the
        classifier's own device is used.
    progress : bool, optional
        Show a progress bar over partitions (only on a terminal).
    _task_hook : callable, optional
        For tests: called on the worker with the partition's index at the
        start of each task (the test suite kills a worker with it).

    Returns
    -------
    table : `~astropy.table.QTable` or `~astropy.table.Table`, or list of `~pathlib.Path`
        The classified catalog, or with ``output`` the Parquet files written,
        in row-partition order.

    Examples
    --------
    >>> from astro_galclass import HighZClassifier
    >>> from astro_galclass.distributed import classify_catalog
    >>> from astro_galclass.simulate import make_toy_field
    >>> images, truth = make_toy_field(n_sources=5, seed=1)
    >>> clf = HighZClassifier.pretrained(device='cpu')
    >>> table = classify_catalog(clf, truth['sky_centroid'], images, partition_size=2)
    >>> len(table), table.colnames[1:3]
    (5, ['p_low_z', 'p_high_z'])

    With a Dask cluster, pass ``client=Client(...)`` and FITS paths as images.
    """
    _check_classifier(classifier)
    partition_size = check_positive_int('partition_size', partition_size)
    if client is not None:
        try:
            from distributed import Client
        except ImportError as exc:       # pragma: no cover - client implies dask
            msg = 'client= needs dask.distributed: pip install "dask[distributed]"'
            raise ImportError(msg) from exc
        if not isinstance(client, Client):
            msg = f'client must be a dask.distributed.Client, got {type(client).__name__}'
            raise TypeError(msg)
        _check_paths(images)
    if output is not None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            msg = 'output= writes Parquet, which needs pyarrow: pip install pyarrow'
            raise ImportError(msg) from exc
        output = _check_output(output, overwrite)
    from astro_galclass.highz._catalog import CatalogRun

    run = CatalogRun.plan(classifier, catalog, images, position_column=position_column,
                          unit=unit, priors=priors, uncertainty=uncertainty)
    job = run.job
    parts = _partitions(job, partition_size)
    sink = _Sink(run, catalog, output, overwrite)
    with progress_bar(total=len(job.order), progress=progress, unit='source',
                      desc='classifying') as bar:
        if client is None:
            for index, rows in enumerate(parts):
                sink.put(index, rows, run.classify_partition(job.ra[rows], job.dec[rows]))
                bar.update(len(rows))
        else:
            _run_on_client(client, classifier, images, unit, job, parts, sink, bar,
                           device, _task_hook)
    return sink.finish(len(parts))


def _run_on_client(client, classifier, images, unit, job, parts, sink, bar, device, hook):
    from distributed import as_completed

    data, options = _serialise(classifier)
    [weights] = client.scatter([data], broadcast=True, hash=False)
    light = replace(job, ra=np.empty(0), dec=np.empty(0), valid=np.empty(0, bool),
                    order=np.empty(0, int), prepared=None)
    paths = {band: str(Path(p).resolve()) for band, p in images.items()}
    futures = [client.submit(_partition_task, index, weights, options, device, paths, unit,
                             light, job.ra[rows], job.dec[rows], hook, pure=False)
               for index, rows in enumerate(parts)]
    try:
        for future in as_completed(futures):
            index, result = future.result()
            sink.put(index, parts[index], result)
            bar.update(len(parts[index]))
            future.release()
    finally:
        for future in futures:
            future.cancel()
        weights.release()


class _Sink:
    """Collects partition results into one table, or writes them to Parquet."""

    def __init__(self, run, catalog, output, overwrite):
        self.run = run
        self.catalog = catalog
        self.job = job = run.job
        self.output = output
        self.overwrite = overwrite
        self.done = set()
        self.paths = []
        # counts for the warnings, and every row's flags
        self.totals = job.empty_result()
        if output is not None:
            self.totals.probs = self.totals.ood = self.totals.std = self.totals.used = None

    def put(self, index, rows, result):
        if index in self.done:            # a task run twice (a lost worker): once only
            return
        self.done.add(index)
        self.totals.put(rows, result)
        if self.output is not None:
            self._write(index, rows, result)

    def _subset(self, rows):
        from astropy.coordinates import SkyCoord

        if isinstance(self.catalog, SkyCoord):
            coords = self.catalog.reshape((1,)) if self.catalog.isscalar else self.catalog
            return coords[rows]
        return self.catalog[rows]

    def _write(self, index, rows, result):
        from astropy.table import Column

        result.flags = self.totals.flags[rows]
        table = self.run.table(self._subset(rows), result, overwrite=self.overwrite)
        table['row'] = Column(rows.astype(np.int64),
                              description='index of the row in the classified catalog')
        path = self.output / PART_NAME.format(index)
        table.write(path, format='parquet', overwrite=True)
        self.paths.append(path)

    def finish(self, n_parts):
        job, totals = self.job, self.totals
        missing = sorted(set(range(n_parts)) - self.done)
        if missing:                       # never expected: the scheduler retries
            msg = f'partitions {missing} returned no result'
            raise RuntimeError(msg)
        if self.output is None:
            return self.run.finish(self.catalog, totals, overwrite=self.overwrite,
                                   stacklevel=3)
        invalid = np.flatnonzero(~job.valid)
        if len(invalid):
            # rows with no usable position: flagged, written, never dropped
            from astro_galclass.highz._catalog import RowResults

            self._write(n_parts, invalid, RowResults.empty(len(invalid), job))
        self.run.warn(totals, stacklevel=3)
        return sorted(self.paths)


def read_parquet(output):
    """
    Read the Parquet partitions written by `classify_catalog` into one table.

    Rows come back in the order of the classified catalog (by the ``row``
    column), with the provenance of the first partition in ``meta``.

    Parameters
    ----------
    output : str or path-like
        The ``output`` folder given to `classify_catalog`.

    Returns
    -------
    table : `~astropy.table.QTable`
    """
    from astropy.table import QTable, vstack

    paths = sorted(Path(output).glob('part-*.parquet'))
    if not paths:
        msg = f'{output} holds no part-*.parquet files written by classify_catalog'
        raise FileNotFoundError(msg)
    tables = [QTable.read(p, format='parquet') for p in paths]
    table = vstack(tables, metadata_conflicts='silent')
    table = table[np.argsort(np.asarray(table['row']), kind='stable')]
    table.meta = tables[0].meta
    return table
