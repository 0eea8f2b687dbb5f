# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Little red dots in a deep NIRCam field, as published statistics describe them.

"Little red dots" (LRDs) are compact sources with a blue rest-frame UV and
a red rest-frame optical continuum turning over near the Balmer limit,
most with broad Balmer lines (Matthee et al. 2024, ApJ 963, 129; Greene et
al. 2024, ApJ 964, 39; Labbé et al. 2025, ApJ 978, 92). In JWST deep
fields they are several times more common than brown dwarfs, and most lie
at z ~ 4-9. The ``'sky'`` population of
`~astro_galclass.simulate.NIRCamSimulator` draws them as their own kind
(``kind='little_red_dot'``); their class follows the redshift (``high_z``
at z >= 4, ``low_z`` below).

- **Surface density against F444W** (`LITTLE_RED_DOT_COUNTS`): the census
  of Kokorev et al. (2024, ApJ 968, 38; arXiv:2401.09981), 260 LRDs at
  4 < z < 9 over about 640 arcmin^2 of blank JWST fields (0.41 arcmin^-2)
  to F444W = 27.7, continued faintward and brightward with power laws
  (assumed slopes, checked against the JADES census of arXiv:2604.07138
  and the bright-end cutoff of Ma et al. 2025, arXiv:2509.02662).
- **Redshifts** (`LITTLE_RED_DOT_REDSHIFTS`): a comoving density flat at
  4 <= z <= 7 and falling above z ~ 8 (Kocevski et al. 2025, arXiv:
  2404.03576: the number rises towards lower z from z ~ 8 and declines
  rapidly below z ~ 4.5; Kokorev et al. 2024: 4 < z < 9; Akins et al.
  2024, arXiv:2406.10341: z ~ 5-9), and below z = 4 the decline measured by
  Ma et al. (2025, arXiv:2504.08032): 10^-4.5 cMpc^-3 at z > 4, 10^-5.3 at
  2.7 < z < 3.7 and 10^-5.7 at 1.7 < z < 2.7 (their M_5500 < -22.5 LRDs).
- **Spectra** (`LITTLE_RED_DOT_SED`): a broken power law in f_lambda with
  its inflection at the Balmer limit, 3645 A (Setton et al. 2024,
  arXiv:2411.03424), a blue UV slope and a red optical slope inside the
  selection of Kocevski et al. (beta_UV < -0.37, beta_opt > 0; recalled,
  not read), and a
  broad Halpha line; the Madau (1995) intergalactic absorption.
- **Sizes** (`LITTLE_RED_DOT_SIZE`): unresolved, r_e below the 130 pc of
  Kokorev et al. (2024).

