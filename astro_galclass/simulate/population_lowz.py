# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Redshifts, bright-end counts and sizes of a deep field's z < 4 galaxies.

The companion of `astro_galclass.simulate.population` for the galaxies
below the z >= 4 boundary (issue 31, items 1 and 2):

- **Redshift against magnitude.** A galaxy of apparent magnitude m in a
  band at wavelength lambda is at redshift z in proportion to the
  rest-frame K-band luminosity function at the absolute magnitude that m
  has there, times the comoving volume: ``p(z | m) ~ phi_K(M_K(m, z), z)
  dV/dz``. Bright galaxies are then at low redshift and faint ones at
  higher redshift, as in magnitude-limited catalogues. The luminosity
  function is the evolving Schechter form of Cirasuolo et al. (2010) with
  the steeper faint end of Mortlock et al. (2017); the K-correction comes
  from one of the package's star-forming templates. Observed at 4.4 micron,
  rest-frame K is seen at z = 1. At z >= 1.5, where the K-band fit's faint
  end is extrapolated, the UV luminosity functions behind the z >= 4
  galaxies (Bouwens et al. 2021) bound the density from below, so that it
  runs on across z = 4 at faint limits.
- **Checks against published statistics.** The same model in the K_s band
  reproduces the redshift distribution of the K20 survey (Cimatti et al.
  2002) and the bright K_s counts of COSMOS (McCracken et al. 2010), which
  this module holds as `K20_REDSHIFTS` and `BRIGHT_K_COUNTS`.
- **Sizes.** Half-light radii from the stellar-mass-size relation of
  van der Wel et al. (2014), with stellar masses from the rest-frame K
  luminosity, so that a bright galaxy at z ~ 0.5 is arcseconds across.
