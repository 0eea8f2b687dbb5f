# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A deep NIRCam field's sources as published statistics describe them.

- **z >= 4 galaxies.** A flux-limited field holds them in proportion to the
  UV luminosity function times the comoving volume, down to the field's
  depth: z = 4-6 galaxies dominate, z > 8 ones are rare. The luminosity
  functions are the Schechter fits of Bouwens et al. (2021, AJ 162, 47,
  table 5; the z ~ 10 row from Oesch et al. 2018, which they combine).
- **Galaxy number counts.** The near-infrared counts of COSMOS2020 (Weaver
  et al. 2022, ApJS 258, 11, table 2, K_s) continued faintward with their
  faint-end slope; they agree with the HST/NICMOS H-band counts (Yan et al.
  1998) and with the source densities of JWST catalogues (CEERS, JADES).
- **Redshifts of z < 4 galaxies.** From each galaxy's magnitude, through
  the K-band luminosity function: `astro_galclass.simulate.population_lowz`
  (the sky population since issue 31). `draw_low_z_redshifts` keeps the
  earlier, magnitude-blind model: the same UV luminosity functions at
  1.5 <= z < 4, the rest of the counts at z < 1.5 at constant comoving
  density.
- **Brown dwarfs.** T and Y dwarfs at the surface density of JWST deep fields
  (UNCOVER, Tu et al. 2026: 0.094 arcmin^-2; JADES, Hainline et al. 2026:
  41 over about 470 arcmin^2). Their magnitudes come from distances and
  luminosities: the absolute W2 magnitude against effective temperature
  (Tinney et al. 2014 and Mamajek's dwarf tables; WISE 0855-0714 for the
  coldest), seen along a deep field's line of sight through a thin and a
  thick disc (scale heights 300 and 900 pc, thick-disc share 12%; Juric et
  al. 2008), so that a magnitude-limited field holds mostly T dwarfs at a
  few kpc and Y dwarfs within about 1-2 kpc, as JADES finds (Hainline et
  al. 2024, 2026). Their temperatures follow the space densities of the
  20 pc census (Kirkpatrick et al. 2021), so that Y dwarfs are about a
  fifth of a deep field's dwarfs, as in JADES (10 of 41).
- **Emission lines.** The [OIII] 5007 distribution of z ~ 2 star-forming
  galaxies (Boyett et al. 2022: log-normal, mu = 4.24, sigma = 1.33) for
  z < 4 galaxies; those of z >= 4 galaxies, and the red galaxies' shares
  and dust at 1 < z < 4, are in `astro_galclass.simulate.population_spectra`.
- **Little red dots.** Their surface density, redshifts, spectra and sizes
  are in `astro_galclass.simulate.population_lrd`; `sky_class_fractions`
  counts them in ``high_z`` (z >= 4) and ``low_z`` (z < 4).

