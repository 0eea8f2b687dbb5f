# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
One `~astro_galclass.HighZClassifier.classify_catalog` run: its plan, its
results and the object that drives it.

A catalog is classified chunk by chunk in the order of `sky_cell_order`:
sources close on the sky are cut out together, so that the pages of a
memory-mapped mosaic that a chunk reads are few and mostly shared with the
next chunk. The single-process call and `astro_galclass.distributed` use the
same chunks (a partition of the distributed run is a run of whole chunks),
which is why both give bit-identical probabilities on the CPU: every source
meets the network in the same batch.

`CatalogRun` is the interface both drive: it plans the run (`CatalogJob`),
classifies chunks into `RowResults`, and turns the gathered results into
the warnings and the table. It uses only the classifier's public attributes
(and its `~astro_galclass.highz._engine.InferenceEngine`).
"""

import warnings
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz._columns import result_columns
from astro_galclass.highz._engine import InferenceEngine, uncertainty_samples
from astro_galclass.highz._priors import priors_option, resolve_priors
from astro_galclass.highz._warn import warn_coverage, warn_zero_cores
from astro_galclass.highz.bands import check_band_subset, usable_bands
from astro_galclass.highz.flags import HighZFlag, zero_core_bands
from astro_galclass.highz.resample import prepare_images, sample_chunk
from astro_galclass.utils._classifier import output_table
from astro_galclass.utils._positions import catalog_positions
from astro_galclass.utils._progress import progress_bar

__all__ = ['CELL_SIZE_ARCMIN', 'CatalogJob', 'CatalogRun', 'RowResults', 'sky_cell_order']

#: Side of the sky cells that order a catalog (arcmin): about 2,000 pixels
#: of a 0.03"/pix mosaic.
CELL_SIZE_ARCMIN = 1.0


#: Sub-cells per side of a cell, visited in Z order.
_SUBCELLS = 16


def sky_cell_order(coords, valid, *, cell_arcmin=CELL_SIZE_ARCMIN):
    """
    Indices of the valid rows, ordered by sky cell, then by row.

    Cells are strips of declination ``cell_arcmin`` high, cut in right
    ascension into pieces ``cell_arcmin`` wide on the sky; within a cell,
    16 x 16 sub-cells are visited along a Z-order (Morton) curve, and rows
    of one sub-cell keep their catalog order.

    Parameters
    ----------
    coords : `~astropy.coordinates.SkyCoord`
        ``(N,)`` positions (ICRS).
    valid : `~numpy.ndarray` of bool
        ``(N,)``; rows that are False are left out.
    cell_arcmin : float, optional

    Returns
    -------
    order : `~numpy.ndarray` of int
    """
    rows = np.flatnonzero(valid)
    if not len(rows):
        return rows
    cell = cell_arcmin / 60.0
    dec = np.asarray(coords.dec.deg, float)[rows]
    ra = np.asarray(coords.ra.deg, float)[rows] % 360.0
    y = (dec + 90.0) / cell
    strip = np.floor(y)
    centre = np.radians(np.clip((strip + 0.5) * cell - 90.0, -90.0, 90.0))
    x = ra * np.cos(centre) / cell
    piece = np.floor(x)
    # within a cell, a Z-order curve over 16 x 16 sub-cells keeps each chunk
    # of a dense catalog compact
    sub_x = np.clip(((x - piece) * _SUBCELLS).astype(int), 0, _SUBCELLS - 1)
    sub_y = np.clip(((y - strip) * _SUBCELLS).astype(int), 0, _SUBCELLS - 1)
    z = np.zeros(len(rows), np.int64)
    for bit in range(_SUBCELLS.bit_length() - 1):
        z |= ((sub_x >> bit) & 1) << (2 * bit) | ((sub_y >> bit) & 1) << (2 * bit + 1)
    return rows[np.lexsort((rows, z, piece, strip))]


@dataclass
class CatalogJob:
    """What `classify_catalog` needs to classify any chunk of a catalog."""

    ra: np.ndarray            # (N,) ICRS degrees of every row
    dec: np.ndarray
    valid: np.ndarray         # (N,) bool: a usable position
    order: np.ndarray         # valid rows in sky-cell order
    chunk_size: int
    prepared: dict            # band -> (image, unit) or None
    given: np.ndarray         # (n_bands,) bool: an image was given
    target: dict | None       # class mix of the field (priors)
    samples: int              # Monte Carlo dropout samples (0: none)
    n_classes: int
    n_bands: int
    band_mask: bool
    options: dict = field(default_factory=dict)

    def provenance_options(self, overwrite):
        """The options of the run as the output's provenance records them."""
        return {'position_column': self.options['position_column'],
                'unit': self.options['unit'], 'overwrite': bool(overwrite),
                'bands_given': self.options['bands_given'],
                'priors': self.options['priors'], 'uncertainty': self.options['uncertainty']}

    def chunks(self, start=0, stop=None):
        """Row indices of chunks ``start`` to ``stop`` (chunk numbers)."""
        n_chunks = self.n_chunks if stop is None else stop
        for i in range(start, n_chunks):
            yield self.order[i * self.chunk_size:(i + 1) * self.chunk_size]

    @property
    def n_chunks(self):
        """Number of chunks."""
        return -(-len(self.order) // self.chunk_size)

    def empty_result(self):
        """Results of every row, before any is classified."""
        result = RowResults.empty(len(self.ra), self)
        result.flags[~self.valid] |= HighZFlag.BAD_POSITION
        return result


@dataclass
class RowResults:
    """Per-row results of classify_catalog and the per-band counts of its warnings."""

    flags: np.ndarray                # (N,) int32 HighZFlag bits
    probs: np.ndarray                # (N, n_classes), NaN: not classified
    ood: np.ndarray                  # (N,)
    std: np.ndarray | None           # (N, n_classes) with uncertainty
    used: np.ndarray | None          # (N, n_bands) bool, band-mask models
    on_band: np.ndarray              # (n_bands,) sources each band covers
    zero_cores: np.ndarray           # (n_bands,) sources with unexposed cores

    @classmethod
    def empty(cls, n, job):
        """Results of ``n`` rows, nothing classified yet."""
        return cls(
            flags=np.zeros(n, np.int32),
            probs=np.full((n, job.n_classes), np.nan),
            ood=np.full(n, np.nan),
            std=np.full((n, job.n_classes), np.nan) if job.samples else None,
            used=np.zeros((n, job.n_bands), bool) if job.band_mask else None,
            on_band=np.zeros(job.n_bands, int),
            zero_cores=np.zeros(job.n_bands, int))

    def put(self, rows, part):
        """
        Store the results ``part`` of the rows ``rows``.

        Per-row arrays that are None here are not kept (results streamed
        elsewhere keep only the flags and the counts).
        """
        self.flags[rows] |= part.flags
        for name in ('probs', 'ood', 'std', 'used'):
            if getattr(self, name) is not None:
                getattr(self, name)[rows] = getattr(part, name)
        self.on_band += part.on_band
        self.zero_cores += part.zero_cores


class CatalogRun:
    """
    One catalog classified by a `~astro_galclass.HighZClassifier`.

    The internal interface of a catalog run, and its only one: no caller
    touches the classifier's private attributes.

    - `~astro_galclass.HighZClassifier.classify_catalog` calls `plan`,
      `run` (every chunk, in this process) and `finish` (warnings and
      table).
    - `astro_galclass.distributed.classify_catalog` calls `plan`, ships
      ``job`` (without its arrays) to the workers, where
      ``CatalogRun(classifier, job, prepared=...)`` runs `classify_partition`;
      it gathers the `RowResults` with `CatalogJob.empty_result` and
      `RowResults.put`, and calls `finish`, or `table` per Parquet partition
      and `warn` once.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        The classifier (on a worker: its copy).
    job : `CatalogJob`
        The plan (`plan`).
    prepared : dict, optional
        Band -> prepared image, or None where no image was given; default
        ``job.prepared`` (workers open their own).
    """

    def __init__(self, classifier, job, *, prepared=None):
        self.classifier = classifier
        self.job = job
        self.prepared = job.prepared if prepared is None else prepared
        self.engine = InferenceEngine(classifier)

    @classmethod
    def plan(cls, classifier, catalog, images, *, position_column, unit, priors, uncertainty):
        """
        Validate the inputs of a catalog run and plan its chunks.

        Warns (pointing two frames up: call it from the public function)
        when a model without a band-availability input has no image for some
        band.

        Parameters
        ----------
        classifier : `~astro_galclass.HighZClassifier`
            The classifier.
        catalog, images, position_column, unit, priors, uncertainty
            As for `~astro_galclass.HighZClassifier.classify_catalog`.

        Returns
        -------
        run : `CatalogRun`
        """
        clf = classifier
        target = resolve_priors(clf, priors)
        samples = uncertainty_samples(uncertainty)
        if isinstance(images, dict) and images:
            # unknown bands are an error; a seven-band model warns about
            # missing ones (and flags BAND_MISSING) instead
            check_band_subset(list(images), clf.bands, what='images',
                              minimum=clf.min_bands if clf.band_mask else 1)
        coords, valid, source = catalog_positions(catalog, position_column)
        prepared = prepare_images(images, clf.bands, unit=unit)
        given = np.array([prepared[b] is not None for b in clf.bands])
        n = len(coords)
        missing = [band for band, entry in prepared.items() if entry is None]
        if missing and n and not clf.band_mask:
            warnings.warn(f'no image for the band(s) {missing}: the {n} sources cannot be '
                          f'classified (flag BAND_MISSING); the model needs {list(clf.bands)}',
                          AstroGalclassUserWarning, stacklevel=3)
        icrs = coords.icrs
        options = {'position_column': source,
                   'unit': str(unit) if unit is not None else None,
                   'bands_given': [b for b in clf.bands if b in images],
                   'priors': priors_option(clf, target), 'uncertainty': samples}
        job = CatalogJob(
            ra=np.asarray(icrs.ra.deg, float), dec=np.asarray(icrs.dec.deg, float),
            valid=valid, order=sky_cell_order(icrs, valid), chunk_size=4 * clf.batch_size,
            prepared=prepared, given=given, target=target, samples=samples,
            n_classes=len(clf.classes), n_bands=len(clf.bands),
            band_mask=clf.band_mask, options=options)
        return cls(clf, job)

    # -- classifying ------------------------------------------------------------

    def classify_rows(self, ra, dec):
        """
        Classify the sources of one chunk.

        Parameters
        ----------
        ra, dec : `~numpy.ndarray`
            Their positions (deg, ICRS).

        Returns
        -------
        part : `RowResults`
            What the table holds per source, and the per-band counts behind
            its warnings.
        """
        from astropy.coordinates import SkyCoord

        clf, job, engine = self.classifier, self.job, self.engine
        coords = SkyCoord(ra * u.deg, dec * u.deg, frame='icrs')
        values, outside = sample_chunk(self.prepared, coords, size=clf.cutout_size,
                                       pixel_scale=clf.metadata['pixel_scale'])
        part = RowResults.empty(len(ra), job)
        part.on_band += (~outside.all(axis=(2, 3))).sum(axis=0)
        part.flags |= engine.flags(values, job.given, outside) | engine.red_dots(values)
        part.zero_cores += (zero_core_bands(values) & job.given).sum(axis=0)
        if part.used is not None:
            part.used[:] = usable_bands(values) & job.given
        part.probs[:], part.ood[:], draws = engine.evaluate(
            values, part.flags, job.target, uncertainty=job.samples)
        if job.samples:
            part.std[:] = draws.std(axis=1)
        return part

    def classify_partition(self, ra, dec):
        """
        Classify a partition (a run of whole chunks), chunk by chunk.

        Parameters
        ----------
        ra, dec : `~numpy.ndarray`
            The partition's positions (deg, ICRS), in sky-cell order.

        Returns
        -------
        result : `RowResults`
            Of the partition's rows, in their order.
        """
        job = self.job
        result = RowResults.empty(len(ra), job)
        for start in range(0, len(ra), job.chunk_size):
            rows = np.arange(start, min(start + job.chunk_size, len(ra)))
            result.put(rows, self.classify_rows(ra[rows], dec[rows]))
        return result

    def run(self, *, progress=True):
        """
        Classify every chunk in this process.

        Parameters
        ----------
        progress : bool, optional
            Show a progress bar.

        Returns
        -------
        result : `RowResults`
            Of every row of the catalog.
        """
        job = self.job
        result = job.empty_result()
        with progress_bar(total=len(job.order), progress=progress, unit='source',
                          desc='classifying') as bar:
            for rows in job.chunks():
                result.put(rows, self.classify_rows(job.ra[rows], job.dec[rows]))
                bar.update(len(rows))
        return result

    # -- results -------------------------------------------------------------------

    def table(self, catalog, result, *, overwrite):
        """
        The output table of some rows: their catalog rows, columns and provenance.

        Parameters
        ----------
        catalog : `~astropy.table.Table` or `~astropy.coordinates.SkyCoord`
            The rows (the whole catalog, or a partition's rows).
        result : `RowResults`
            Their results, in the same order.
        overwrite : bool
            Replace existing columns of the same names.

        Returns
        -------
        table : `~astropy.table.Table` or `~astropy.table.QTable`
        """
        columns = result_columns(self.classifier, result.probs, result.flags, result.ood,
                                 result.std, result.used)
        return output_table(self.classifier, catalog, columns,
                            self.job.provenance_options(overwrite), overwrite=overwrite)

    def warn(self, result, *, stacklevel):
        """
        The warnings of the run, from the results of every row.

        Parameters
        ----------
        result : `RowResults`
            Of every row (the flags and the per-band counts are used).
        stacklevel : int
            As the caller would pass to `warnings.warn`.
        """
        warn_zero_cores(result.zero_cores, self.classifier.bands, self.classifier.band_mask,
                        stacklevel=stacklevel + 1)
        warn_coverage(self.prepared, result.on_band, len(self.job.order), result.flags,
                      stacklevel=stacklevel + 1)

    def finish(self, catalog, result, *, overwrite, stacklevel):
        """
        Warn, and return the table of the whole catalog.

        Parameters
        ----------
        catalog : `~astropy.table.Table` or `~astropy.coordinates.SkyCoord`
            The catalog.
        result : `RowResults`
            Of every row.
        overwrite : bool
            Replace existing columns of the same names.
        stacklevel : int
            As the caller would pass to `warnings.warn`.

        Returns
        -------
        table : `~astropy.table.Table` or `~astropy.table.QTable`
        """
        self.warn(result, stacklevel=stacklevel + 1)
        return self.table(catalog, result, overwrite=overwrite)