Numbers were read from the abstracts of these papers (and the selection
thresholds already in `astro_galclass.highz.red_dots`); each constant says
which are assumptions.
"""

import functools
import math

import numpy as np
from astropy.cosmology import Planck18

from astro_galclass.nircam import NIRCAM_BANDS
from astro_galclass.simulate.sed import (
    _OBS_WAVE,
    band_weights,
    igm_transmission,
    line_band_response,
)

__all__ = ['LITTLE_RED_DOT_COUNTS', 'LITTLE_RED_DOT_REDSHIFTS', 'LITTLE_RED_DOT_SED',
           'LITTLE_RED_DOT_SIZE', 'draw_little_red_dot_magnitudes',
           'little_red_dot_band_fluxes',
           'draw_little_red_dot_redshifts', 'little_red_dot_redshift_share',
           'little_red_dot_surface_density']

#: Cumulative surface density of little red dots against F444W:
#: ``density`` arcmin^-2 at 4 <= z < 9 brighter than ``reference_limit``
#: (Kokorev et al. 2024, arXiv:2401.09981, abstract: 260 candidates at
#: 4 < z_phot < 9 over ~640 arcmin^2; the limit F444W < 27.7 is that of
#: the Labbé et al. selection they modify, not read in their paper).
#: ``density_error``: its Poisson error (sqrt(260) / 640). Brightward the
#: cumulative counts fall by ``bright_slope`` dex per magnitude, faintward
#: they rise by ``faint_slope`` (both assumptions: the first makes LRDs
#: brighter than F444W ~ 22 (3 expected) nearly as rare as the single
#: K < 23.7 candidate over 15 deg^2 of Ma
#: et al. 2025, arXiv:2509.02662, at 4.5 < z < 4.9; the second brings the
#: density to JADES depth, F444W ~ 30, near the 412 LRDs over 349.6 arcmin^2
#: (1.18 arcmin^-2, z ~ 2-11, a broader colour selection) of the JADES
#: census, arXiv:2604.07138). ``m_bright``: brightest magnitude drawn.
LITTLE_RED_DOT_COUNTS = {'density': 0.41, 'density_error': 0.025, 'reference_limit': 27.7,
                         'reference_z': (4.0, 9.0), 'bright_slope': 0.5,
                         'faint_slope': 0.1, 'm_bright': 20.0}

#: Comoving density of little red dots against redshift, log10 cMpc^-3 at
#: nodes ``z`` (interpolated linearly in z; zero outside ``z_range``):
#: below z = 4 the decline of Ma et al. (2025, arXiv:2504.08032, abstract:
#: 10^-5.7 at 1.7 < z < 2.7, 10^-5.3 at 2.7 < z < 3.7, 10^-4.5 at z > 4,
#: for M_5500 < -22.5; taken to hold at all luminosities, an assumption the
#: EIGER J1030 census, arXiv:2606.30253, questions); flat at 4-7; falling
#: by 0.5, 1.5 and 2.5 dex at z = 8, 9, 10 (assumed: Kocevski et al. 2025
#: find the numbers rising below z ~ 8; Kokorev et al. and Akins et al.
#: find LRDs to z ~ 9; a single z ~ 10.5 candidate in COSMOS-Web,
#: arXiv:2508.00057). Only the shape matters: the counts fix the
#: normalisation.
LITTLE_RED_DOT_REDSHIFTS = {'z': (1.7, 2.2, 3.2, 4.0, 7.0, 8.0, 9.0, 10.0),
                            'log_n': (-5.7, -5.7, -5.3, -4.5, -4.5, -5.0, -6.0, -7.0),
                            'z_range': (1.7, 10.5)}

#: The V-shaped spectrum: f_lambda ~ lambda^beta_uv blueward of
#: ``turnover`` (A, rest) and lambda^beta_opt redward (Setton et al. 2024,
#: arXiv:2411.03424: the inflection of the V falls at the Balmer limit,
#: 3645 A, in 20 of 44 red Halpha emitters, nearly all unresolved).
#: ``beta_uv`` and ``beta_opt``: mean, sigma and range of normal draws
#: (assumed values inside the selection of Kocevski et al. 2025,
#: arXiv:2404.03576, beta_UV < -0.37 and beta_opt > 0, thresholds recalled
#: from their section 2, not read in this pass; Kokorev et al.
#: 2024 model the red part with A_V ~ 1.6 of dust). ``halpha_ew``:
#: rest-frame equivalent width (A) of the broad Halpha line, log-normal
#: (median and sigma_ln assumed: a few hundred A, as in the broad-line
#: LRDs of Matthee et al. 2024 and Greene et al. 2024); ``hbeta_ratio``:
#: Hbeta's EW relative to Halpha's (assumed; LRDs have steep Balmer
#: decrements).
LITTLE_RED_DOT_SED = {'turnover': 3645.0,
                      'beta_uv': (-1.7, 0.5, (-2.8, -0.4)),
                      'beta_opt': (1.2, 0.5, (0.2, 3.0)),
                      'halpha_ew': (400.0, 0.5), 'hbeta_ratio': 0.1}

#: Half-light radius (pc), log-normal: median and sigma_ln (assumed; the
#: point-source-like cores of Kokorev et al. 2024 have <r_eff> < 130 pc;
#: Akins et al. 2024 select F444W-compact sources), clipped to ``range``.
LITTLE_RED_DOT_SIZE = {'median_pc': 60.0, 'sigma_ln': 0.5, 'range': (10.0, 150.0)}

_Z_STEP = 0.02


@functools.cache
def _redshift_grid():
    """Redshift cells and their share of the little red dots on the sky."""
    table = LITTLE_RED_DOT_REDSHIFTS
    lo, hi = table['z_range']
    z = np.arange(lo, hi, _Z_STEP) + _Z_STEP / 2
    n = 10 ** np.interp(z, table['z'], table['log_n'])
    per_cell = n * Planck18.differential_comoving_volume(z).value
    return z, per_cell / per_cell.sum()


def little_red_dot_redshift_share(z_min=0.0, z_max=math.inf):
    """
    Share of a field's little red dots at ``z_min <= z < z_max``.

    Parameters
    ----------
    z_min, z_max : float, optional
        Redshift range.

    Returns
    -------
    share : float
        From `LITTLE_RED_DOT_REDSHIFTS` times the comoving volume.

    Examples
    --------
    >>> from astro_galclass.simulate.population_lrd import little_red_dot_redshift_share
    >>> round(little_red_dot_redshift_share(0.0, 4.0), 2)     # below z = 4
    0.15
    """
    z, p = _redshift_grid()
    return float(p[(z >= z_min) & (z < z_max)].sum())


def _cumulative(m):
    """Little red dots per arcmin^2 brighter than F444W ``m``, all redshifts."""
    table = LITTLE_RED_DOT_COUNTS
    m = np.asarray(m, float)
    dm = m - table['reference_limit']
    slope = np.where(dm < 0, table['bright_slope'], table['faint_slope'])
    total = table['density'] / little_red_dot_redshift_share(*table['reference_z'])
    return total * 10 ** (slope * dm)


def little_red_dot_surface_density(m_limit, *, z_range=(0.0, math.inf)):
    """
    Little red dots per arcmin^2 brighter than F444W ``m_limit``.

    Parameters
    ----------
    m_limit : float
        F444W limit (AB).
    z_range : tuple of float, optional
        Redshift range counted.

    Returns
    -------
    density : float
        arcmin^-2: `LITTLE_RED_DOT_COUNTS` times the share of
        `LITTLE_RED_DOT_REDSHIFTS` in ``z_range`` (the redshift
        distribution is taken to be the same at every magnitude).

    Examples
    --------
    >>> from astro_galclass.simulate.population_lrd import little_red_dot_surface_density
    >>> round(little_red_dot_surface_density(27.7, z_range=(4, 9)), 2)   # Kokorev+24
    0.41
    """
    table = LITTLE_RED_DOT_COUNTS
    if m_limit <= table['m_bright']:
        return 0.0
    return float((_cumulative(m_limit) - _cumulative(table['m_bright']))
                 * little_red_dot_redshift_share(*z_range))


def draw_little_red_dot_redshifts(n, *, rng, z_range=(0.0, math.inf)):
    """
    Redshifts of ``n`` little red dots of a field, inside ``z_range``.

    Parameters
    ----------
    n : int
        Number of redshifts.
    rng : `numpy.random.Generator`
        Random generator.
    z_range : tuple of float, optional
        Lowest and highest redshift (e.g. ``(4, inf)`` for the ``high_z``
        class).

    Returns
    -------
    z : `~numpy.ndarray`
        ``(n,)``, distributed as `LITTLE_RED_DOT_REDSHIFTS` times the
        comoving volume.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_lrd import draw_little_red_dot_redshifts
    >>> z = draw_little_red_dot_redshifts(4000, rng=np.random.default_rng(0), z_range=(4, 99))
    >>> bool(5.0 < np.median(z) < 6.5)
    True
    """
    z, p = _redshift_grid()
    lo, hi = float(z_range[0]), float(z_range[1])
    p = np.where((z - _Z_STEP / 2 >= lo - 1e-9) & (z + _Z_STEP / 2 <= hi + 1e-9), p, 0.0)
    if p.sum() <= 0:
        msg = f'no little red dots at {lo} <= z < {hi}'
        raise ValueError(msg)
    cells = rng.choice(p.size, size=int(n), p=p / p.sum())
    return np.clip(z[cells] + rng.uniform(-_Z_STEP / 2, _Z_STEP / 2, int(n)), lo,
                   np.nextafter(hi, -np.inf))


def draw_little_red_dot_magnitudes(n, *, rng, m_limit):
    """
    F444W magnitudes (AB) of ``n`` little red dots brighter than ``m_limit``.

    Parameters
    ----------
    n : int
        Number of magnitudes.
    rng : `numpy.random.Generator`
        Random generator.
    m_limit : float
        Faintest F444W (AB).

    Returns
    -------
    mag : `~numpy.ndarray`
        ``(n,)``, distributed as the counts of `LITTLE_RED_DOT_COUNTS`
        between its ``m_bright`` and ``m_limit``.
    """
    m = np.linspace(LITTLE_RED_DOT_COUNTS['m_bright'], m_limit, 2001)
    cdf = _cumulative(m)
    return np.interp(rng.uniform(cdf[0], cdf[-1], int(n)), cdf, m)



@functools.cache
def _igm_grid(step=0.05):
    """Madau (1995) transmission on the observed grid, per 0.05 in z (as `PhotometryGrid`)."""
    z = np.arange(0.0, 16.0 + step / 2, step)
    return z, np.stack([igm_transmission(_OBS_WAVE, v) for v in z]).astype(np.float32)


def little_red_dot_band_fluxes(z, beta_uv, beta_opt, halpha_ew, *, bands=NIRCAM_BANDS):
    """
    Band fluxes of V-shaped little-red-dot spectra, relative to F444W.

    The continuum is ``f_lambda ~ (lambda / turnover)^beta`` with
    ``beta_uv`` blueward of `LITTLE_RED_DOT_SED`'s turnover (the Balmer
    limit) and ``beta_opt`` redward, nothing below the Lyman limit, the
    mean intergalactic transmission of Madau (1995) (as the galaxies'),
    broad Halpha of rest equivalent width ``halpha_ew`` and Hbeta at
    ``hbeta_ratio`` of it, seen through the NIRCam throughputs.

    Parameters
    ----------
    z, beta_uv, beta_opt, halpha_ew : `~numpy.ndarray`
        ``(N,)`` redshift, UV and optical slopes, Halpha EW (A, rest).
    bands : tuple of str, optional
        NIRCam bands (must include F444W).

    Returns
    -------
    ratio : `~numpy.ndarray`
        ``(N, len(bands))`` band-averaged f_nu over F444W's.
    uv : `~numpy.ndarray`
        ``(N,)`` rest-frame f_nu at 1500 A over the F444W band average
        (continuum, before intergalactic absorption).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_lrd import little_red_dot_band_fluxes
    >>> ratio, uv = little_red_dot_band_fluxes(np.array([6.0]), np.array([-1.5]),
    ...                                        np.array([1.5]), np.array([400.0]))
    >>> bool(ratio[0, 0] < ratio[0, 4] < ratio[0, 6] == 1)      # F090W < F277W < F444W
    True
    """
    z, beta_uv, beta_opt, ew = (np.atleast_1d(np.asarray(v, float))
                                for v in (z, beta_uv, beta_opt, halpha_ew))
    sed = LITTLE_RED_DOT_SED
    turn = sed['turnover']
    weights = band_weights(_OBS_WAVE, tuple(bands))
    z_grid, igm = _igm_grid()
    rest = _OBS_WAVE[None, :] / (1 + z[:, None])
    x = rest / turn
    beta = np.where(x < 1, beta_uv[:, None], beta_opt[:, None])
    fnu = x ** (beta + 2)                                  # f_nu ~ lambda^(beta + 2)
    fnu = np.where(rest < 912.0, 0.0, fnu)
    cell = np.clip(np.rint(z / (z_grid[1] - z_grid[0])).astype(int), 0, len(z_grid) - 1)
    flux = (fnu * igm[cell]) @ weights                      # (N, bands)
    # broad Balmer lines: W (1 + z) f_nu(line) T / (lambda int T dln lambda)
    for line, share in ((6564.6, 1.0), (4862.7, sed['hbeta_ratio'])):
        obs = line * (1 + z)
        cont = (line / turn) ** (beta_opt + 2)
        flux = flux + (share * ew * (1 + z) * cont)[:, None] * line_band_response(obs, bands)
    ref = flux[:, list(bands).index('F444W')]
    uv = (1500.0 / turn) ** (beta_uv + 2)
    return flux / ref[:, None], uv / ref
