# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Turning images into the network's input: RGB in [0, 1] at a fixed size."""

import numpy as np

__all__ = ['asinh_rgb']


def asinh_rgb(flux, *, stretch=8.0, percentile=99.7):
    """
    Flux images of three bands -> colour images in [0, 1] with an arcsinh stretch.

    Each image is divided by the ``percentile`` of its middle band, then
    ``arcsinh(stretch * x) / arcsinh(1.2 * stretch)`` is applied to all
    three bands with one scale, so colours are kept (Lupton et al. 2004,
    PASP 116, 133). The simulator and
    `~astro_galclass.morphology.MorphologyClassifier` use this same function
    for flux data, so training and application agree.

    Parameters
    ----------
    flux : array-like
        ``(N, 3, H, W)`` in the order red, green, blue (e.g. i, r, g).
    stretch : float, optional
    percentile : float, optional

    Returns
    -------
    rgb : `~numpy.ndarray`
        ``(N, 3, H, W)`` float32 in [0, 1]; NaN pixels become 0.
    """
    flux = np.nan_to_num(np.asarray(flux, float))
    if flux.ndim != 4 or flux.shape[1] != 3:
        msg = f'expected (N, 3, H, W) flux images, got shape {flux.shape}'
        raise ValueError(msg)
    peak = np.percentile(flux[:, 1].reshape(len(flux), -1), percentile, axis=1)
    scaled = flux / np.where(peak > 0, peak, 1.0)[:, None, None, None]
    rgb = np.arcsinh(stretch * scaled) / np.arcsinh(1.2 * stretch)
    return np.clip(rgb, 0, 1).astype(np.float32)
