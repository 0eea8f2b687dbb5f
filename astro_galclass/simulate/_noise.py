# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The sky noise of `~astro_galclass.simulate.NIRCamSimulator`: Gaussian noise
at the survey's depth, correlated between pixels as in drizzled mosaics,
drawn in Fourier space; and the sources' Poisson noise.
"""

import functools
import os

import numpy as np
import scipy.fft
import torch

from astro_galclass.nircam import APERTURE_RADIUS, drizzle_kernel_sigma

__all__ = ['RANDN_STREAMS', 'SkyNoise', 'randn']

#: Independent random streams that draw the noise in parallel threads.
RANDN_STREAMS = 2


@functools.cache
def _randn_pool():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(RANDN_STREAMS, thread_name_prefix='astro_galclass-randn')


# a forked child (e.g. a DataLoader worker) has the pool but not its threads
os.register_at_fork(after_in_child=_randn_pool.cache_clear)


@functools.lru_cache(maxsize=32)
def _unit_noise(bands, pixel_scale, p, texture=(1.0, 0.0)):
    """
    Correlation kernels, and the aperture-sum noise of unit-amplitude spectra.

    The amplitude of the noise spectra is calibrated by drawing noise with
    the same recipe and measuring the standard deviation of its r = 0.16"
    aperture sums, so that the simulated depth is exactly the requested one.
    It does not depend on the depth, so it is computed once per grid.
    ``texture`` (scale, floor) scales each band's drizzle-kernel width and
    sets a floor on it (a `~astro_galclass.simulate._variation.NOISE_VARIANTS`
    entry; ``(0, 0)`` is white noise).
    """
    scale, floor = texture
    ky = np.fft.fftfreq(p)[:, None]
    kx = np.fft.rfftfreq(p)[None, :]
    widths = [max(drizzle_kernel_sigma(b, pixel_scale) * scale, floor) if scale else 0.0
              for b in bands]
    kernel = np.stack([np.exp(-2 * np.pi ** 2 * w ** 2 * (kx ** 2 + ky ** 2)) for w in widths])
    gen = torch.Generator().manual_seed(12345)
    z = torch.view_as_complex(torch.randn((2000, len(bands), p, p // 2 + 1, 2),
                                          generator=gen)).numpy()
    trial = scipy.fft.irfft2(z * kernel[None], s=(p, p), workers=2)
    c = (p - 1) / 2
    yy, xx = np.mgrid[:p, :p]
    aperture = (xx - c) ** 2 + (yy - c) ** 2 <= (APERTURE_RADIUS / pixel_scale) ** 2
    measured = trial[..., aperture].sum(axis=-1).std(axis=0)
    return measured, torch.from_numpy(kernel.astype(np.float32))


def randn(shape, generator):
    """
    Standard normal float32 draws of ``shape``, in `RANDN_STREAMS` streams.

    Torch draws normals on one thread per generator; the streams (seeded
    from ``generator``, a `torch.Generator`) fill slices of the first axis
    in parallel threads, so that the draws depend on the seed only, not on
    the machine's threads.
    """
    out = torch.empty(shape)
    seeds = torch.randint(2**62, (RANDN_STREAMS,), generator=generator).tolist()
    parts = [part for part in torch.tensor_split(out, RANDN_STREAMS) if part.numel()]

    def fill(i):
        parts[i].normal_(generator=torch.Generator().manual_seed(seeds[i]))

    if out.numel() < 1 << 20 or torch.get_num_threads() < 2:
        for i in range(len(parts)):
            fill(i)
    else:
        list(_randn_pool().map(fill, range(len(parts))))
    return out


class SkyNoise:
    """
    Correlated sky noise at given aperture depths, drawn from one generator.

    Parameters
    ----------
    bands : tuple of str
        NIRCam bands, in the order of the image axis.
    sigma_aperture : dict
        Band -> 1-sigma noise (nJy) of an r = 0.16" aperture sum.
    generator : `torch.Generator`
        Seeds the streams of every draw (`randn`).
    electrons_per_njy : `~numpy.ndarray`, optional
        Detected electrons per nJy, per band. When given, the sources'
        Poisson noise (Gaussian) is added as well, in real space
        (`add_real`), instead of the sky noise alone in Fourier space
        (`add_to_spectra`).
    """

    def __init__(self, bands, sigma_aperture, generator, *, electrons_per_njy=None):
        self.bands = bands
        self.sigma_aperture = sigma_aperture
        self.generator = generator
        self.electrons_per_njy = electrons_per_njy

    def fourier(self, pixel_scale, p, texture=(1.0, 0.0)):
        """Per-band amplitude and correlation kernel of the noise spectra."""
        measured, kernel = _unit_noise(self.bands, pixel_scale, p, tuple(texture))
        target = np.array([self.sigma_aperture[b] for b in self.bands])
        scale = torch.from_numpy((target / measured).astype(np.float32))[:, None, None]
        return scale, kernel

    def amplitude(self, pixel_scale, p, variants=None):
        """
        Amplitude of the real and imaginary parts of the noise spectra.

        ``(1, bands, p, p // 2 + 1, 2)``, contiguous in its last axis
        (broadcasting over that axis of two is several times slower); with
        ``variants`` (one index into
        `~astro_galclass.simulate._variation.NOISE_VARIANTS` per image),
        ``(len(variants), bands, p, p // 2 + 1, 2)``.
        """
        if variants is None:
            scale, kernel = self.fourier(pixel_scale, p)
            return (scale * kernel)[None, :, :, :, None].expand(-1, -1, -1, -1, 2).contiguous()
        from astro_galclass.simulate._variation import NOISE_VARIANTS

        table = torch.stack([torch.mul(*self.fourier(pixel_scale, p, texture))
                             for texture in NOISE_VARIANTS])
        picked = table[torch.as_tensor(np.asarray(variants))]
        return picked[..., None].expand(-1, -1, -1, -1, 2).contiguous()

    def spectra(self, m, pixel_scale, p, variants=None):
        """Fourier transforms of correlated sky noise for ``m`` images of ``p`` x ``p``."""
        z = randn((m, len(self.bands), p, p // 2 + 1, 2), self.generator)
        return torch.view_as_complex(z.mul_(self.amplitude(pixel_scale, p, variants)))

    def images(self, m, pixel_scale, size, variants=None):
        """``m`` noise images ``(m, bands, size, size)`` (float64, nJy per pixel)."""
        return scipy.fft.irfft2(self.spectra(m, pixel_scale, size, variants).numpy(),
                                s=(size, size), workers=2)

    def add_to_spectra(self, spec, pixel_scale, p, variants=None):
        """Add correlated sky noise to the spectra ``spec``, in place."""
        z = randn((len(spec), len(self.bands), p, p // 2 + 1, 2), self.generator)
        torch.view_as_real(spec).addcmul_(z, self.amplitude(pixel_scale, p, variants))

    def add_real(self, images, pixel_scale, variants=None):
        """Sky noise plus the sources' Poisson noise (Gaussian), in real space, in place."""
        m, _, size, _ = images.shape
        sky = self.images(m, pixel_scale, size, variants)
        var = np.clip(images, 0, None) / self.electrons_per_njy[None, :, None, None]
        images += sky + np.sqrt(var) * randn(images.shape, self.generator).numpy()
