# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Batches of training data: fresh simulations, or a user's labelled cutouts."""

import copy

import numpy as np
import torch
from astropy import units as u

from astro_galclass.nircam import flux_per_pixel
from astro_galclass.utils._validation import check_positive_int as _check_positive_int

__all__ = ['ArrayBatches', 'BandDropoutBatches', 'MixedBatches', 'SimulatedBatches',
           'SimulatedMosaicBatches']


class _FluxBatches:
    """Shared logic: normalise and augment raw flux batches."""

    def __init__(self, *, normalization, augmentation, seed):
        self.normalization = normalization
        self.augmentation = augmentation
        self.seed = seed
        self.generator = torch.Generator().manual_seed(
            int(np.random.default_rng(seed).integers(2 ** 62)))

    def _reseed(self, epoch):
        """Seed the augmentation from ``(seed, epoch)`` (`set_epoch`)."""
        seed = 0 if self.seed is None else int(self.seed)
        self.generator.manual_seed(
            int(np.random.default_rng([seed, int(epoch), 1]).integers(2 ** 62)))

    def _prepare(self, flux, labels, augment):
        x = torch.from_numpy(np.nan_to_num(np.asarray(flux, np.float32), nan=0.0,
                                           posinf=0.0, neginf=0.0))
        if augment and self.augmentation is not None:
            x = self.augmentation(x, generator=self.generator)
        if self.normalization is not None:
            x = self.normalization(x)
        return x, torch.from_numpy(np.asarray(labels, np.int64))


