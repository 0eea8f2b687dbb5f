# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The metadata of a `~astro_galclass.HighZClassifier`: built for a model
instance, checked for a weights file.

The metadata is everything the network needs to be applied to data (band
order, class names, grid, flux unit, normalisation, calibration, priors,
out-of-distribution statistics); a weights file brings it, and nothing in it
is used before it is checked here.
"""

from collections.abc import Sequence

import numpy as np

from astro_galclass.highz.normalization import AsinhNormalization, normalization_from_dict
from astro_galclass.nircam import DEFAULT_PIXEL_SCALE, HIGHZ_CLASSES, NIRCAM_BANDS, check_priors
from astro_galclass.utils._units import pixel_scale_arcsec
from astro_galclass.utils._validation import check_positive_float, check_positive_int

__all__ = ['check_file_metadata', 'check_names', 'model_metadata']


def check_names(name, values):
    """
    Band or class names: a sequence of unique identifiers.

    Parameters
    ----------
    name : str
        What they are, for messages.
    values : sequence of str
        The names.

    Returns
    -------
    names : tuple of str
    """
    if isinstance(values, str) or not isinstance(values, Sequence):
        msg = f'{name} must be a sequence of str, got {type(values).__name__}'
        raise TypeError(msg)
    values = tuple(values)
    if not values or not all(isinstance(v, str) and v.isidentifier()
                             for v in values):
        msg = f'{name} must be non-empty identifiers, got {values}'
        raise ValueError(msg)
    if len(set(values)) != len(values):
        msg = f'{name} must be unique, got {values}'
        raise ValueError(msg)
    return values


def _pooling(model):
    """The factor the network's poolings divide the cutout by (with ``early_pool``)."""
    return model.config.get('early_pool', 1) * 2 ** len(model.config['spatial_channels'])


def model_metadata(model, *, bands, classes, pixel_scale, cutout_size, normalization, name,
                   training):
    """
    The metadata of a model instance, from the classifier's options.

    Parameters
    ----------
    model : `~astro_galclass.highz.LymanBreakCNN`
        The network.
    bands, classes, pixel_scale, cutout_size, normalization, name, training
        As for `~astro_galclass.HighZClassifier` (None: the default).

    Returns
    -------
    metadata : dict
    normalization : `~astro_galclass.highz.AsinhNormalization`
        The normalisation object (the metadata holds its dict).
    """
    bands = check_names('bands', NIRCAM_BANDS if bands is None else bands)
    classes = check_names('classes', HIGHZ_CLASSES if classes is None else classes)
    if model.n_bands != len(bands):
        msg = (f'the model takes {model.n_bands} bands but {len(bands)} '
               f'band names were given: {bands}')
        raise ValueError(msg)
    if model.n_classes != len(classes):
        msg = (f'the model has {model.n_classes} outputs but '
               f'{len(classes)} class names were given: {classes}')
        raise ValueError(msg)
    if normalization is None:
        normalization = AsinhNormalization()
    if not hasattr(normalization, 'to_dict'):
        msg = ('normalization must be a normalisation object such as '
               f'AsinhNormalization, got {type(normalization).__name__}')
        raise TypeError(msg)
    if name is not None and not isinstance(name, str):
        msg = f'name must be a str, got {type(name).__name__}'
        raise TypeError(msg)
    if training is not None and not isinstance(training, str):
        msg = f'training must be a str, got {type(training).__name__}'
        raise TypeError(msg)
    scale = pixel_scale_arcsec(DEFAULT_PIXEL_SCALE if pixel_scale is None else pixel_scale)
    size = check_positive_int('cutout_size', 64 if cutout_size is None else cutout_size)
    pooling = _pooling(model)
    if size % pooling:
        msg = (f'cutout_size must be a multiple of {pooling} (the '
               f"model's poolings), got {size}")
        raise ValueError(msg)
    if size < model.config.get('crop', 0):
        msg = (f"cutout_size must be at least the model's crop "
               f"({model.config['crop']}), got {size}")
        raise ValueError(msg)
    metadata = {
        'name': name or type(model).__name__,
        'architecture': type(model).__name__,
        'architecture_kwargs': dict(model.config),
        'bands': list(bands),
        'classes': list(classes),
        'pixel_scale': scale,
        'pixel_scale_unit': 'arcsec / pix',
        'cutout_size': size,
        'unit': 'nJy / pix',
        'normalization': normalization.to_dict(),
        'temperature': 1.0,
        'training': training or 'not recorded',
    }
    return metadata, normalization


