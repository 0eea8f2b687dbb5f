# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Grad-CAM: where in the image a convolutional network's output came from.

Selvaraju et al. 2017 (ICCV), "Grad-CAM: Visual Explanations from Deep
Networks via Gradient-based Localization": the feature maps ``A_k`` of a
convolutional layer are weighted by the spatial mean of the gradient of the
chosen output with respect to them, summed, rectified, normalised to a
maximum of 1 and resampled to the input size.
"""

import numpy as np
import torch
from torch import nn

__all__ = ['grad_cam', 'plot_gradcam']


def grad_cam(model, x, layer, target):
    """
    Grad-CAM maps of ``target`` for each image of a batch.

    Parameters
    ----------
    model : `torch.nn.Module`
        The network (its mode is left as it is; use evaluation mode).
    x : `torch.Tensor`
        ``(B, C, H, W)`` input on the model's device.
    layer : `torch.nn.Module`
        A convolutional layer of ``model`` whose output is ``(B, K, h, w)``.
    target : callable
        Maps the model output to one scalar per image ``(B,)``: e.g.
        ``lambda out: out[:, 1]`` for the second output.

    Returns
    -------
    maps : `~numpy.ndarray`
        ``(B, H, W)`` in [0, 1]; an image whose map is zero everywhere (no
        positive evidence) gets zeros, never NaN.
    """
    if not isinstance(layer, nn.Module):
        msg = f'layer must be a torch.nn.Module of the model, got {type(layer).__name__}'
        raise TypeError(msg)
    store = {}

    def hook(_module, _inputs, output):
        store['activation'] = output
        output.register_hook(lambda grad: store.__setitem__('gradient', grad))

    handle = layer.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            out = model(x)
            if 'activation' not in store:
                msg = 'the layer was not used in the forward pass of the model'
                raise ValueError(msg)
            scores = target(out)
            if scores.shape != (len(x),):
                msg = f'target must give one value per image ({len(x)}), got {tuple(scores.shape)}'
                raise ValueError(msg)
            model.zero_grad(set_to_none=True)
            scores.sum().backward()
    finally:
        handle.remove()
    act, grad = store['activation'], store['gradient']
    if act.ndim != 4:
        msg = f'the layer output must be (B, K, h, w) feature maps, got {tuple(act.shape)}'
        raise ValueError(msg)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * act).sum(dim=1, keepdim=True)).detach()
    cam = nn.functional.interpolate(cam.float(), size=x.shape[-2:], mode='bilinear',
                                    align_corners=False)[:, 0]
    peak = cam.flatten(1).amax(dim=1).view(-1, 1, 1)
    cam = torch.where(peak > 0, cam / torch.where(peak > 0, peak, 1.0), torch.zeros_like(cam))
    return cam.cpu().numpy()


def plot_gradcam(image, cam, *, ax=None, alpha=0.45, cmap='jet', title=None):
    """
    Draw a Grad-CAM map over an image.

    Parameters
    ----------
    image : array-like
        ``(H, W)`` or ``(H, W, 3)`` (RGB in [0, 1]).
    cam : array-like
        ``(H, W)`` map in [0, 1], from `grad_cam`.
    ax : `matplotlib.axes.Axes`, optional
    alpha : float, optional
        Opacity of the map.
    cmap : str or `~matplotlib.colors.Colormap`, optional
        Colormap of the Grad-CAM map (``'jet'`` by default), drawn over the
        fixed range [0, 1].
    title : str, optional
        Axes title, drawn in a small font; none when empty or `None`.

    Returns
    -------
    ax : `matplotlib.axes.Axes`
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image, float)
    cam = np.asarray(cam, float)
    if cam.shape != image.shape[:2]:
        msg = f'cam {cam.shape} and image {image.shape[:2]} differ in shape'
        raise ValueError(msg)
    ax = ax or plt.gca()
    ax.imshow(image, origin='lower', cmap=None if image.ndim == 3 else 'gray')
    ax.imshow(cam, origin='lower', cmap=cmap, alpha=alpha, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax
