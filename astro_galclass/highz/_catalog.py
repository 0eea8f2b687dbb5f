# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The plan and the results of one `~astro_galclass.HighZClassifier.classify_catalog` run.

A catalog is classified chunk by chunk in the order of `sky_cell_order`:
sources close on the sky are cut out together, so that the pages of a
memory-mapped mosaic that a chunk reads are few and mostly shared with the
next chunk. The single-process call and `astro_galclass.distributed` use the
same chunks (a partition of the distributed run is a run of whole chunks),
which is why both give bit-identical probabilities on the CPU: every source
meets the network in the same batch.
"""

from dataclasses import dataclass, field

import numpy as np

from astro_galclass.highz.flags import HighZFlag

__all__ = ['CELL_SIZE_ARCMIN', 'CatalogJob', 'RowResults', 'sky_cell_order']

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