def check_file_metadata(path, metadata, model, *, bands, classes):
    """
    Check the metadata a weights file brings, before anything uses it.

    The temperature is set to 1 where the file has none.

    Parameters
    ----------
    path : str or path-like
        The file, for messages.
    metadata : dict
        Its metadata (completed in place).
    model : `~astro_galclass.highz.LymanBreakCNN`
        The network it holds.
    bands, classes : sequence of str or None
        The classifier's options, compared with the file's.

    Returns
    -------
    normalization : `~astro_galclass.highz.AsinhNormalization`
        The normalisation the file describes.
    """
    for what, given in (('bands', bands), ('classes', classes)):
        if given is not None and tuple(given) != tuple(metadata[what]):
            msg = (f'{path!s} was trained with {what} '
                   f'{tuple(metadata[what])}, but {what}={tuple(given)} '
                   'was passed')
            raise ValueError(msg)
    metadata.setdefault('temperature', 1.0)
    check_names('bands', metadata['bands'])
    check_names('classes', metadata['classes'])
    try:
        _check_values(metadata, model)
        return normalization_from_dict(metadata['normalization'])
    except (TypeError, ValueError, KeyError) as exc:
        msg = f'{path!s} has invalid metadata: {exc}'
        raise ValueError(msg) from exc


def _check_values(metadata, model):
    """Types and ranges of the metadata a weights file brings (before use)."""
    metadata['temperature'] = check_positive_float('temperature',
                                                   metadata.get('temperature', 1.0))
    scale = metadata['pixel_scale']
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (
            np.isfinite(scale) and 0 < scale < 10):
        msg = f'pixel_scale must be a number of arcsec per pixel in (0, 10), got {scale!r}'
        raise ValueError(msg)
    size = metadata['cutout_size']
    pooling = _pooling(model)
    if isinstance(size, bool) or not isinstance(size, int) or not (
            pooling <= size <= 1024 and size % pooling == 0):
        msg = (f'cutout_size must be an int multiple of {pooling} between {pooling} and '
               f'1024, got {size!r}')
        raise ValueError(msg)
    if size < model.config.get('crop', 0):
        msg = f"cutout_size {size} is smaller than the model's crop ({model.config['crop']})"
        raise ValueError(msg)
    if len(metadata['bands']) != model.n_bands:
        msg = (f"{len(metadata['bands'])} bands named for a network of "
               f'{model.n_bands} bands')
        raise ValueError(msg)
    if len(metadata['classes']) != model.n_classes:
        msg = (f"{len(metadata['classes'])} classes named for a network of "
               f'{model.n_classes} outputs')
        raise ValueError(msg)
    for key in ('training_priors', 'default_priors'):
        if metadata.get(key) is not None:
            check_priors(metadata[key], tuple(metadata['classes']))
    stats = metadata.get('ood')
    if stats is not None:
        means = np.asarray(stats['means'], dtype=float)
        precision = np.asarray(stats['precision'], dtype=float)
        if (means.ndim != 2 or means.shape[0] != model.n_classes
                or precision.shape != (means.shape[1],) * 2
                or not (np.isfinite(means).all() and np.isfinite(precision).all())):
            msg = (f'ood statistics must hold finite means (n_classes, D) and a (D, D) '
                   f'precision, got {means.shape} and {precision.shape}')
            raise ValueError(msg)
        for key in ('threshold', 'single_band_threshold'):
            value = stats.get(key)
            if key == 'threshold' or value is not None:
                check_positive_float(f'ood {key}', value)
