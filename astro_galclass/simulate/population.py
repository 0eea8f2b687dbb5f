# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The redshifts and UV luminosities of z >= 4 galaxies as a deep field has them.

A flux-limited field holds z >= 4 galaxies in proportion to the UV
luminosity function times the comoving volume, down to the field's depth:
z = 4-6 galaxies dominate, z > 8 ones are rare. The luminosity functions are
the Schechter fits of Bouwens et al. (2021, AJ 162, 47, table 5; the z ~ 10
row from Oesch et al. 2018, which they combine), read through public code
transcriptions and checked against the paper's abstract (see
``benchmarks/studies/population_statistics.rst``).
"""

import functools

import numpy as np
from astropy.cosmology import Planck18

__all__ = ['UV_LUMINOSITY_FUNCTION', 'draw_high_z', 'uv_luminosity_function']

#: Schechter parameters of the rest-frame UV (1600 A) luminosity function by
#: redshift (Bouwens et al. 2021, AJ 162, 47): ``z``, ``phi_star``
#: (Mpc^-3 mag^-1), ``m_star`` (AB) and ``alpha``.
UV_LUMINOSITY_FUNCTION = {
    'z': (2.1, 2.9, 3.8, 4.9, 5.9, 6.8, 7.9, 8.9, 10.2),
    'phi_star': (4.0e-3, 2.1e-3, 1.69e-3, 0.79e-3, 0.51e-3, 0.19e-3, 0.09e-3, 0.021e-3,
                 0.0042e-3),
    'm_star': (-20.28, -20.87, -20.93, -21.10, -20.93, -21.15, -20.93, -21.15, -21.19),
    'alpha': (-1.52, -1.61, -1.69, -1.74, -1.93, -2.06, -2.23, -2.33, -2.38),
}


def _parameters(z):
    """Schechter parameters at ``z``: linear in z (log10 phi* for phi*)."""
    table = UV_LUMINOSITY_FUNCTION
    zs = np.asarray(table['z'])
    log_phi = np.log10(table['phi_star'])
    z = np.asarray(z, float)
    # beyond the last row: log10 phi* falls on as between the last two rows
    # (M* and alpha held), an extrapolation; JWST counts at z > 10 lie above it
    slope = (log_phi[-1] - log_phi[-2]) / (zs[-1] - zs[-2])
    lp = np.where(z > zs[-1], log_phi[-1] + slope * (z - zs[-1]), np.interp(z, zs, log_phi))
    return (10 ** lp, np.interp(z, zs, table['m_star']), np.interp(z, zs, table['alpha']))


def uv_luminosity_function(muv, z):
    """
    Number density of galaxies per absolute UV magnitude (Schechter form).

    Parameters
    ----------
    muv : float or array-like
        Absolute magnitude at rest-frame 1600 A (AB).
    z : float or array-like
        Redshift (broadcast against ``muv``); parameters are interpolated
        between the rows of `UV_LUMINOSITY_FUNCTION` and extrapolated above
        z = 10.2.

    Returns
    -------
    phi : `~numpy.ndarray`
        Mpc^-3 mag^-1 (comoving).

    Examples
    --------
    >>> from astro_galclass.simulate.population import uv_luminosity_function
    >>> round(float(uv_luminosity_function(-20.93, 3.8)) / 1.69e-3, 4)   # 0.4 ln10 / e
    0.3388
    """
    phi_star, m_star, alpha = _parameters(z)
    x = 10 ** (-0.4 * (np.asarray(muv, float) - m_star))
    return 0.4 * np.log(10) * phi_star * x ** (alpha + 1) * np.exp(-x)


@functools.lru_cache(maxsize=16)
def _sampling_grid(m_limit, z_range, muv_bright, step):
    """Grid cells and their probabilities ``phi dV/dz`` above the flux limit."""
    z_grid = np.arange(z_range[0], z_range[1], step) + step / 2
    distance = Planck18.distmod(z_grid).value - 2.5 * np.log10(1 + z_grid)
    m_faint = m_limit - distance                         # faintest M_UV at each z
    m_grid = np.arange(muv_bright, m_faint.max() + step, step) + step / 2
    volume = Planck18.differential_comoving_volume(z_grid).value   # Mpc^3 / sr per dz
    density = uv_luminosity_function(m_grid[None, :], z_grid[:, None]) * volume[:, None]
    density[m_grid[None, :] > m_faint[:, None]] = 0.0
    return z_grid, m_grid, density.ravel() / density.sum()


def draw_high_z(n, *, rng, m_limit, z_range=(4.0, 15.0), muv_bright=-23.5, step=0.05):
    """
    Redshifts and UV magnitudes of ``n`` galaxies of a flux-limited field.

    The pairs are drawn with probability proportional to
    ``phi(M_UV, z) dV/dz`` (Planck 2018 cosmology) over the galaxies whose
    apparent rest-frame UV magnitude ``M_UV + DM(z) - 2.5 log10(1 + z)`` is
    brighter than ``m_limit``: the mix of a real field at that depth.

    Parameters
    ----------
    n : int
        Number of galaxies.
    rng : `numpy.random.Generator`
        Random generator.
    m_limit : float
        Faintest apparent UV magnitude (AB) of the field.
    z_range : tuple of float, optional
        Redshift range.
    muv_bright : float, optional
        Brightest absolute magnitude drawn.
    step : float, optional
        Grid step in redshift and magnitude of the sampling.

    Returns
    -------
    z, muv : `~numpy.ndarray`
        ``(n,)`` each.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population import draw_high_z
    >>> z, muv = draw_high_z(2000, rng=np.random.default_rng(0), m_limit=30.0)
    >>> bool(4.5 < np.median(z) < 6.0)
    True
    """
    z_grid, m_grid, p = _sampling_grid(float(m_limit), tuple(float(v) for v in z_range),
                                       float(muv_bright), float(step))
    cells = rng.choice(p.size, size=int(n), p=p)
    iz, im = np.unravel_index(cells, (len(z_grid), len(m_grid)))
    z = z_grid[iz] + rng.uniform(-step / 2, step / 2, int(n))
    muv = m_grid[im] + rng.uniform(-step / 2, step / 2, int(n))
    return z, muv
