# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Fast rendering of Sersic galaxies convolved with a PSF, in Fourier space.

A Sersic profile is approximated by a mixture of concentric Gaussians
(as Hogg & Lang 2013, PASP 125, 719, did for the exponential and de
Vaucouleurs profiles); here the amplitudes on a fixed set of widths are fitted
by non-negative least squares for every Sersic index of a grid. The Fourier
transform of the mixture is analytic, so convolution with a Gaussian PSF and
integration over the square pixel (a sinc in Fourier space) are products, and
each cutout costs one inverse FFT.
"""

import functools

import numpy as np
from scipy.optimize import brentq, nnls
from scipy.special import gamma, gammainc, gammaincinv

__all__ = ['SERSIC_N_GRID', 'petrosian_r90_over_re', 'sersic_b', 'sersic_fourier',
           'sersic_mog']

#: Widths of the Gaussian components, in units of the half-light radius.
MOG_SIGMAS = np.geomspace(0.004, 5.0, 14)

#: Sersic indices at which the mixture is fitted.
SERSIC_N_GRID = np.round(np.arange(0.5, 6.01, 0.1), 2)


def sersic_b(n):
    """
    :math:`b_n` with :math:`\\Gamma(2n) = 2\\gamma(2n, b_n)` (half light at R_e).

    Parameters
    ----------
    n : float or `~numpy.ndarray`
        Sersic index (positive).
    """
    return gammaincinv(2 * n, 0.5)


def _fit(n):
    r = np.geomspace(1e-4, 12.0, 600)
    b = sersic_b(n)
    # unit total flux Sersic with R_e = 1
    norm = 2 * np.pi * n * np.exp(b) * b ** (-2 * n) * gamma(2 * n)
    target = np.exp(-b * (r ** (1 / n) - 1)) / norm
    basis = np.exp(-r[:, None] ** 2 / (2 * MOG_SIGMAS ** 2)) / (2 * np.pi * MOG_SIGMAS ** 2)
    # flux-weighted least squares: each radius weighted by its annulus area
    w = np.sqrt(2 * np.pi * r * np.gradient(r))
    design = basis * w[:, None]
    scale = np.linalg.norm(design, axis=0)           # condition the problem
    amp, _ = nnls(design / scale, target * w, maxiter=50 * len(MOG_SIGMAS))
    amp = amp / scale
    return amp / amp.sum()


@functools.cache
def _table():
    return np.stack([_fit(n) for n in SERSIC_N_GRID])


def sersic_mog(n):
    """
    Gaussian-mixture amplitudes for Sersic indices ``n``.

    Parameters
    ----------
    n : float or array-like
        Sersic indices; clipped to the fitted range of `SERSIC_N_GRID`
        (0.5-6) and interpolated linearly between its steps of 0.1.

    Returns
    -------
    amplitudes : `~numpy.ndarray`
        ``(len(n), len(MOG_SIGMAS))``, rows summing to one; component k has
        width ``MOG_SIGMAS[k] * R_e``.
    """
    n = np.clip(np.atleast_1d(np.asarray(n, float)), SERSIC_N_GRID[0],
                SERSIC_N_GRID[-1])
    table = _table()
    pos = (n - SERSIC_N_GRID[0]) / 0.1
    i = np.clip(np.floor(pos).astype(int), 0, len(SERSIC_N_GRID) - 2)
    f = (pos - i)[:, None]
    return (1 - f) * table[i] + f * table[i + 1]


#: Grid of the tabulated Fourier transform (`sersic_fourier`): points in
#: ln x, and the range of x = (k R_e)^2 it spans; below it the transform is
#: 1 to 1e-7, above it 0 (exp(-316) for the narrowest component).
_FOURIER_POINTS = 4096
_FOURIER_X = (2e-10, 1e6)


@functools.cache
def _fourier_table():
    """The mixtures' transforms at every n of the grid, on a grid of ln x (float32)."""
    ln_x = np.linspace(np.log(_FOURIER_X[0]), np.log(_FOURIER_X[1]), _FOURIER_POINTS)
    widths = (2 * np.pi ** 2 * MOG_SIGMAS ** 2)[:, None]
    table = _table() @ np.exp(-widths * np.exp(ln_x)[None, :])
    return table.astype(np.float32), ln_x[0], ln_x[1] - ln_x[0]