class SimulatedBatches(_FluxBatches):
    """
    An endless supply of freshly simulated, labelled cutouts.

    Every batch holds new sources with new noise, so a network trained on
    it never sees the same cutout twice and cannot memorise the noise. One
    "epoch" is ``batches_per_epoch`` batches.

    Parameters
    ----------
    simulator : `~astro_galclass.simulate.NIRCamSimulator`
        Source of cutouts; its seed fixes the sequence of batches.
    batch_size : int
        Cutouts per batch.
    batches_per_epoch : int
        Batches per epoch.
    normalization : callable
        Applied to the flux tensor (nJy per pixel), e.g.
        `~astro_galclass.highz.AsinhNormalization`.
    augmentation : `~astro_galclass.training.CutoutAugmentation`, optional
        Applied before the normalisation.
    simulate_chunk : int, optional
        Cutouts simulated at once (several batches; larger is faster).
    seed : int, optional
        Seed of the augmentation's random numbers.
    workers : int, optional
        Worker processes that simulate batches in parallel (0: simulate in
        the training process). Worker ``i`` draws from its own stream, a
        copy of ``simulator`` reseeded from the simulator's generator and
        ``i`` (its augmentation too, rather than from ``seed``), and the
        batches are taken from the workers in turn, so the
        sequence is fixed by the seeds and the number of workers (it
        differs from the sequence with ``workers=0``). Use it when the
        simulation, not the network, limits the training speed (a GPU, or
        a many-core CPU).

    Notes
    -----
    `~astro_galclass.training.Trainer` calls `set_epoch` before each epoch:
    with ``workers=0`` an epoch's batches then depend on the seeds and the
    epoch number only, so a run resumed from a checkpoint sees the batches
    an uninterrupted one would have seen.

    Examples
    --------
    >>> from astro_galclass.highz import AsinhNormalization
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> from astro_galclass.training import SimulatedBatches
    >>> batches = SimulatedBatches(NIRCamSimulator(seed=1), batch_size=8,
    ...                            batches_per_epoch=2,
    ...                            normalization=AsinhNormalization())
    >>> [tuple(x.shape) for x, y in batches]
    [(8, 7, 64, 64), (8, 7, 64, 64)]
    """

    def __init__(self, simulator, *, batch_size, batches_per_epoch, normalization,
                 augmentation=None, simulate_chunk=1024, seed=0, workers=0):
        super().__init__(normalization=normalization, augmentation=augmentation, seed=seed)
        self.simulator = simulator
        self.batch_size = _check_positive_int('batch_size', batch_size)
        self.batches_per_epoch = _check_positive_int('batches_per_epoch', batches_per_epoch)
        self.simulate_chunk = max(_check_positive_int('simulate_chunk', simulate_chunk),
                                  self.batch_size)
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) \
                or workers < 0:
            msg = f'workers must be a non-negative int, got {workers!r}'
            raise ValueError(msg)
        self.workers = int(workers)
        self._loader = None
        self._base = simulator
        self._flux = np.empty((0,), np.float32)
        self._labels = np.empty((0,), np.int64)

    def __len__(self):
        return self.batches_per_epoch

    def set_epoch(self, epoch):
        """
        Draw epoch ``epoch``'s batches from streams seeded by ``(seeds, epoch)``.

        The simulator becomes a copy of the original reseeded from its seed,
        this object's ``seed`` and ``epoch``
        (`~astro_galclass.simulate.NIRCamSimulator.spawn`), and
        the augmentation is reseeded likewise. With worker processes it does
        nothing (their streams run on).

        Parameters
        ----------
        epoch : int
            Epoch number (the `~astro_galclass.training.Trainer` counts from 1).
        """
        if self.workers:
            return
        base = self._base.seed
        self.simulator = self._base.spawn([0 if base is None else int(base),
                                           0 if self.seed is None else int(self.seed),
                                           int(epoch)])
        self._reseed(epoch)
        self._flux = np.empty((0,), np.float32)
        self._labels = np.empty((0,), np.int64)

    def class_counts(self, n_classes):
        """
        Expected number of cutouts per class in one epoch.

        Parameters
        ----------
        n_classes : int
            Number of classes of the model; it must equal the number of
            classes of the simulator's ``class_fractions``.
        """
        fractions = self.simulator.class_fractions        # class name -> fraction, in label order
        if len(fractions) != n_classes:
            msg = f'the simulator has {len(fractions)} classes, the model {n_classes}'
            raise ValueError(msg)
        return (np.array(list(fractions.values()), float)
                * self.batch_size * self.batches_per_epoch)

    def _refill(self):
        flux, truth = self.simulator.sample(self.simulate_chunk)
        self._flux = flux.to_value(u.nJy)
        self._labels = np.asarray(truth['label'], np.int64)

    def draw(self, n):
        """
        ``n`` raw cutouts and labels, as the batches would see them.

        Returns ``(flux, labels)``: flux in nJy per pixel, neither augmented
        nor normalised (a validation set made the same way as the training
        data).

        Parameters
        ----------
        n : int
            Number of cutouts (positive), drawn from the simulator, which
            advances its random state.
        """
        n = _check_positive_int('n', n)
        fluxes, labels, have = [], [], 0
        while have < n:
            self._refill()
            fluxes.append(self._flux)
            labels.append(self._labels)
            have += len(self._labels)
        self._flux = np.empty((0,), np.float32)
        self._labels = np.empty((0,), np.int64)
        return np.concatenate(fluxes)[:n], np.concatenate(labels)[:n]

    def __iter__(self):
        if self.workers:
            if self._loader is None:
                self._loader = torch.utils.data.DataLoader(
                    _WorkerStream(self), batch_size=None, num_workers=self.workers,
                    persistent_workers=True, prefetch_factor=4)
            yield from self._loader
        else:
            yield from self._serial(self.batches_per_epoch)

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_loader'] = None      # worker processes are not copied
        return state

    def _serial(self, n_batches):
        for _ in range(n_batches):
            if len(self._labels) < self.batch_size:
                self._refill()
            flux, self._flux = self._flux[:self.batch_size], self._flux[self.batch_size:]
            labels = self._labels[:self.batch_size]
            self._labels = self._labels[self.batch_size:]
            yield self._prepare(flux, labels, augment=True)