The numbers were read through abstracts and public code transcriptions;
``benchmarks/studies/population_statistics.rst`` labels where each was read
and lists what could not be found (JWST-measured F444W counts, the median
redshift of a NIRCam-selected sample).
"""

import functools
import math

import numpy as np
from astropy.cosmology import Planck18
from scipy.special import ndtr

from astro_galclass.simulate.population_lrd import little_red_dot_surface_density

__all__ = ['BROWN_DWARF_ABSOLUTE_W2', 'BROWN_DWARF_DISC', 'BROWN_DWARF_SPACE_DENSITY',
           'BROWN_DWARF_SURFACE_DENSITY', 'brown_dwarf_absolute_f444w',
           'brown_dwarf_share_brighter', 'draw_brown_dwarf_distances', 'draw_brown_dwarf_teff',
           'EMISSION_LINE_EW', 'GALAXY_NUMBER_COUNTS',
           'UV_LUMINOSITY_FUNCTION', 'draw_count_magnitudes', 'schechter_magnitudes', 'draw_high_z',
           'draw_low_z_redshifts', 'galaxy_counts', 'galaxy_surface_density',
           'high_z_surface_density', 'sky_class_fractions', 'uv_luminosity_function']

#: Square arcminutes in a steradian.
_ARCMIN2_PER_SR = (180 / math.pi * 60) ** 2

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


#: Near-infrared galaxy number counts: COSMOS2020 (Weaver et al. 2022, ApJS
#: 258, 11, table 2, UltraVISTA K_s, Farmer catalogue), ``log_n`` = log10 of
#: the galaxies per 0.5 mag bin per deg^2 at bin centres ``mag`` (AB; the
#: transcription leaves per-mag or per-0.5-mag open, and per 0.5 mag matches
#: the NICMOS H-band density of Yan et al. 1998, 4e5 deg^-2 to H = 24.75).
#: Fainter than the last complete bin the counts continue with
#: ``faint_slope`` (dex/mag, their slope between K = 24.25 and 25.75), and
#: brighter than the first with ``bright_slope``: 0.53 dex/mag, the slope of
#: the COSMOS K_s galaxy counts of McCracken et al. (2010) over K_s(AB) =
#: 16.25-19.25 (`~astro_galclass.simulate.population_lowz.BRIGHT_K_COUNTS`;
#: near Euclidean, as the 4.5 micron counts of Fazio et al. 2004 to ~16
#: mag). It was 0.37, COSMOS2020's slope at K = 19-20, which put 2-6 times
#: too many galaxies at K = 16-18. McCracken's counts lie 0.3 dex below
#: this table read per 0.5 mag (the per-mag reading would match them): the
#: bin width is unresolved, see ``population_lowz``.
GALAXY_NUMBER_COUNTS = {
    'mag': (19.25, 20.25, 21.25, 22.25, 23.25, 24.25, 25.25, 25.75),
    'log_n': (3.65, 4.02, 4.29, 4.54, 4.78, 4.97, 5.18, 5.24),
    'bin_width': 0.5,
    'faint_slope': 0.18,
    'bright_slope': 0.53,
}

#: Surface density of T and Y dwarfs in JWST deep fields (arcmin^-2):
#: UNCOVER's T dwarfs, 0.094 arcmin^-2 (arXiv:2602.01894); JADES, 41 T and Y
#: candidates (Hainline et al. 2026) over the about 470 arcmin^2 of its
#: deep and medium tiers. ``reference_limit``: the F444W limit (AB) these
#: densities are taken to hold to (about JADES-medium's); other depths
#: scale with `brown_dwarf_share_brighter`.
BROWN_DWARF_SURFACE_DENSITY = {'density': 0.09, 'reference_limit': 29.5}

#: Absolute W2 magnitude (Vega) of T and Y dwarfs against effective
#: temperature (K), read from E. Mamajek's spectral-type notes
#: (github.com/emamajek/SpectralType, 2024 versions): Y1 (360 K) 14.78,
#: Y0 (450 K) 14.65 and T8 (680 K) 13.44 from Tinney et al. (2014); T0
#: (1255 K) 11.74 from M_Ks = 13.12, Ks - W1 = 0.70 and W1 - W2 = 0.68;
#: WISE 0855-0714 (about 285 K) about 17.1, from its W2 of about 13.9 at
#: 2.3 pc (Luhman 2014; Wright et al. 2014), approximate. The 1600 K point
#: (11.0) is an assumption (a smooth continuation into the late L dwarfs).
#: Interpolated linearly in Teff and held constant outside.
#: ``vega_to_ab``: W2 AB - Vega (Jarrett et al. 2011); F444W is taken to
#: equal W2 (both cover about 4-5 micron).
BROWN_DWARF_ABSOLUTE_W2 = {
    'teff': (285.0, 360.0, 450.0, 680.0, 1255.0, 1600.0),
    'm_w2': (17.1, 14.78, 14.65, 13.44, 11.74, 11.0),
    'vega_to_ab': 3.339,
}

#: Space density of brown dwarfs against effective temperature, per 150 K
#: bin (1e-3 pc^-3), from the 20 pc census of Kirkpatrick et al. (2021,
#: ApJS 253, 7; arXiv:2011.11616), read from the transcription of their
#: densities in C. Aganze's ``popsims`` (``relations.py``, labelled
#: "Kirkpatrick et al. (2020)": the arXiv version) for 450-1650 K; with the
#: spike at 1200-1350 K of their abstract. ``teff_edges`` (K) bound the
#: bins; ``density`` is per 150 K of Teff in each (the first bin, 250-450
#: K, is wider). The census is incomplete below 600 K by its authors' account and
#: the 300-450 K bin was not found: below 450 K the 450-600 K density is
#: held (an assumption; their densities rise towards colder bins, so this
#: errs towards fewer Y dwarfs).
BROWN_DWARF_SPACE_DENSITY = {
    'teff_edges': (250.0, 450.0, 600.0, 750.0, 900.0, 1050.0, 1200.0, 1350.0, 1500.0,
                   1650.0),
    'density': (4.24, 4.24, 2.80, 1.99, 1.72, 1.11, 1.95, 0.94, 0.81),
}

#: The Galactic discs along a deep field's line of sight (Juric et al. 2008,
#: ApJ 673, 864: thin-disc scale height 300 pc, thick disc 900 pc at 12% of
#: the local density; the radial scale lengths are neglected at these
#: distances) at the Galactic latitude of GOODS-South (-54.4 deg; GOODS-North
#: is at +54.8). ``scatter``: the spread of absolute magnitudes at fixed
#: Teff, in mag (an assumption inside the 0.2-0.8 mag rms that Tinney et
#: al. 2014 give per spectral type).
BROWN_DWARF_DISC = {'latitude_deg': 54.4, 'thin_scale_height': 300.0,
                    'thick_scale_height': 900.0, 'thick_fraction': 0.12, 'scatter': 0.4}

#: Rest-frame emission-line equivalent widths (Angstrom) added to the
#: templates' own lines. ``high_z``: [OIII]+Hbeta of z >= 4 star-forming
#: galaxies, log-normal with the median of Endsley et al. (2023, 780 A at
#: z ~ 6.5-8, little dependence on M_UV) and an assumed width of 0.3 dex
#: (``sigma_ln`` 0.7; Rinaldi et al. 2023 find 87-2100 A), and Halpha at
#: ``halpha_ratio`` times it (Rasappu et al. 2016: 665-707 A at z ~ 5).
#: ``low_z``: [OIII] 5007 of z ~ 2 star-forming galaxies, log-normal with
#: mu = 4.24 and sigma = 1.33 (Boyett et al. 2022; 2.2 per cent above
#: 1000 A), [OIII]+Hbeta = ``oiii_hbeta_ratio`` times it (4959 is a third of
#: 5007, Hbeta a quarter: an assumption), Halpha equal to [OIII]+Hbeta.
#: Since issue 31 the sky population draws z >= 4 lines from
#: `astro_galclass.simulate.population_spectra` (each line against
#: redshift); ``high_z`` is kept for reference.
EMISSION_LINE_EW = {
    'high_z': {'median': 780.0, 'sigma_ln': 0.7, 'halpha_ratio': 0.9},
    'low_z': {'mu': 4.24, 'sigma_ln': 1.33, 'oiii_hbeta_ratio': 1.58, 'halpha_ratio': 1.0},
}


def galaxy_counts(mag):
    """
    Differential galaxy number counts in the near-infrared.

    Parameters
    ----------
    mag : float or array-like
        AB magnitude (K_s, used for F444W: the faint counts are dominated by
        star-forming galaxies, nearly flat in f_nu over 2-4.4 micron).

    Returns
    -------
    counts : `~numpy.ndarray`
        Galaxies per magnitude per arcmin^2 (`GALAXY_NUMBER_COUNTS`).

    Examples
    --------
    >>> from astro_galclass.simulate.population import galaxy_counts
    >>> round(float(galaxy_counts(25.25)), 1)    # COSMOS2020, K_s = 25.25
    84.1
    """
    table = GALAXY_NUMBER_COUNTS
    m = np.asarray(mag, float)
    mags, log_n = np.asarray(table['mag']), np.asarray(table['log_n'])
    value = np.interp(m, mags, log_n)
    value = np.where(m > mags[-1], log_n[-1] + table['faint_slope'] * (m - mags[-1]), value)
    value = np.where(m < mags[0], log_n[0] + table['bright_slope'] * (m - mags[0]), value)
    return 10 ** value / table['bin_width'] / 3600.0


def galaxy_surface_density(m_limit, *, m_bright=15.0):
    """
    Galaxies per arcmin^2 between ``m_bright`` and ``m_limit``.

    Parameters
    ----------
    m_limit : float
        Faint limit (AB).
    m_bright : float, optional
        Bright limit (AB).

    Returns
    -------
    density : float
        arcmin^-2, the integral of `galaxy_counts`.

    Examples
    --------
    >>> from astro_galclass.simulate.population import galaxy_surface_density
    >>> round(galaxy_surface_density(24.75))     # NICMOS H <= 24.75: ~111
    126
    """
    m = np.linspace(m_bright, m_limit, 4001)
    return float(np.trapezoid(galaxy_counts(m), m))


def draw_count_magnitudes(n, *, rng, m_range):
    """
    Magnitudes of ``n`` galaxies distributed as the number counts.

    Parameters
    ----------
    n : int
        Number of galaxies.
    rng : `numpy.random.Generator`
        Random generator.
    m_range : tuple of float
        Brightest and faintest magnitude.

    Returns
    -------
    mag : `~numpy.ndarray`
        ``(n,)`` AB magnitudes, with density proportional to `galaxy_counts`.
    """
    m = np.linspace(m_range[0], m_range[1], 2001)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (galaxy_counts(m[1:]) + galaxy_counts(m[:-1]))
                                           * np.diff(m))])
    return np.interp(rng.uniform(0, cdf[-1], int(n)), cdf, m)


def schechter_magnitudes(mag, phi_star, m_star, alpha):
    """
    The Schechter function per unit absolute magnitude.

    Parameters
    ----------
    mag : float or array-like
        Absolute magnitude (AB).
    phi_star : float or array-like
        Normalisation (per unit volume).
    m_star : float or array-like
        Characteristic magnitude.
    alpha : float or array-like
        Faint-end slope.

    Returns
    -------
    phi : `~numpy.ndarray`
        Number density per magnitude, in the units of ``phi_star``.

    Examples
    --------
    >>> from astro_galclass.simulate.population import schechter_magnitudes
    >>> round(float(schechter_magnitudes(-21.0, 1.0, -21.0, -1.5)), 4)   # 0.4 ln10 / e
    0.3388
    """
    x = 10 ** (-0.4 * (np.asarray(mag, float) - m_star))
    return 0.4 * np.log(10) * phi_star * x ** (alpha + 1) * np.exp(-x)


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
    return schechter_magnitudes(muv, phi_star, m_star, alpha)


@functools.lru_cache(maxsize=32)
def _density_grid(m_limit, z_range, muv_bright, step):
    """
    Galaxies per arcmin^2 in cells of (z, M_UV), above the flux limit.

    ``phi(M_UV, z) dV/dz dz dM`` with the comoving volume of Planck 2018,
    counting the galaxies whose apparent rest-frame UV magnitude
    ``M_UV + DM(z) - 2.5 log10(1 + z)`` is brighter than ``m_limit``.
    """
    z_grid = np.arange(z_range[0], z_range[1], step) + step / 2
    distance = Planck18.distmod(z_grid).value - 2.5 * np.log10(1 + z_grid)
    m_faint = m_limit - distance                         # faintest M_UV at each z
    m_grid = np.arange(muv_bright, m_faint.max() + step, step) + step / 2
    volume = Planck18.differential_comoving_volume(z_grid).value   # Mpc^3 / sr per dz
    density = uv_luminosity_function(m_grid[None, :], z_grid[:, None]) * volume[:, None]
    density[m_grid[None, :] > m_faint[:, None]] = 0.0
    return z_grid, m_grid, density * step * step / _ARCMIN2_PER_SR


def _sampling_grid(m_limit, z_range, muv_bright, step):
    """Grid cells and their probabilities ``phi dV/dz`` above the flux limit."""
    z_grid, m_grid, density = _density_grid(m_limit, z_range, muv_bright, step)
    return z_grid, m_grid, density.ravel() / density.sum()


def high_z_surface_density(m_limit, *, z_range=(4.0, 15.0), muv_bright=-23.5, step=0.05):
    """
    UV-selected galaxies per arcmin^2 brighter than ``m_limit``.

    The integral of the UV luminosity function (`UV_LUMINOSITY_FUNCTION`)
    times the comoving volume, as `draw_high_z` samples it.

    Parameters
    ----------
    m_limit : float
        Faintest apparent UV magnitude (AB).
    z_range : tuple of float, optional
        Redshift range.
    muv_bright : float, optional
        Brightest absolute magnitude counted.
    step : float, optional
        Grid step in redshift and magnitude.

    Returns
    -------
    density : float
        arcmin^-2.

    Examples
    --------
    >>> from astro_galclass.simulate.population import high_z_surface_density
    >>> round(high_z_surface_density(28.0), 0)      # z >= 4, m_UV < 28
    33.0
    """
    return float(_density_grid(float(m_limit), tuple(float(v) for v in z_range),
                               float(muv_bright), float(step))[2].sum())


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


#: Share of z >= 4 galaxies that are evolved (Balmer-break or dusty) rather
#: than young: quiescent candidates at 3 < z < 5, 0.55 arcmin^-2 (Valentino
#: et al. 2023), and HST-dark dusty galaxies at z ~ 2-8, 0.8 arcmin^-2
#: (Barrufet et al. 2023), about half of them at z >= 4, against the tens
#: to hundreds of young z >= 4 galaxies per arcmin^2 of deep fields.
SKY_EVOLVED_HIGH_Z_SHARE = 0.02


@functools.lru_cache(maxsize=16)
def _low_z_density(m_limit, step=0.05, z_join=1.5):
    """Galaxies per arcmin^2 in redshift cells over 0.05 <= z < 4."""
    z_grid = np.arange(0.05, 4.0 - step / 2, step) + step / 2
    _, _, lf = _density_grid(m_limit, (z_join, 4.0), -23.5, step)
    per_cell = np.zeros(z_grid.size)
    joined = z_grid > z_join
    per_cell[joined] = lf.sum(axis=1)
    # the rest of the counts at z < z_join, at constant comoving density
    rest = (galaxy_surface_density(m_limit) - per_cell.sum()
            - high_z_surface_density(m_limit) / (1 - SKY_EVOLVED_HIGH_Z_SHARE))
    volume = Planck18.differential_comoving_volume(z_grid[~joined]).value
    per_cell[~joined] = max(rest, 0.0) * volume / volume.sum()
    return z_grid, per_cell


def draw_low_z_redshifts(n, *, rng, m_limit, z_min=0.05, step=0.05):
    """
    Redshifts of ``n`` z < 4 galaxies of a field at depth ``m_limit``.

    At 1.5 <= z < 4 the galaxies per unit redshift are those of the UV
    luminosity function (as for `draw_high_z`, so that the density runs on
    across z = 4 without a step); the rest of the number counts to
    ``m_limit`` (`galaxy_surface_density`, less the z >= 4 galaxies) lies at
    z < 1.5 at constant comoving density. Magnitudes are drawn separately
    (`draw_count_magnitudes`): the redshift does not depend on the
    magnitude here, a simplification.

    Parameters
    ----------
    n : int
        Number of galaxies.
    rng : `numpy.random.Generator`
        Random generator.
    m_limit : float
        Faint limit of the field (AB).
    z_min : float, optional
        Lowest redshift drawn (e.g. 1 for interlopers of dropout
        selections); at least 0.05.
    step : float, optional
        Redshift step of the sampling grid.

    Returns
    -------
    z : `~numpy.ndarray`
        ``(n,)`` redshifts in ``[z_min, 4)``.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population import draw_low_z_redshifts
    >>> z = draw_low_z_redshifts(5000, rng=np.random.default_rng(0), m_limit=29.0)
    >>> bool(1.0 < np.median(z) < 2.0)
    True
    """
    z_grid, per_cell = _low_z_density(float(m_limit), float(step))
    p = np.where(z_grid - step / 2 >= z_min - 1e-9, per_cell, 0.0)
    cells = rng.choice(p.size, size=int(n), p=p / p.sum())
    return np.minimum(z_grid[cells] + rng.uniform(-step / 2, step / 2, int(n)), 4.0 - 1e-3)


def brown_dwarf_absolute_f444w(teff):
    """
    Absolute F444W magnitude (AB) of T and Y dwarfs of effective temperature ``teff``.

    `BROWN_DWARF_ABSOLUTE_W2`, interpolated in Teff, plus its Vega-to-AB
    offset.

    Parameters
    ----------
    teff : float or array-like
        Effective temperature (K).

    Returns
    -------
    mag : `~numpy.ndarray`

    Examples
    --------
    >>> from astro_galclass.simulate.population import brown_dwarf_absolute_f444w
    >>> round(float(brown_dwarf_absolute_f444w(450)), 2)   # Y0: M_W2 = 14.65 (Vega)
    17.99
    """
    table = BROWN_DWARF_ABSOLUTE_W2
    return np.interp(np.asarray(teff, float), table['teff'], table['m_w2']) + table['vega_to_ab']


@functools.lru_cache(maxsize=1)
def _disc_distances():
    """Distances (pc) along the line of sight and their cumulative share of dwarfs."""
    disc = BROWN_DWARF_DISC
    d = np.geomspace(1.0, 3e4, 4000)
    height = d * math.sin(math.radians(disc['latitude_deg']))
    density = (np.exp(-height / disc['thin_scale_height'])
               + disc['thick_fraction'] * np.exp(-height / disc['thick_scale_height']))
    per_log_d = d ** 3 * density                  # d^2 dd = d^3 dln d
    cdf = np.cumsum(per_log_d)
    return d, per_log_d / per_log_d.sum(), cdf / cdf[-1]


def draw_brown_dwarf_distances(n, *, rng):
    """
    Distances (pc) of ``n`` brown dwarfs along a deep field's line of sight.

    Drawn in proportion to the volume times the density of `BROWN_DWARF_DISC`.

    Parameters
    ----------
    n : int
        Number of distances.
    rng : `numpy.random.Generator`
        Random generator.

    Returns
    -------
    distance : `~numpy.ndarray`
        In pc.
    """
    d, _, cdf = _disc_distances()
    return np.interp(rng.uniform(0, 1, int(n)), cdf, d)


def _teff_bins(lo, hi):
    """Edges of `BROWN_DWARF_SPACE_DENSITY`'s bins clipped to ``lo``-``hi`` K, and their weights."""
    table = BROWN_DWARF_SPACE_DENSITY
    edges = np.asarray(table['teff_edges'], float)
    left, right = np.clip(edges[:-1], lo, hi), np.clip(edges[1:], lo, hi)
    return left, right, np.asarray(table['density'], float) / 150.0 * (right - left)