def sersic_fourier(n, x):
    """
    Fourier transform of unit-flux Sersic mixtures at ``x = (k R_e)^2``.

    For component widths ``s_k R_e`` the mixture's transform is
    ``sum_k a_k(n) exp(-2 pi^2 s_k^2 x)``, with ``x = R_e^2 (k_u^2 +
    q^2 k_v^2)`` for an ellipse of axis ratio q (frequencies in cycles per
    unit of R_e). It is read from a table over the Sersic index grid and
    4,096 points in ln x, interpolated linearly in both: exact in n (the
    amplitudes are themselves linear in n between grid steps) and within
    3e-6 of the direct sum in x, two to three times faster than summing 14
    exponentials per frequency.

    Parameters
    ----------
    n : `~numpy.ndarray`
        ``(M,)`` Sersic indices, clipped to the fitted range (0.5-6).
    x : `torch.Tensor`
        ``(M, ...)`` float32, x >= 0; overwritten.

    Returns
    -------
    profile : `torch.Tensor`
        The transform, shaped like ``x`` (1 at x = 0).
    """
    import torch

    table, ln0, step = _fourier_table()
    flat = torch.from_numpy(table).reshape(-1)
    points = table.shape[1]
    pos = (x.clamp_(*_FOURIER_X).log_() - ln0).mul_(1 / step).clamp_(0, points - 1.0001)
    j = pos.to(torch.int64)
    f = pos.sub_(j)
    nn = np.clip(np.asarray(n, float), SERSIC_N_GRID[0], SERSIC_N_GRID[-1])
    where = (nn - SERSIC_N_GRID[0]) / 0.1
    i = np.clip(np.floor(where).astype(int), 0, len(SERSIC_N_GRID) - 2)
    shape = (-1,) + (1,) * (x.dim() - 1)
    fn = torch.from_numpy((where - i).astype(np.float32)).reshape(shape)
    j += torch.from_numpy(i * points).reshape(shape)
    low = flat.take(j)
    low += f * (flat.take(j + 1) - low)
    j += points
    high = flat.take(j)
    high += f * (flat.take(j + 1) - high)
    return low.add_(fn * high.sub_(low))


#: The SDSS Petrosian ratio that defines the Petrosian radius.
PETROSIAN_ETA = 0.2


@functools.cache
def _petrosian_r90(n):
    b = sersic_b(n)

    def light(r):                      # fraction of the total flux within r (R_e = 1)
        return gammainc(2 * n, b * r ** (1 / n))

    def ratio(r):                      # SDSS: annulus 0.8-1.25 r over the mean within r
        annulus = (light(1.25 * r) - light(0.8 * r)) / (1.25 ** 2 - 0.8 ** 2)
        return annulus / light(r) - PETROSIAN_ETA

    r_p = brentq(ratio, 0.05, 50.0)
    flux = light(2 * r_p)
    return (gammaincinv(2 * n, 0.9 * flux) / b) ** n


def petrosian_r90_over_re(n):
    """
    Petrosian R90 over the half-light radius of a circular Sersic profile.

    R90 is the radius holding 90% of the Petrosian flux, the flux within
    twice the Petrosian radius, where the surface brightness in the annulus
    0.8-1.25 r falls to 0.2 times the mean within r (the SDSS definition,
    Blanton et al. 2001, AJ 121, 2358; Galaxy Zoo 2 images are scaled to
    it). About 2.27 for an exponential disk and 2.39 for a de Vaucouleurs
    profile, whose Petrosian flux misses a sixth of its light.

    Parameters
    ----------
    n : float or array-like
        Sersic index, 0.5-8 (rounded to 0.01).

    Examples
    --------
    >>> from astro_galclass.simulate.sersic import petrosian_r90_over_re
    >>> print(f'{petrosian_r90_over_re(1.0):.2f} {petrosian_r90_over_re(4.0):.2f}')
    2.27 2.39
    """
    n = np.asarray(n, float)
    if not np.all((n >= 0.5) & (n <= 8)):
        msg = f'Sersic indices must be in [0.5, 8], got {n}'
        raise ValueError(msg)
    values = np.vectorize(lambda v: _petrosian_r90(round(float(v), 2)))(n)
    return values if values.ndim else float(values)