class _WorkerStream(torch.utils.data.IterableDataset):
    """The batches of one `SimulatedBatches`, simulated in worker processes."""

    def __init__(self, batches):
        super().__init__()
        self.template = copy.copy(batches)   # without the loader: no reference cycle
        self.template._loader = None
        # one draw from the simulator's generator seeds all the workers
        self.entropy = int(batches.simulator.rng.integers(2 ** 62))
        self.local = None

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, n_workers = (0, 1) if info is None else (info.id, info.num_workers)
        if self.local is None:      # first epoch in this worker: its own stream
            local = copy.copy(self.template)
            local.workers = 0
            local._flux = np.empty((0,), np.float32)
            local._labels = np.empty((0,), np.int64)
            local.simulator = local.simulator.spawn([self.entropy, worker])
            local.generator = torch.Generator().manual_seed(
                int(np.random.default_rng([self.entropy, worker, 1]).integers(2 ** 62)))
            self.local = local
        total = self.template.batches_per_epoch
        yield from self.local._serial(total // n_workers + (worker < total % n_workers))


class ArrayBatches(_FluxBatches):
    """
    Shuffled batches of a fixed set of labelled cutouts (your own data).

    Parameters
    ----------
    cutouts : array-like or `~astropy.units.Quantity`
        ``(N, bands, size, size)`` fluxes per pixel, in nJy when plain
        numbers. (To train on NDData, Cutout2D or mosaics, convert them
        first with `~astro_galclass.highz.extract_cutouts`, or use
        `~astro_galclass.training.train_highz`, which accepts every input
        form of `~astro_galclass.HighZClassifier`.)
    labels : array-like of int
        Class index of each cutout (``0 .. n_classes - 1``).
    batch_size : int
        Cutouts per batch.
    normalization : callable
        Applied to the flux tensor.
    augmentation : `~astro_galclass.training.CutoutAugmentation`, optional
        Applied before the normalisation, when ``shuffle`` is True.
    shuffle : bool, optional
        Shuffle (and augment) each epoch; False for validation data.
    seed : int, optional
        Seed of the shuffling and augmentation.
    """

    def __init__(self, cutouts, labels, *, batch_size, normalization,
                 augmentation=None, shuffle=True, seed=0):
        super().__init__(normalization=normalization, augmentation=augmentation, seed=seed)
        flux = flux_per_pixel(cutouts)
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(flux):
            msg = (f'labels must be one integer per cutout ({len(flux)}), '
                   f'got shape {labels.shape}')
            raise ValueError(msg)
        if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0):
            msg = f'labels must be non-negative integers, got {labels.dtype} {labels[:5]}'
            raise ValueError(msg)
        self.flux = flux
        self.labels = labels.astype(np.int64)
        self.batch_size = _check_positive_int('batch_size', batch_size)
        self.shuffle = bool(shuffle)
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.labels) // self.batch_size)

    def set_epoch(self, epoch):
        """
        Shuffle and augment epoch ``epoch`` from ``(seed, epoch)`` (resumable runs).

        Parameters
        ----------
        epoch : int
            Epoch number.
        """
        self.rng = np.random.default_rng([0 if self.seed is None else int(self.seed),
                                          int(epoch)])
        self._reseed(epoch)

    def class_counts(self, n_classes):
        """
        Number of cutouts per class.

        Parameters
        ----------
        n_classes : int
            Number of classes: the length of the result (longer if a label
            is ``n_classes`` or more).
        """
        return np.bincount(self.labels, minlength=n_classes).astype(float)

    def __iter__(self):
        order = (self.rng.permutation(len(self.labels)) if self.shuffle
                 else np.arange(len(self.labels)))
        for start in range(0, len(order), self.batch_size):
            rows = np.sort(order[start:start + self.batch_size])
            yield self._prepare(self.flux[rows], self.labels[rows], augment=self.shuffle)


