# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
What the network of a `~astro_galclass.HighZClassifier` sees: its
embedding, its feature maps and Grad-CAM maps of prepared cutouts.
"""

import numpy as np
import torch

__all__ = ['embeddings', 'feature_maps', 'gradcam_layer', 'gradcam_maps']


def embeddings(engine, values):
    """
    The penultimate-layer embedding of prepared cutouts.

    Parameters
    ----------
    engine : `~astro_galclass.highz._engine.InferenceEngine`
        The classifier's engine.
    values : `~numpy.ndarray`
        Prepared cutouts.

    Returns
    -------
    embedding : `~numpy.ndarray`
        ``(N, embedding_size)`` float64.
    """
    model = engine.classifier.model
    return engine.infer(values, model.embed, (0, model.embedding_size))


def feature_maps(engine, values):
    """
    The stage outputs of the network for prepared cutouts.

    Parameters
    ----------
    engine : `~astro_galclass.highz._engine.InferenceEngine`
        The classifier's engine.
    values : `~numpy.ndarray`
        Prepared cutouts.

    Returns
    -------
    maps : dict of `~numpy.ndarray`
        Stage -> ``(N, channels, height, width)``; empty for no cutout.
    """
    model = engine.classifier.model
    out = {}
    model.eval()
    with torch.inference_mode():
        for x in engine.batches(values):
            for key, value in model.feature_maps(x).items():
                out.setdefault(key, []).append(value.float().cpu().numpy())
    if not out:
        return {}
    return {key: np.concatenate(value) for key, value in out.items()}


def gradcam_layer(model, stage):
    """
    The spatial residual block whose maps Grad-CAM weighs.

    Parameters
    ----------
    model : `~astro_galclass.highz.LymanBreakCNN`
        The network.
    stage : int
        Index of the block (negative from the last).

    Returns
    -------
    layer : `torch.nn.Module`
    """
    blocks = [m for m in model.spatial if isinstance(m, type(model.spatial[0]))]
    try:
        return blocks[stage]
    except (IndexError, TypeError):
        msg = f'stage must index one of the {len(blocks)} spatial blocks, got {stage!r}'
        raise ValueError(msg) from None


def gradcam_maps(engine, values, layer, class_index):
    """
    Grad-CAM maps of one class for prepared cutouts.

    Parameters
    ----------
    engine : `~astro_galclass.highz._engine.InferenceEngine`
        The classifier's engine.
    values : `~numpy.ndarray`
        Prepared cutouts.
    layer : `torch.nn.Module`
        From `gradcam_layer`.
    class_index : int
        The class whose logit is explained.

    Returns
    -------
    maps : `~numpy.ndarray`
        ``(N, cutout_size, cutout_size)`` in [0, 1].
    """
    from astro_galclass.gradcam import grad_cam

    clf = engine.classifier
    clf.model.eval()
    maps = [grad_cam(clf.model, x, layer, lambda out: out[:, class_index])
            for x in engine.batches(values)]
    return np.concatenate(maps) if maps else np.empty((0, clf.cutout_size, clf.cutout_size))
