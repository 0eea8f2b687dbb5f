# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The base of the Astropy-facing classifiers.

`~astro_galclass.HighZClassifier` and
`~astro_galclass.morphology.MorphologyClassifier` do the same job around
different networks: load and check a weights file, choose the device, run
the network in batches, record provenance, return catalog columns and save.
That job is written once here, as photutils' ``aperture/_common.py`` does for
sibling apertures, so that the two cannot silently diverge; the subclasses
add only what their task needs (inputs, outputs, flags).
"""

import os
from types import MappingProxyType

import numpy as np
import torch

from astro_galclass.utils._device import cpu_has_native_bf16, resolve_device
from astro_galclass.utils._progress import progress_bar
from astro_galclass.utils._tables import append_columns, provenance
from astro_galclass.utils._validation import check_positive_int
from astro_galclass.utils._weights import (
    load_weights,
    save_weights,
    shipped_weights_path,
    state_dict_checksum,
)

__all__ = ['ClassifierBase', 'forward_batches', 'output_table']

#: Largest network a weights file may describe (ResNet-50 and VGG16 have
#: 24 and 135 million parameters).
MAX_PARAMETERS = 300_000_000


class ClassifierBase:
    """
    Weights, device, batching, provenance and output shared by the classifiers.

    Subclasses set the class attributes below and implement
    `_metadata_for_model` (the metadata of a model instance) and, where they
    check more than the required entries, `_check_file_metadata`.

    Parameters
    ----------
    weights : path-like or `torch.nn.Module`
        A weights file written by `save`, or a network instance of one of
        `architectures`.
    device : str or `torch.device`
        ``'auto'`` (CUDA when available, else the CPU), ``'cpu'``,
        ``'cuda'`` or ``'cuda:N'``.
    batch_size : int
        Inputs per forward pass.
    model_options : dict
        Options that describe a model instance (its name, pixel scale ...);
        with a weights file they are read from the file, and passing any of
        them is an error.
    file_checks : dict
        Options that, with a weights file, are only compared with its
        metadata (see `_check_file_metadata`).
    """

    #: Network classes a weights file may name, by name (never by import path).
    architectures = MappingProxyType({})
    #: Metadata entries every weights file of this classifier must hold.
    required_metadata = ('architecture', 'architecture_kwargs', 'name')
    #: Key of the provenance record in ``table.meta``.
    meta_key = None
    #: Task named in the provenance record.
    task = None
    #: File name of the shipped weights in ``astro_galclass/data``.
    shipped_weights = None
    #: Run convolutions channels-last on the CPU (faster with oneDNN).
    channels_last_on_cpu = False

    def __init__(self, weights, *, device, batch_size, model_options, file_checks):
        self.batch_size = check_positive_int('batch_size', batch_size)
        self.device = resolve_device(device)
        if isinstance(weights, torch.nn.Module):
            if type(weights) not in self.architectures.values():
                # exact types only: a weights file names its architecture, and
                # only registered names can be rebuilt when it is loaded
                msg = (f'the model must be one of {sorted(self.architectures)}, got '
                       f'{type(weights).__name__}')
                raise TypeError(msg)
            self.model = weights
            self.metadata = self._metadata_for_model(weights, **model_options,
                                                     **file_checks)
        elif isinstance(weights, (str, os.PathLike)):
            given = [k for k, v in model_options.items() if v is not None]
            if given:
                msg = (f'{given} are read from the weights file and cannot be '
                       'passed with it; they apply only to a model instance')
                raise ValueError(msg)
            self.model, self.metadata = self._load(weights)
            self._check_file_metadata(weights, self.metadata, **file_checks)
        else:
            names = ' or '.join(sorted(self.architectures))
            msg = (f'weights must be a weights file path or a {names} instance, '
                   f'got {type(weights).__name__}')
            raise TypeError(msg)
        self.model_changed()

    # -- hooks for subclasses ----------------------------------------------------

    def _metadata_for_model(self, model, **options):
        """The metadata dict of a model instance (subclasses)."""
        raise NotImplementedError

    def _check_file_metadata(self, path, metadata, **checks):
        """Check a loaded file's metadata beyond the required entries (subclasses)."""

    def _input_tensor(self, chunk):
        """One batch of prepared inputs (numpy) -> a tensor on the device."""
        x = torch.from_numpy(np.ascontiguousarray(chunk)).to(self.device)
        return x.contiguous(memory_format=self.memory_format)

    # -- weights -------------------------------------------------------------------

    def _load(self, path):
        state_dict, metadata = load_weights(path)
        missing = [k for k in self.required_metadata if k not in metadata]
        if missing:
            msg = f'{path!s} is missing the metadata entries {missing}'
            raise ValueError(msg)
        arch = metadata['architecture']
        if not isinstance(arch, str) or arch not in self.architectures:
            msg = (f'{path!s} names the architecture {arch!r}; known '
                   f'architectures: {sorted(self.architectures)}')
            raise ValueError(msg)
        kwargs = metadata['architecture_kwargs']
        if not isinstance(kwargs, dict):
            msg = (f'{path!s}: architecture_kwargs must be a dict, got '
                   f'{type(kwargs).__name__}')
            raise ValueError(msg)
        try:
            with torch.device('meta'):            # the size first, without allocating
                probe = self.architectures[arch](**kwargs)
        except (TypeError, ValueError) as exc:
            msg = f'{path!s}: the architecture_kwargs {kwargs} do not describe a {arch}: {exc}'
            raise ValueError(msg) from exc
        except Exception:
            probe = None
        if probe is not None:
            size = sum(p.numel() for p in probe.parameters())
            if size > MAX_PARAMETERS:
                msg = (f'{path!s}: its architecture_kwargs describe a {arch} of {size:.3g} '
                       f'parameters, more than any model of this package '
                       f'({MAX_PARAMETERS:.0e}); the file is damaged or not meant for it')
                raise ValueError(msg)
        try:
            model = self.architectures[arch](**kwargs)
        except (TypeError, ValueError) as exc:
            msg = f'{path!s}: the architecture_kwargs {kwargs} do not describe a {arch}: {exc}'
            raise ValueError(msg) from exc
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as exc:
            msg = (f'{path!s}: the stored weights do not fit the {arch} '
                   f'described in its metadata: {exc}')
            raise ValueError(msg) from exc
        return model, dict(metadata)

    @classmethod
    def _load_shipped(cls, *, device, batch_size):
        return cls(shipped_weights_path(cls.shipped_weights), device=device,
                   batch_size=batch_size)

    #: Arithmetic of inference: ``'fp32'``, ``'bf16'`` (bfloat16 autocast)
    #: or ``'auto'``.
    _precision = 'fp32'

    @property
    def precision(self):
        """
        Arithmetic of the forward passes: ``'fp32'`` (default), ``'bf16'`` or ``'auto'``.

        ``'bf16'`` runs the network under `torch.autocast` with bfloat16
        (``torch.autocast(device_type, dtype=torch.bfloat16)``): on CPUs with
        AVX-512 BF16 or AMX and on recent GPUs it is faster, at the cost of
        about three significant digits in the probabilities;
        ``benchmarks/bench_precision.py`` measures the speed, the agreement
        of the predicted classes and the calibration against ``'fp32'`` on
        your machine. ``'auto'`` is ``'bf16'`` on a CPU with native
        bfloat16 (`~astro_galclass.utils._device.cpu_has_native_bf16`, where
        it met the bar of 2x the speed, 99.5% class agreement and ECE within
        0.005) and ``'fp32'`` elsewhere, GPUs included until they are
        measured. The outputs' provenance records the arithmetic used
        (`arithmetic`). The default stays ``'fp32'``: float32 gives the same
        probabilities on every machine, bfloat16 moves them by up to 0.06.
        """
        return self._precision

    @precision.setter
    def precision(self, value):
        if value not in ('fp32', 'bf16', 'auto'):
            msg = f"precision must be 'fp32', 'bf16' or 'auto', got {value!r}"
            raise ValueError(msg)
        self._precision = value

    @property
    def arithmetic(self):
        """The arithmetic `precision` gives on this device: ``'fp32'`` or ``'bf16'``."""
        if self.precision == 'auto':
            return 'bf16' if self.device.type == 'cpu' and cpu_has_native_bf16() else 'fp32'
        return self.precision

    @property
    def memory_format(self):
        """Memory format of the network's input tensors on this device."""
        if self.channels_last_on_cpu and self.device.type == 'cpu':
            return torch.channels_last
        return torch.contiguous_format

    @property
    def name(self):
        """Model name recorded in outputs and saved files."""
        return self.metadata['name']

    def model_changed(self):
        """
        Bring the classifier up to date after its network changed in place.

        Training functions call it after they update the weights: the network
        goes (back) to the classifier's device and memory format, into
        evaluation mode, and `weights_sha256` is recomputed.

        Returns
        -------
        sha256 : str
            The new `weights_sha256`.
        """
        self.model.to(self.device, memory_format=self.memory_format).eval()
        return self.refresh_checksum()

    def refresh_checksum(self):
        """
        Recompute ``weights_sha256`` after the model's weights changed.

        Returns
        -------
        sha256 : str
            SHA-256 of the network's parameters and buffers
            (`~astro_galclass.utils._weights.state_dict_checksum`).
        """
        self.weights_sha256 = state_dict_checksum(self.model.state_dict())
        return self.weights_sha256

    def save(self, path):
        """
        Write the weights and metadata to one file.

        The file is read back by passing its path to the classifier; it holds
        only tensors and plain Python values, loaded with
        ``torch.load(..., weights_only=True)``.

        Parameters
        ----------
        path : str or path-like
            File to write (replaced if it exists).
        """
        from astro_galclass import __version__

        save_weights(path, self.model.state_dict(),
                     dict(self.metadata, package_version=__version__))

    # -- inference -------------------------------------------------------------------

    def _batches(self, values):
        """Yield input tensors of at most ``batch_size`` rows of ``values``."""
        for start in range(0, len(values), self.batch_size):
            yield self._input_tensor(values[start:start + self.batch_size])

    def infer(self, values, forward=None, *, empty_shape=(0,), progress=False):
        """
        Run the network, or part of it, over prepared inputs, batch by batch.

        The hook for code that needs more of the network than the
        probabilities (training, studies, the out-of-distribution fit): the
        classifier owns the device, the batching, the input normalisation
        and the arithmetic (``precision``); the model is in evaluation mode
        and no gradient is kept.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Inputs as `prepare` returns them, ``(N, ...)``.
        forward : callable, optional
            Input tensor -> output tensor ``(batch, ...)``; default the
            whole network (``model``).
        empty_shape : tuple of int, optional
            Shape of the result when ``values`` is empty.
        progress : bool, optional
            Show a progress bar on stderr (only when it is a terminal).

        Returns
        -------
        out : `~numpy.ndarray`
            ``(N, ...)`` float64.
        """
        forward = self.model if forward is None else forward
        return forward_batches(self, self._batches(values), forward, total=len(values),
                               empty_shape=empty_shape, progress=progress)

    # -- outputs -----------------------------------------------------------------------

    def _output(self, catalog, columns, options, *, overwrite=False):
        """The result table: ``catalog`` (or a new table) with ``columns`` and provenance."""
        return output_table(self, catalog, columns, options, overwrite=overwrite)