@functools.lru_cache(maxsize=1)
def _teff_quantiles(n=200):
    """``n`` Teff (K) at the mid-quantiles of `BROWN_DWARF_SPACE_DENSITY` in 250-1600 K."""
    left, right, weight = _teff_bins(250.0, 1600.0)
    cdf = np.concatenate([[0.0], np.cumsum(weight)])
    return np.interp((np.arange(n) + 0.5) / n, cdf / cdf[-1], np.append(left, right[-1]))


def draw_brown_dwarf_teff(n, *, rng, teff_range=(250.0, 1600.0)):
    """
    Effective temperatures (K) of ``n`` brown dwarfs of the solar neighbourhood.

    Drawn from `BROWN_DWARF_SPACE_DENSITY` (constant within each 150 K
    bin), between ``teff_range``: the temperature mix of a volume, before
    any magnitude limit.

    Parameters
    ----------
    n : int
        Number of temperatures.
    rng : `numpy.random.Generator`
        Random generator.
    teff_range : tuple of float, optional
        Lowest and highest Teff (K).

    Returns
    -------
    teff : `~numpy.ndarray`

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population import draw_brown_dwarf_teff
    >>> teff = draw_brown_dwarf_teff(10000, rng=np.random.default_rng(0))
    >>> round(float(np.mean(teff < 500)), 2)       # Y dwarfs, by volume
    0.34
    """
    lo, hi = float(teff_range[0]), float(teff_range[1])
    left, right, weight = _teff_bins(lo, hi)
    if hi <= lo or weight.sum() <= 0:
        edges = BROWN_DWARF_SPACE_DENSITY['teff_edges']
        msg = (f'teff_range must be an increasing pair inside {edges[0]:.0f}-{edges[-1]:.0f} K, '
               f'got {teff_range!r}')
        raise ValueError(msg)
    bins = rng.choice(len(weight), size=int(n), p=weight / weight.sum())
    return rng.uniform(left[bins], right[bins])