class SimulatedMosaicBatches(SimulatedBatches):
    """
    Training cutouts cut out of simulated mosaics, the way real data are.

    Like `SimulatedBatches`, but each refill simulates a field of
    native-scale mosaics (`~astro_galclass.simulate.NIRCamSimulator.make_field`)
    and extracts the cutouts with `~astro_galclass.highz.extract_cutouts` at
    the true positions, scattered by ``centroid_jitter`` (as catalog
    centroids are). The network then sees the resampling, the noise texture
    of mosaics and the neighbours that `HighZClassifier.classify_catalog`
    will give it. Sources whose cutouts are flagged (edges, missing bands)
    are not used for training.

    Parameters
    ----------
    simulator : `~astro_galclass.simulate.NIRCamSimulator`
    batch_size, batches_per_epoch, normalization, augmentation
        As for `SimulatedBatches`.
    field_sources : int, optional
        Sources per simulated field.
    field_shape : tuple of int, optional
        Short-wave mosaic shape of each field.
    centroid_jitter : float, optional
        Standard deviation of the position error, in cutout pixels.
    seed, workers
        As for `SimulatedBatches`.
    """

    def __init__(self, simulator, *, batch_size, batches_per_epoch, normalization,
                 augmentation=None, field_sources=600, field_shape=(2000, 2000),
                 centroid_jitter=0.3, seed=0, workers=0):
        super().__init__(simulator, batch_size=batch_size,
                         batches_per_epoch=batches_per_epoch, normalization=normalization,
                         augmentation=augmentation, seed=seed, workers=workers)
        self.field_sources = _check_positive_int('field_sources', field_sources)
        self.field_shape = tuple(int(s) for s in field_shape)
        self.centroid_jitter = float(centroid_jitter)

    def _refill(self):
        from astro_galclass.highz.resample import extract_cutouts

        sim = self.simulator
        images, catalog = sim.make_field(n_sources=self.field_sources, shape=self.field_shape)
        scale = sim.pixel_scale.to_value(u.arcsec / u.pix)
        shift = sim.rng.normal(0, self.centroid_jitter * scale, (len(catalog), 2)) * u.arcsec
        positions = catalog['sky_centroid'].spherical_offsets_by(shift[:, 0], shift[:, 1])
        cutouts, flags = extract_cutouts(images, positions, bands=sim.bands,
                                         size=sim.cutout_size, pixel_scale=sim.pixel_scale)
        keep = flags == 0
        self._flux = cutouts.to_value(u.nJy)[keep]
        self._labels = np.asarray(catalog['label'], np.int64)[keep]