def forward_batches(classifier, batches, forward, *, total, empty_shape, progress=False):
    """
    ``forward(x)`` over input tensors, in evaluation mode, as one float64 array.

    The inference loop of `ClassifierBase.infer`, written once for every
    object that runs a classifier's network: no gradients, bfloat16 autocast
    when the classifier's `~ClassifierBase.arithmetic` is ``'bf16'``, and a
    progress bar over sources.

    Parameters
    ----------
    classifier : `ClassifierBase`
        Its ``model``, ``device`` and ``arithmetic`` are used.
    batches : iterable of `torch.Tensor`
        The network's input tensors, batch by batch.
    forward : callable
        Tensor -> tensor ``(batch, ...)``.
    total : int
        Number of sources in all batches (for the progress bar).
    empty_shape : tuple of int
        Shape of the result when there is no batch.
    progress : bool, optional
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    out : `~numpy.ndarray`
        The outputs of all batches, concatenated, float64.
    """
    classifier.model.eval()
    out = []
    autocast = torch.autocast(classifier.device.type, dtype=torch.bfloat16,
                              enabled=classifier.arithmetic == 'bf16')
    with torch.inference_mode(), progress_bar(total=total, progress=progress,
                                              unit='source', desc='classifying') as bar:
        for x in batches:
            with autocast:
                y = forward(x)
            out.append(y.double().cpu().numpy())
            bar.update(len(x))
    return np.concatenate(out) if out else np.empty(empty_shape)


def output_table(classifier, catalog, columns, options, *, overwrite=False):
    """
    A classifier's result table: ``catalog`` (or a new table) with ``columns`` and provenance.

    The provenance record (``table.meta[classifier.meta_key]``) names the
    task, the model and its weights checksum, and the options of the run
    after the device, batch size and arithmetic.

    Parameters
    ----------
    classifier : `ClassifierBase`
        The classifier whose results these are.
    catalog : `~astropy.table.Table`, `~astropy.coordinates.SkyCoord` or None
        The rows the columns belong to; None for a new table.
    columns : dict
        Column name -> column.
    options : dict
        The options of the run, recorded in the provenance.
    overwrite : bool, optional
        Replace existing columns of the same names instead of raising.

    Returns
    -------
    table : `~astropy.table.Table` or `~astropy.table.QTable`
    """
    meta = provenance(task=classifier.task, model_name=classifier.name,
                      weights_sha256=classifier.weights_sha256,
                      options={'device': str(classifier.device),
                               'batch_size': classifier.batch_size,
                               'precision': classifier.arithmetic, **options})
    return append_columns(catalog, columns, meta_key=classifier.meta_key, meta=meta,
                          overwrite=overwrite)