def brown_dwarf_share_brighter(limit, absolute=None):
    """
    Share of the line of sight's brown dwarfs brighter than F444W ``limit``.

    Parameters
    ----------
    limit : float
        F444W limit (AB).
    absolute : array-like, optional
        Absolute F444W magnitudes (AB) to average over; by default those of
        the Teff mix of `BROWN_DWARF_SPACE_DENSITY` in 250-1600 K
        (`brown_dwarf_absolute_f444w`).

    Returns
    -------
    share : float
        Relative to all the dwarfs out to 30 kpc (a small number; use
        ratios).
    """
    if absolute is None:
        absolute = brown_dwarf_absolute_f444w(_teff_quantiles())
    d, weight, _ = _disc_distances()
    modulus = 5 * np.log10(d / 10.0)
    z = (limit - np.asarray(absolute, float)[:, None] - modulus[None, :]) \
        / BROWN_DWARF_DISC['scatter']
    return float(np.mean(ndtr(z) @ weight))


def sky_class_fractions(*, galaxy_limit, uv_limit, dwarf_absolute=None):
    """
    The class mix of a deep field, from surface densities.

    Parameters
    ----------
    galaxy_limit : float
        Faint limit of the galaxy counts (F444W, AB).
    uv_limit : float
        Faint limit in the rest-frame UV of z >= 4 galaxies (F200W, AB).
    dwarf_absolute : array-like, optional
        Absolute F444W magnitudes (AB) of the brown dwarfs to average over
        (`brown_dwarf_share_brighter`); their density is
        ``BROWN_DWARF_SURFACE_DENSITY['density']`` to F444W =
        ``reference_limit`` (the JADES candidates' depth), scaled to
        ``galaxy_limit`` with the line-of-sight model.

    Returns
    -------
    fractions : dict
        ``{'low_z', 'high_z', 'brown_dwarf'}`` summing to 1, with the
        surface densities (arcmin^-2) they come from under ``'density'``:
        the three classes', and the little red dots' at z >= 4 and z < 4
        (``'little_red_dot_high_z'``, ``'little_red_dot_low_z'``; part of
        ``'high_z'`` and ``'low_z'``), brighter than ``galaxy_limit`` in
        F444W (`~astro_galclass.simulate.population_lrd`). The number
        counts include the little red dots, so they add to ``high_z`` and
        take from ``low_z``.

    Examples
    --------
    >>> from astro_galclass.simulate.population import sky_class_fractions
    >>> f = sky_class_fractions(galaxy_limit=28.0, uv_limit=28.0)
    >>> round(f['high_z'], 2), f['brown_dwarf'] < 1e-3
    (0.06, True)
    """
    lrd_high = little_red_dot_surface_density(galaxy_limit, z_range=(4.0, math.inf))
    lrd_low = little_red_dot_surface_density(galaxy_limit, z_range=(0.0, 4.0))
    high = high_z_surface_density(uv_limit) / (1 - SKY_EVOLVED_HIGH_Z_SHARE) + lrd_high
    galaxies = galaxy_surface_density(galaxy_limit)
    bd = BROWN_DWARF_SURFACE_DENSITY
    dwarfs = bd['density'] * (brown_dwarf_share_brighter(galaxy_limit, dwarf_absolute)
                              / brown_dwarf_share_brighter(bd['reference_limit'],
                                                           dwarf_absolute))
    density = {'low_z': max(galaxies - high, 0.0), 'high_z': high, 'brown_dwarf': dwarfs}
    total = sum(density.values())
    fractions = {c: v / total for c, v in density.items()}
    density['little_red_dot_high_z'] = lrd_high
    density['little_red_dot_low_z'] = lrd_low
    fractions['density'] = density
    return fractions