class MixedBatches:
    """
    Batches made by joining one batch from each of several batch streams.

    Used to train on a mixture of sources, for instance cutouts rendered
    directly on the model grid (`SimulatedBatches`) together with cutouts
    cut out of simulated mosaics (`SimulatedMosaicBatches`): each batch then
    holds both kinds, so batch-normalisation statistics see the mixture. The
    proportions are set by the streams' own batch sizes.

    Parameters
    ----------
    streams : sequence
        Batch iterables with ``__len__`` (batches per epoch) and
        ``class_counts(n_classes)``, yielding ``(x, y)`` tensors with the
        same sample shape. An epoch lasts as long as the shortest stream.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.training import ArrayBatches, MixedBatches
    >>> a = ArrayBatches(torch.rand(6, 7, 8, 8).numpy(), [0, 1, 2, 0, 1, 2],
    ...                  batch_size=3, normalization=None, shuffle=False)
    >>> b = ArrayBatches(torch.rand(2, 7, 8, 8).numpy(), [1, 1], batch_size=1,
    ...                  normalization=None, shuffle=False)
    >>> [tuple(y.tolist()) for x, y in MixedBatches([a, b])]
    [(0, 1, 2, 1), (0, 1, 2, 1)]
    """

    def __init__(self, streams):
        streams = list(streams)
        if len(streams) < 1:
            msg = 'MixedBatches needs at least one batch stream, got none'
            raise ValueError(msg)
        for stream in streams:
            if not (hasattr(stream, '__len__') and hasattr(stream, 'class_counts')):
                msg = ('each stream must have __len__ and class_counts (e.g. '
                       f'SimulatedBatches), got {type(stream).__name__}')
                raise TypeError(msg)
        self.streams = streams

    def __len__(self):
        return min(len(stream) for stream in self.streams)

    def class_counts(self, n_classes):
        """
        Number of cutouts per class in one epoch, summed over the streams.

        Parameters
        ----------
        n_classes : int
            Number of classes, passed to each stream's ``class_counts``.
        """
        total = np.zeros(n_classes)
        for stream in self.streams:
            total += np.asarray(stream.class_counts(n_classes), float) / len(stream)
        return total * len(self)

    def set_epoch(self, epoch):
        """
        Pass ``epoch`` to every stream that has ``set_epoch``.

        Parameters
        ----------
        epoch : int
            Epoch number.
        """
        for stream in self.streams:
            if hasattr(stream, 'set_epoch'):
                stream.set_epoch(epoch)

    def __iter__(self):
        for parts in zip(*self.streams, strict=False):
            yield (torch.cat([x for x, _ in parts]), torch.cat([y for _, y in parts]))


class BandDropoutBatches:
    """
    Batches with random bands removed, for a band-masked network.

    Wraps a stream of normalised ``(x, y)`` batches and passes each ``x``
    through a `~astro_galclass.highz.BandDropout`, so that the network
    (``LymanBreakCNN(band_mask=True)``) learns to classify from any subset
    of its bands.

    Parameters
    ----------
    stream : iterable
        Batch stream with ``__len__`` and ``class_counts(n_classes)``.
    dropout : `~astro_galclass.highz.BandDropout`
        Which bands each cutout keeps.
    seed : int, optional
        Seed of the band choices.
    fixed : bool, optional
        Draw the same band subsets at every pass (for a validation set).

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.highz import BandDropout
    >>> from astro_galclass.nircam import NIRCAM_BANDS
    >>> from astro_galclass.training import ArrayBatches, BandDropoutBatches
    >>> batches = ArrayBatches(torch.rand(4, 7, 8, 8).numpy(), [0, 1, 2, 0], batch_size=2,
    ...                        normalization=None, shuffle=False)
    >>> masked = BandDropoutBatches(batches, BandDropout(NIRCAM_BANDS), fixed=True)
    >>> [tuple(x.shape) for x, _ in masked]
    [(2, 14, 8, 8), (2, 14, 8, 8)]
    """

    def __init__(self, stream, dropout, *, seed=0, fixed=False):
        self.stream = stream
        self.dropout = dropout
        self.seed = int(seed)
        self.fixed = bool(fixed)
        self.generator = torch.Generator().manual_seed(self.seed)

    def __len__(self):
        return len(self.stream)

    def class_counts(self, n_classes):
        """
        Number of cutouts per class in one epoch (that of the wrapped stream).

        Parameters
        ----------
        n_classes : int
            Number of classes, passed to the wrapped stream.
        """
        return self.stream.class_counts(n_classes)

    def set_epoch(self, epoch):
        """
        Seed the band choices from ``(seed, epoch)`` and pass ``epoch`` on.

        Parameters
        ----------
        epoch : int
            Epoch number (ignored for the band choices when ``fixed``).
        """
        if not self.fixed:
            self.generator.manual_seed(
                int(np.random.default_rng([self.seed, int(epoch)]).integers(2 ** 62)))
        if hasattr(self.stream, 'set_epoch'):
            self.stream.set_epoch(epoch)

    def __iter__(self):
        if self.fixed:
            self.generator.manual_seed(self.seed)
        for x, y in self.stream:
            yield self.dropout(x, generator=self.generator), y
