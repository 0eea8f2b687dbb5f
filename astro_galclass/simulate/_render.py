# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Fourier rendering of `~astro_galclass.simulate.NIRCamSimulator` sources:
Sersic profiles (mixtures of Gaussians) and points, convolved with each
band's Gaussian PSF, integrated over pixels and placed at sub-pixel
offsets, all as products of analytic Fourier transforms.
"""

import math

import astropy.units as u
import numpy as np
import torch

from astro_galclass.simulate._photometry import psf_sigma_px
from astro_galclass.simulate._variation import psf_core_factors, wing_transfer
from astro_galclass.simulate.sersic import sersic_fourier
from astro_galclass.utils._progress import progress_bar

__all__ = ['render_images', 'source_arrays']


def source_arrays(truth, bands):
    """Per-source numbers the renderer needs, as plain arrays."""
    return {
        're': np.asarray(truth['re'].to_value(u.arcsec), float),
        'n': np.asarray(truth['sersic_n'], float),
        'q': np.asarray(truth['axis_ratio'], float),
        'theta': np.asarray(truth['theta'].to_value(u.rad), float),
        'flux': np.stack([np.asarray(truth[f'flux_{b}'].to_value(u.nJy))
                          for b in bands], axis=1).astype(np.float32),
    }


def _spectra(src, idx, offsets, pixel_scale, p, bands, core=None):
    """
    Discrete Fourier transforms (len(idx), bands, p, p//2+1) of the
    noiseless, pixel-integrated images.

    The DFT of a sampled image is the continuous transform summed over
    its aliases k + m. The PSF, pixel response and position phase are
    separable in x and y, so for point sources the alias sums are exact
    1-D sums (m = -1, 0, 1). For galaxies smaller than 3 pixels the
    nearest alias in each direction is added; larger galaxies have no
    power beyond the Nyquist frequency. Without the aliases an
    undersampled source (F090W on 0.03" pixels) would ring. ``core``
    (len(idx), bands), optional, scales each source's Gaussian PSF variance
    (the core of a varied PSF, `~astro_galclass.simulate._variation`).
    """
    m = len(idx)
    kyp = np.fft.fftfreq(p)
    kxp = np.fft.rfftfreq(p)
    centre = (p - 1) / 2
    cx = torch.from_numpy((centre + offsets[:, 0]).astype(np.float32))
    cy = torch.from_numpy((centre + offsets[:, 1]).astype(np.float32))
    psf2 = torch.from_numpy(psf_sigma_px(bands, pixel_scale) ** 2)[None, :, None]
    if core is not None:
        psf2 = psf2 * core[:, :, None]
    flux = torch.from_numpy(src['flux'][idx])[:, :, None]

    def axis(k, c, rows):
        """PSF x pixel x phase along one axis at frequencies k: (len(rows), bands, len(k))."""
        k = torch.from_numpy(np.asarray(k, np.float32))[None, None, :]
        p2 = psf2 if psf2.shape[0] == 1 else psf2[rows]
        return (torch.exp(-2 * math.pi ** 2 * p2 * k ** 2) * torch.sinc(k)
                * torch.exp(-2j * math.pi * c[rows][:, None, None] * k))

    re_px = src['re'][idx] / pixel_scale
    point = re_px <= 0
    compact = ~point & (re_px < 3)
    spec = torch.empty((m, len(bands), p, p // 2 + 1), dtype=torch.complex64)
    if point.any():
        r = torch.from_numpy(np.flatnonzero(point))
        fx = sum(axis(kxp + a, cx, r) for a in (-1, 0, 1)) * flux[r]
        fy = sum(axis(kyp + a, cy, r) for a in (-1, 0, 1))
        spec[r] = fy[:, :, :, None] * fx[:, :, None, :]
    # nearest alias of each frequency: kx - 1 (kx >= 0), ky -/+ 1
    alias_x = kxp - 1
    alias_y = np.where(kyp >= 0, kyp - 1, kyp + 1)
    for ax, ay in ((kxp, kyp), (alias_x, kyp), (kxp, alias_y), (alias_x, alias_y)):
        first = ax is kxp and ay is kyp
        rows = ~point if first else compact
        if not rows.any():
            continue
        r = torch.from_numpy(np.flatnonzero(rows))
        profile = _profile(src, idx[r.numpy()], re_px[r.numpy()], ax, ay)
        term = axis(ay, cy, r)[:, :, :, None] * (axis(ax, cx, r) * flux[r])[:, :, None, :]
        term.mul_(profile[:, None])                  # complex x real, in place
        whole = len(r) == m
        if first and whole:
            spec = term
        elif first:
            spec[r] = term
        elif whole:
            spec += term
        else:
            spec.index_add_(0, r, term)
    return spec


def _profile(src, idx, re_px, kx, ky):
    """Fourier transform of the Sersic mixtures at frequencies kx (ph,), ky (p,)."""
    kx = torch.from_numpy(np.asarray(kx, np.float32))[None, :]
    ky = torch.from_numpy(np.asarray(ky, np.float32))[:, None]
    th = torch.from_numpy(src['theta'][idx].astype(np.float32))[:, None, None]
    q = torch.from_numpy(src['q'][idx].astype(np.float32))[:, None, None]
    re2 = torch.from_numpy((re_px ** 2).astype(np.float32))[:, None, None]
    cos, sin = torch.cos(th), torch.sin(th)
    ku = cos * kx + sin * ky
    kv = cos * ky - sin * kx
    x = ku.square_().add_((q * kv).square_()).mul_(re2)
    return sersic_fourier(src['n'][idx], x)


def render_images(truth, offsets, pixel_scale, size, *, bands, noise=None, progress=False,
                  psf_variants=None, noise_variants=None):
    """
    Images of the sources of ``truth``, with sky noise if asked.

    Parameters
    ----------
    truth : `~astropy.table.QTable`
        Sources, as `~astro_galclass.simulate.NIRCamSimulator.draw_sources`
        returns them.
    offsets : `~numpy.ndarray`
        ``(N, 2)`` positions (x, y, pixels) of the sources from the image
        centre.
    pixel_scale : float
        Arcsec per pixel.
    size : int
        Image side in pixels.
    bands : tuple of str
        NIRCam bands, in the order of the flux columns.
    noise : `~astro_galclass.simulate._noise.SkyNoise`, optional
        Sky noise to add: in Fourier space, or in real space with the
        sources' Poisson noise when it has ``electrons_per_njy``.
    progress : bool, optional
        Show a progress bar.
    psf_variants, noise_variants : `~numpy.ndarray`, optional
        Per source, an index into
        `~astro_galclass.simulate._variation.PSF_VARIANTS` and
        `~astro_galclass.simulate._variation.NOISE_VARIANTS` (varied
        rendering); by default every source has its band's Gaussian PSF and
        the standard noise texture.

    Returns
    -------
    images : `~numpy.ndarray`
        ``(N, bands, size, size)`` float32, nJy per pixel.
    """
    n = len(truth)
    bar = progress_bar(total=n, progress=progress, unit='cutout', desc='simulating')
    src = source_arrays(truth, bands)
    images = np.empty((n, len(bands), size, size), dtype=np.float32)
    # large galaxies are rendered on a padded grid so that their wings
    # leave the cutout instead of wrapping around it
    big = src['re'] / pixel_scale > size / 20
    chunk = 256
    for start in range(0, n, chunk):
        rows = np.arange(start, min(start + chunk, n))
        bar.update(len(rows))
        out = images[start:start + len(rows)]
        for p, local in ((size, np.flatnonzero(~big[rows])),
                         (size + size // 2, np.flatnonzero(big[rows]))):
            if not len(local):
                continue
            idx = rows[local]
            if psf_variants is None:
                spec = _spectra(src, idx, offsets[idx], pixel_scale, p, bands)
            else:
                core = psf_core_factors(psf_variants[idx], bands, pixel_scale, p)
                spec = _spectra(src, idx, offsets[idx], pixel_scale, p, bands, core=core)
                spec.mul_(wing_transfer(psf_variants[idx], bands, pixel_scale, p))
            if noise is not None and noise.electrons_per_njy is None:
                noise.add_to_spectra(spec, pixel_scale, p, variants=(
                    None if noise_variants is None else noise_variants[idx]))
            if len(local) == len(rows) and p == size:
                torch.fft.irfft2(spec, s=(p, p), out=torch.from_numpy(out))
                continue
            img = torch.fft.irfft2(spec, s=(p, p)).numpy()
            lo = (p - size) // 2
            out[local] = img[..., lo:lo + size, lo:lo + size]
        if noise is not None and noise.electrons_per_njy is not None:
            noise.add_real(out, pixel_scale, variants=(
                None if noise_variants is None else noise_variants[rows]))
    bar.close()
    return images
