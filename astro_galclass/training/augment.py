# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Augmentations of cutouts and images that respect how the data were taken."""

import math

import numpy as np
import torch
from torch import nn

__all__ = ['CutoutAugmentation', 'RotationFlipAugmentation']


class CutoutAugmentation:
    """
    Random symmetry operations, sub-pixel shifts and extra noise for cutouts.

    Applied to a batch ``(N, bands, H, W)`` of fluxes (before normalisation),
    each cutout independently, the same way in every band, so that colours
    and the relative alignment of the bands are preserved.

    - **flips and 90-degree rotations** (the dihedral group of the square):
      the sky has no preferred orientation; the NIRCam PSFs used here are
      round, so every orientation is as likely as the original.
    - **sub-pixel shifts**: uniform in ``[-max_shift, max_shift]`` pixels in
      x and y, applied as a Fourier phase ramp (exact for band-limited
      images, flux conserving). Real catalogue positions are off by a
      fraction of a pixel.
    - **extra noise**: Gaussian noise of standard deviation
      ``u * extra_noise[band]`` with ``u`` uniform in [0, 1) per cutout, so the
      network sees each source at several depths. It can only lower the
      S/N of real data: noise already in a cutout cannot be removed. For
      simulated data, new noise realisations come from the simulator
      itself (`~astro_galclass.training.SimulatedBatches` draws every cutout
      afresh).

    Parameters
    ----------
    flips : bool, optional
        Random flips and 90-degree rotations.
    max_shift : float, optional
        Largest sub-pixel shift in pixels; 0 switches shifts off.
    extra_noise : array-like or None, optional
        Per-band standard deviation of the extra noise, in the units of the
        cutouts (nJy per pixel for `~astro_galclass.HighZClassifier`).

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.training import CutoutAugmentation
    >>> aug = CutoutAugmentation(max_shift=0.5)
    >>> x = torch.zeros(4, 7, 64, 64)
    >>> x[:, :, 32, 32] = 1.0
    >>> y = aug(x, generator=torch.Generator().manual_seed(0))
    >>> y.shape
    torch.Size([4, 7, 64, 64])
    >>> torch.allclose(y.sum(dim=(2, 3)), x.sum(dim=(2, 3)), atol=1e-4)
    True
    """

    def __init__(self, *, flips=True, max_shift=0.5, extra_noise=None):
        if not isinstance(flips, bool):
            msg = f'flips must be True or False, got {flips!r}'
            raise TypeError(msg)
        max_shift = float(max_shift)
        if not 0 <= max_shift <= 4 or math.isnan(max_shift):
            msg = f'max_shift must be between 0 and 4 pixels, got {max_shift}'
            raise ValueError(msg)
        if extra_noise is not None:
            extra_noise = np.asarray(extra_noise, dtype=np.float32)
            if extra_noise.ndim != 1 or not np.all(np.isfinite(extra_noise)) \
                    or np.any(extra_noise < 0):
                msg = ('extra_noise must be a 1-D sequence of finite, '
                       f'non-negative per-band noise levels, got {extra_noise!r}')
                raise ValueError(msg)
        self.flips = flips
        self.max_shift = max_shift
        self.extra_noise = extra_noise

    def __repr__(self):
        return (f'CutoutAugmentation(flips={self.flips}, max_shift={self.max_shift}, '
                f'extra_noise={self.extra_noise})')

    def __call__(self, x, *, generator=None):
        """
        Augment a batch; returns a new tensor, ``x`` is not modified.

        Parameters
        ----------
        x : `torch.Tensor`
            ``(N, bands, H, W)`` cutouts (square).
        generator : `torch.Generator`, optional
            Source of randomness (CPU generator), for reproducibility.
        """
        if x.ndim != 4 or x.shape[-1] != x.shape[-2]:
            msg = f'expected a batch of square cutouts (N, bands, H, H), got shape {tuple(x.shape)}'
            raise ValueError(msg)
        n = x.shape[0]
        out = x.clone()
        if self.flips:
            ops = torch.randint(0, 8, (n,), generator=generator)
            for op in range(1, 8):
                sel = torch.nonzero(ops.to(x.device) == op).flatten()
                if len(sel):
                    y = out[sel]
                    if op >= 4:
                        y = torch.flip(y, dims=(-1,))
                    out[sel] = torch.rot90(y, k=op % 4, dims=(-2, -1))
        if self.max_shift > 0:
            shift = (torch.rand((n, 2), generator=generator) * 2 - 1) * self.max_shift
            out = _fourier_shift(out, shift.to(x.device))
        if self.extra_noise is not None:
            if len(self.extra_noise) != x.shape[1]:
                msg = (f'extra_noise has {len(self.extra_noise)} bands but the '
                       f'cutouts have {x.shape[1]}')
                raise ValueError(msg)
            sigma = torch.from_numpy(self.extra_noise).to(x.device, x.dtype)
            level = torch.rand((n, 1, 1, 1), generator=generator).to(x.device, x.dtype)
            noise = torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
            out = out + noise * level * sigma[None, :, None, None]
        return out


def _fourier_shift(x, shift):
    """Shift images (N, C, H, W) by (dx, dy) pixels per image (N, 2)."""
    size = x.shape[-1]
    ky = torch.fft.fftfreq(size, device=x.device)[:, None]
    kx = torch.fft.rfftfreq(size, device=x.device)[None, :]
    phase = torch.exp(-2j * math.pi * (shift[:, 0, None, None] * kx
                                       + shift[:, 1, None, None] * ky))
    spec = torch.fft.rfft2(x.float()) * phase[:, None]
    return torch.fft.irfft2(spec, s=x.shape[-2:]).to(x.dtype)


class RotationFlipAugmentation:
    """
    Random rotation by any angle and random flip of RGB images (galaxies have
    no preferred orientation; the seed project rotated by 25 degrees at most
    and never flipped). Bilinear resampling, black outside the image.
    """

    def __call__(self, x, *, generator=None):
        n = len(x)
        angle = torch.rand(n, generator=generator) * 2 * math.pi
        flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = cos * flip
        theta[:, 0, 1] = -sin
        theta[:, 1, 0] = sin * flip
        theta[:, 1, 1] = cos
        grid = nn.functional.affine_grid(theta.to(x.device, x.dtype), list(x.shape),
                                         align_corners=False)
        return nn.functional.grid_sample(x, grid, mode='bilinear', padding_mode='zeros',
                                         align_corners=False)