"""

import functools
import math

import numpy as np
from astropy.cosmology import Planck18

from astro_galclass.simulate.population import schechter_magnitudes, uv_luminosity_function

__all__ = ['BRIGHT_K_COUNTS', 'K20_REDSHIFTS', 'K_LUMINOSITY_FUNCTION', 'LOW_Z_SIZE_MASS',
           'UV_JOIN', 'absolute_k', 'draw_redshifts_given_magnitude', 'k_luminosity_function',
           'low_z_size_kpc', 'redshift_distribution', 'redshift_statistics']

#: Square arcminutes in a steradian.
_ARCMIN2_PER_SR = (180 / math.pi * 60) ** 2

#: Rest-frame K-band luminosity function (AB), Schechter form with
#: luminosity and density evolution, ``M*(z) = m_star_0 - (z / z_m)^k_m``
#: and ``phi*(z) = phi_star_0 exp(-(z / z_phi)^k_phi)`` (Cirasuolo et al.
#: 2010, MNRAS 401, 1166, arXiv:0804.3471, UKIDSS UDS, z = 0-4): m_star_0 =
#: -22.26, z_m = 1.78, k_m = 0.47, phi_star_0 = 3.5e-3 Mpc^-3 mag^-1, z_phi =
#: 1.70, k_phi = 1.47. These values were taken from memory of the paper's
#: fit, not re-read in a text during this work; they are checked instead
#: through what they predict: the K20 redshift distribution (`K20_REDSHIFTS`)
#: and the COSMOS K_s counts (`BRIGHT_K_COUNTS`), see
#: ``tests/simulate/test_population.py``. ``alpha``: -1.3, the shallow end of
#: the faint-end slopes Mortlock et al. (2017, MNRAS 465, 672,
#: arXiv:1610.06574, abstract) measure at z > 0.25 (-1.3 < alpha < -1.5)
#: in place of Cirasuolo's -1.07. Only the shape in z at fixed apparent
#: magnitude is used (`draw_redshifts_given_magnitude`): the normalisation
#: cancels. ``template``: the star-forming template whose rest-frame f_nu
#: gives the K-correction (an assumption: one spectrum for all galaxies).
K_LUMINOSITY_FUNCTION = {
    'm_star_0': -22.26, 'z_m': 1.78, 'k_m': 0.47,
    'phi_star_0': 3.5e-3, 'z_phi': 1.70, 'k_phi': 1.47,
    'alpha': -1.3, 'template': 'fsps_QSF_12_v3_008', 'rest_wavelength': 22000.0,
}

#: Bright galaxy counts in K_s (AB): COSMOS-WIRCam, McCracken et al. (2010,
#: ApJ 708, 202), galaxies only, ``log_n`` = log10 per 0.5 mag per deg^2 at
#: bin centres ``mag``, as transcribed in a public repository's plotting
#: inputs (github: the ``dxs`` package's number-count files). Per 0.5 mag:
#: their counts to K_s(AB) = 21.85 give 10 galaxies per arcmin^2, as the
#: K20 survey's 480 galaxies over 52 arcmin^2 to K_s(Vega) = 20 (9.2;
#: Cimatti et al. 2002). Their slope over K_s = 16.25-19.25, 0.53 dex/mag,
#: is the ``bright_slope`` of
#: `~astro_galclass.simulate.population.GALAXY_NUMBER_COUNTS` brightward of
#: its first bin; Kim et al. (2011, MNRAS 410, 241) find 0.47 dex/mag over
#: K_s(AB) = 16.9-19.9 (same transcription).
BRIGHT_K_COUNTS = {
    'mag': (16.25, 16.75, 17.25, 17.75, 18.25, 18.75, 19.25, 19.75, 20.25, 20.75, 21.25,
            21.75, 22.25, 22.75),
    'log_n': (1.73, 2.03, 2.41, 2.65, 2.89, 3.14, 3.33, 3.53, 3.70, 3.84, 3.95, 4.07, 4.19,
              4.29),
    'bin_width': 0.5,
}

#: The K20 survey (Cimatti et al. 2002, A&A 392, 395 letter, arXiv:astro-ph/0207191,
#: abstract): 480 galaxies with K_s(Vega) < 20 over 52 arcmin^2, 87-98%
#: redshift complete; median z 0.80, 32% at z > 1 and 9% at z > 1.5.
#: ``limit_ab``: K_s(Vega) = 20 in AB (Vega-to-AB offset 1.85 for K_s).
K20_REDSHIFTS = {'limit_vega': 20.0, 'limit_ab': 21.85, 'median': 0.80,
                 'above_1': 0.32, 'above_1_5': 0.09}

#: Stellar-mass-size relation (van der Wel et al. 2014, ApJ 788, 28,
#: arXiv:1404.2844): ``R_eff = A (M* / 5e10 Msun)^slope (1 + z)^evolution``
#: kpc, log-normal with ``scatter`` dex. Slopes (0.22 late type, 0.75 early
#: type), evolution ((1 + z)^-0.75 and ^-1.48) and scatter (<~0.2 dex) are
#: from their abstract; the normalisations at z = 0.25 (log A = 0.86 and
#: 0.60, their table 1) are recalled, not re-read, and approximate.
#: ``mass_to_light_k``: stellar M/L in rest-frame K (Msun/Lsun), 0.5 (an
#: assumption within the 0.3-1 of star-forming to old populations);
#: ``sun_k_ab``: the Sun's absolute K_s (AB), 5.08 (Willmer 2018, ApJS 236,
#: 47; recalled).
LOW_Z_SIZE_MASS = {
    'late': {'log_a': 0.86, 'slope': 0.22, 'evolution': -0.75},
    'early': {'log_a': 0.60, 'slope': 0.75, 'evolution': -1.48},
    'z_ref': 0.25, 'scatter': 0.18, 'mass_to_light_k': 0.5, 'sun_k_ab': 5.08,
}

#: Redshift from which the UV luminosity functions of
#: `~astro_galclass.simulate.population.UV_LUMINOSITY_FUNCTION` (first row
#: z = 2.1, held below) bound the galaxies at each magnitude from below.
UV_JOIN = 1.5

#: The redshift and magnitude grids of the sampling (`_grid`).
_Z_STEP = 0.01
_Z_GRID = np.arange(_Z_STEP / 2, 6.0, _Z_STEP)
_M_STEP = 0.05
_M_GRID = np.arange(12.0, 33.0 + _M_STEP / 2, _M_STEP)


def k_luminosity_function(mk, z):
    """
    Rest-frame K-band luminosity function (`K_LUMINOSITY_FUNCTION`).

    Parameters
    ----------
    mk : float or array-like
        Absolute rest-frame K magnitude (AB).
    z : float or array-like
        Redshift (broadcast against ``mk``).

    Returns
    -------
    phi : `~numpy.ndarray`
        Mpc^-3 mag^-1 (comoving).

    Examples
    --------
    >>> from astro_galclass.simulate.population_lowz import k_luminosity_function
    >>> round(float(k_luminosity_function(-22.26, 0.0)) / 3.5e-3, 4)   # 0.4 ln10 / e
    0.3388
    """
    p = K_LUMINOSITY_FUNCTION
    z = np.asarray(z, float)
    m_star = p['m_star_0'] - (z / p['z_m']) ** p['k_m']
    phi_star = p['phi_star_0'] * np.exp(-(z / p['z_phi']) ** p['k_phi'])
    return schechter_magnitudes(mk, phi_star, m_star, p['alpha'])


@functools.cache
def _template():
    """
    The K-correction template's f_nu, averaged over +-11% in wavelength (a
    broad band's width, as F444W's 3.9-5.0 micron): its narrow lines and
    features would otherwise spike the redshift distribution.
    """
    from astro_galclass.simulate.sed import load_template

    wave, fnu = load_template(K_LUMINOSITY_FUNCTION['template'])
    grid = np.exp(np.arange(np.log(900.0), np.log(1.2e5), 0.002))
    dense = np.interp(grid, wave, fnu)
    half = round(0.11 / 0.002)
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    return grid[half:-half], np.convolve(dense, kernel, mode='valid')


def _k_correction(z, wavelength):
    """m_obs - (M_K + DM): the band at ``wavelength`` (A) against rest-frame K, AB."""
    wave, fnu = _template()
    z = np.asarray(z, float)
    ratio = (np.interp(wavelength / (1 + z), wave, fnu)
             / np.interp(K_LUMINOSITY_FUNCTION['rest_wavelength'], wave, fnu))
    return -2.5 * np.log10(1 + z) - 2.5 * np.log10(ratio)


def absolute_k(mag, z, *, wavelength=44400.0):
    """
    Rest-frame absolute K magnitude (AB) of a galaxy seen at ``mag``.

    Parameters
    ----------
    mag : float or array-like
        Apparent magnitude (AB) in the band at ``wavelength``.
    z : float or array-like
        Redshift.
    wavelength : float, optional
        Pivot wavelength of the band (Angstrom); 44400 for F444W, 21500 for K_s.

    Returns
    -------
    mk : `~numpy.ndarray`

    Examples
    --------
    >>> from astro_galclass.simulate.population_lowz import absolute_k
    >>> round(float(absolute_k(18.0, 0.5)), 1)      # a bright z = 0.5 galaxy
    -23.9
    """
    z = np.maximum(np.asarray(z, float), 1e-3)
    return (np.asarray(mag, float) - Planck18.distmod(z).value
            - _k_correction(z, float(wavelength)))


@functools.lru_cache(maxsize=8)
def _grid(wavelength):
    """
    Galaxies per arcmin^2 per mag per grid cell in z, on (`_M_GRID`, `_Z_GRID`).

    The K-band luminosity function; at z >= ``UV_JOIN`` at least the UV
    luminosity function's galaxies (Bouwens et al. 2021, as for the z >= 4
    galaxies), taken as flat in f_nu from the UV to ``wavelength``: the
    K-band fit's faint end (M_K > -19 at z ~ 3) is extrapolated, the UV one
    is measured there, and each census is a lower bound on the galaxies at
    (m, z).
    """
    distance = Planck18.distmod(_Z_GRID).value
    mk = _M_GRID[:, None] - distance[None, :] - _k_correction(_Z_GRID, wavelength)[None, :]
    volume = Planck18.differential_comoving_volume(_Z_GRID).value / _ARCMIN2_PER_SR
    grid = k_luminosity_function(mk, _Z_GRID[None, :]) * volume[None, :] * _Z_STEP
    uv = _Z_GRID >= UV_JOIN
    z_uv = _Z_GRID[uv]
    # m_band = m_UV: star-forming galaxies at z = 1.5-4 are at least as
    # bright in f_nu longward of the UV, so this undercounts them: a bound
    muv = _M_GRID[:, None] - distance[None, uv] + 2.5 * np.log10(1 + z_uv)[None, :]
    from_uv = uv_luminosity_function(muv, z_uv[None, :]) * volume[None, uv] * _Z_STEP
    grid[:, uv] = np.maximum(grid[:, uv], from_uv)
    return grid


def redshift_distribution(m_limit, *, m_bright=16.0, wavelength=44400.0, z_max=None,
                          counts=None):
    """
    Redshift distribution of the galaxies between ``m_bright`` and ``m_limit``.

    The luminosity-function model of `K_LUMINOSITY_FUNCTION` integrated
    over apparent magnitude: ``N(z) = sum_m phi_K(M_K(m, z), z) dV/dz``.

    Parameters
    ----------
    m_limit : float
        Faint limit (AB) in the band at ``wavelength``.
    m_bright : float, optional
        Bright limit (AB).
    wavelength : float, optional
        Pivot wavelength of the band (Angstrom).
    z_max : float, optional
        Highest redshift counted (all of the grid, to z = 6, by default).
    counts : callable, optional
        Galaxies per magnitude against magnitude (e.g.
        `~astro_galclass.simulate.population.galaxy_counts`, as the sky
        population draws them) to weight each magnitude's ``p(z | m)``
        with; by default the model's own counts.

    Returns
    -------
    z, density : `~numpy.ndarray`
        Cell centres and galaxies per arcmin^2 in each cell of 0.01 in z.
    counts : `~numpy.ndarray`
        Galaxies per arcmin^2 per magnitude at each of ``mags`` (the
        differential counts the model predicts), and ``mags``.
    """
    grid = _grid(float(wavelength))
    rows = (_M_GRID >= m_bright) & (_M_GRID < m_limit)
    weighted = grid[rows]
    if counts is not None:
        per_mag = weighted.sum(axis=1, keepdims=True)
        weighted = weighted / np.maximum(per_mag, 1e-300) * np.asarray(
            counts(_M_GRID[rows]), float)[:, None]
    density = weighted.sum(axis=0) * _M_STEP
    if z_max is not None:
        density = np.where(_Z_GRID < z_max, density, 0.0)
    return _Z_GRID, density, grid.sum(axis=1), _M_GRID


def redshift_statistics(m_limit, *, m_bright=16.0, wavelength=44400.0, z_max=None,
                        counts=None):
    """
    Median redshift and shares at z < 1, 1 < z, 1.5 < z and 3 < z < 4.

    Parameters
    ----------
    m_limit, m_bright, wavelength, z_max, counts
        As for `redshift_distribution`.

    Returns
    -------
    stats : dict
        ``'median'``, ``'below_1'``, ``'above_1'``, ``'above_1_5'``,
        ``'z3_4'``.

    Examples
    --------
    >>> from astro_galclass.simulate.population_lowz import K20_REDSHIFTS, redshift_statistics
    >>> s = redshift_statistics(K20_REDSHIFTS['limit_ab'], wavelength=21500.0, m_bright=12)
    >>> round(s['median'], 2), round(s['above_1'], 2)          # K20: 0.80, 0.32
    (0.79, 0.36)
    """
    z, density, _, _ = redshift_distribution(m_limit, m_bright=m_bright, wavelength=wavelength,
                                             z_max=z_max, counts=counts)
    cdf = np.cumsum(density) / density.sum()
    edges = z + _Z_STEP / 2

    def below(value):
        return float(np.interp(value, edges, cdf))

    return {'median': float(np.interp(0.5, cdf, edges)), 'below_1': below(1.0),
            'above_1': 1 - below(1.0), 'above_1_5': 1 - below(1.5),
            'z3_4': below(4.0) - below(3.0)}


def draw_redshifts_given_magnitude(mag, *, rng, z_min=0.01, z_max=4.0, wavelength=44400.0):
    """
    A redshift for each galaxy, as the luminosity function places it at its magnitude.

    Each redshift is drawn from ``p(z | m) ~ phi_K(M_K(m, z), z) dV/dz``
    (`K_LUMINOSITY_FUNCTION`) between ``z_min`` and ``z_max``: bright
    galaxies come out at low redshift, faint ones at higher.

    Parameters
    ----------
    mag : array-like
        Apparent magnitudes (AB) in the band at ``wavelength``.
    rng : `numpy.random.Generator`
        Random generator (one uniform number per galaxy).
    z_min, z_max : float, optional
        Redshift range.
    wavelength : float, optional
        Pivot wavelength of the band (Angstrom); 44400 for F444W.

    Returns
    -------
    z : `~numpy.ndarray`

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_lowz import draw_redshifts_given_magnitude
    >>> rng = np.random.default_rng(0)
    >>> bright = draw_redshifts_given_magnitude(np.full(2000, 18.0), rng=rng)
    >>> faint = draw_redshifts_given_magnitude(np.full(2000, 27.0), rng=rng)
    >>> bool(np.median(bright) < 0.6 < 1.0 < np.median(faint))
    True
    """
    mag = np.asarray(mag, float)
    if not z_max > z_min:
        msg = f'z_max must be above z_min, got z_min={z_min!r}, z_max={z_max!r}'
        raise ValueError(msg)
    grid = _grid(float(wavelength))
    inside = (_Z_GRID > z_min) & (_Z_GRID < z_max)
    rows = np.clip(np.rint((mag - _M_GRID[0]) / _M_STEP).astype(int), 0, len(_M_GRID) - 1)
    u = rng.uniform(0, 1, mag.size)
    if not mag.size:
        return np.zeros(0)
    cdf = np.cumsum(np.where(inside[None, :], grid[rows], 0.0), axis=1)
    cdf /= cdf[:, -1:]
    edges = _Z_GRID + _Z_STEP / 2
    cell = np.minimum((cdf < u[:, None]).sum(axis=1), len(_Z_GRID) - 1)
    lo = np.where(cell > 0, cdf[np.arange(mag.size), cell - 1], 0.0)
    frac = (u - lo) / np.maximum(cdf[np.arange(mag.size), cell] - lo, 1e-300)
    z = edges[cell] - _Z_STEP + frac * _Z_STEP
    return np.clip(z, z_min, z_max - 1e-3)


def low_z_size_kpc(mag, z, *, early, rng, wavelength=44400.0):
    """
    Half-light radii (kpc) of z < 4 galaxies from their luminosity and redshift.

    Stellar mass from the rest-frame K luminosity (`absolute_k`, with
    ``mass_to_light_k`` of `LOW_Z_SIZE_MASS`), then the size-mass relation
    of van der Wel et al. (2014) for late- or early-type galaxies, with its
    log-normal scatter.

    Parameters
    ----------
    mag : array-like
        Apparent magnitudes (AB) in the band at ``wavelength``.
    z : array-like
        Redshifts.
    early : array-like of bool
        Early-type (quiescent) galaxies.
    rng : `numpy.random.Generator`
        Random generator (one normal number per galaxy).
    wavelength : float, optional
        Pivot wavelength (Angstrom).

    Returns
    -------
    r_kpc : `~numpy.ndarray`

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_lowz import low_z_size_kpc
    >>> r = low_z_size_kpc(np.full(1000, 18.0), np.full(1000, 0.5), early=np.zeros(1000, bool),
    ...                    rng=np.random.default_rng(0))
    >>> bool(6 < np.median(r) < 12)                  # ~1.5" at z = 0.5
    True
    """
    p = LOW_Z_SIZE_MASS
    z = np.asarray(z, float)
    log_mass = (-0.4 * (absolute_k(mag, z, wavelength=wavelength) - p['sun_k_ab'])
                + math.log10(p['mass_to_light_k']))
    early = np.asarray(early, bool)
    log_r = np.empty(z.shape)
    for kind, sel in (('early', early), ('late', ~early)):
        q = p[kind]
        log_r[sel] = (q['log_a'] + q['slope'] * (log_mass[sel] - math.log10(5e10))
                      + q['evolution'] * np.log10((1 + z[sel]) / (1 + p['z_ref'])))
    return 10 ** (log_r + rng.normal(0, p['scatter'], z.shape))
