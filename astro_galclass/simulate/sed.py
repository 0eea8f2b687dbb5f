# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Spectral energy distributions seen through the NIRCam filters.

The pieces, and where they come from:

* filter throughputs: the JWST/NIRCam curves shipped by astro-sedpy
  (``sedpy.observate.load_filters``), photon-counting band averages;
* galaxy templates: the twelve EAZY FSPS templates (Brammer et al. 2008;
  Conroy et al. 2009, 2010), a young low-metallicity Lyman-break galaxy
  (Erb et al. 2010) and a post-starburst galaxy, shipped in
  ``astro_galclass/data/templates`` (see its README);
* dust: the Calzetti et al. (2000, ApJ 533, 682) starburst attenuation law;
* intergalactic absorption: Madau (1995, ApJ 441, 18), as implemented by
  synphot (``synphot.etau_madau``);
* brown dwarfs: NIRCam colours of the Sonora Bobcat (Marley et al. 2021),
  LOWZ (Meisner et al. 2021) and Sonora Cholla (Karalidi et al. 2021) model
  grids, shipped in ``astro_galclass/data/brown_dwarfs``.
"""

import functools
from importlib import resources

import astropy.units as u
import numpy as np
from astropy.table import Table, vstack

from astro_galclass.nircam import NIRCAM_BANDS

__all__ = ['EMISSION_LINES', 'TEMPLATE_NAMES', 'BrownDwarfColours', 'PhotometryGrid',
           'band_weights', 'calzetti_k', 'igm_transmission', 'line_band_response',
           'load_template', 'template_lines', 'uv_slope']

#: Names of the shipped galaxy templates, in the order of `PhotometryGrid`.
TEMPLATE_NAMES = tuple([f'fsps_QSF_12_v3_{i:03d}' for i in range(1, 13)]
                       + ['erb2010', 'post_starburst'])

#: R_V of the Calzetti et al. (2000) law.
CALZETTI_RV = 4.05

#: Strong optical emission lines added on top of the templates' own:
#: rest vacuum wavelength (Angstrom) and share of their group's equivalent
#: width. [OIII] 4960 is a third of 5008 (atomic physics); [OIII] 5008 /
#: Hbeta = 4 is an assumption typical of z > 4 galaxies.
EMISSION_LINES = {
    'hbeta': (4862.7, 'oiii_hbeta', 3 / 19),
    'oiii_4960': (4960.3, 'oiii_hbeta', 4 / 19),
    'oiii_5008': (5008.2, 'oiii_hbeta', 12 / 19),
    'halpha': (6564.6, 'halpha', 1.0),
}

#: Observed-frame wavelength grid (Angstrom) for band integrals.
_OBS_WAVE = np.geomspace(6000.0, 52000.0, 3000)

_DATA = resources.files('astro_galclass') / 'data'


@functools.cache
def _filter_curves(bands):
    from sedpy.observate import load_filters

    filters = load_filters([f'jwst_{b.lower()}' for b in bands])
    return [(np.asarray(f.wavelength, float), np.asarray(f.transmission, float))
            for f in filters]


def band_weights(wave, bands=NIRCAM_BANDS):
    """
    Weights turning f_nu sampled at ``wave`` into band-averaged f_nu.

    For a photon-counting detector the band-averaged flux density is
    ``<f_nu> = int f_nu T dlnlambda / int T dlnlambda``.

    Parameters
    ----------
    wave : `~numpy.ndarray`
        Observed wavelengths in Angstrom, increasing.
    bands : tuple of str
        NIRCam bands.

    Returns
    -------
    weights : `~numpy.ndarray`
        ``(len(wave), len(bands))``; ``f_nu @ weights`` gives band averages.
    """
    wave = np.asarray(wave, float)
    dlnl = np.gradient(np.log(wave))
    weights = np.zeros((wave.size, len(bands)))
    for i, (fw, ft) in enumerate(_filter_curves(tuple(bands))):
        trans = np.interp(wave, fw, ft, left=0.0, right=0.0)
        weights[:, i] = trans * dlnl / np.sum(trans * dlnl)
    return weights


def line_band_response(wave_obs, bands=NIRCAM_BANDS):
    r"""
    Band-averaged f_nu of a line per unit observed equivalent width.

    A line of observed equivalent width :math:`W` on a continuum
    :math:`f_\nu` at observed wavelength :math:`\lambda` adds
    :math:`W f_\nu T(\lambda) / (\lambda \int T\, d\ln\lambda)` to the
    photon-counting band average (see `band_weights`).

    Parameters
    ----------
    wave_obs : array
        Observed wavelength of the line (Angstrom), any shape.
    bands : tuple of str, optional
        NIRCam bands.

    Returns
    -------
    response : `~numpy.ndarray`
        ``wave_obs.shape + (len(bands),)``, per Angstrom.

    Examples
    --------
    >>> from astro_galclass.simulate.sed import line_band_response
    >>> r = line_band_response(5008.2 * 8.0)           # [OIII] at z = 7
    >>> int(r.argmax())                                # F444W (index 6)
    6
    """
    wave_obs = np.asarray(wave_obs, float)
    out = np.zeros(wave_obs.shape + (len(bands),))
    for i, (fw, ft) in enumerate(_filter_curves(tuple(bands))):
        norm = np.trapezoid(ft / fw, fw)
        out[..., i] = np.interp(wave_obs, fw, ft, left=0.0, right=0.0) / (wave_obs * norm)
    return out


@functools.cache
def template_lines():
    """
    Continua and equivalent widths of each template's own optical lines.

    Returns
    -------
    lines : dict
        ``'continuum'``: ``(n_templates, n_lines)`` f_nu of the continuum
        under each line of `EMISSION_LINES` relative to f_nu(1500 A) (no
        extra dust); ``'oiii_hbeta'`` and ``'halpha'``: ``(n_templates,)``
        rest equivalent widths (Angstrom) of [OIII]+Hbeta and Halpha
        (including [NII]) in the template.
    """
    continuum = np.zeros((len(TEMPLATE_NAMES), len(EMISSION_LINES)))
    ew = {'oiii_hbeta': np.zeros(len(TEMPLATE_NAMES)), 'halpha': np.zeros(len(TEMPLATE_NAMES))}
    windows = {'oiii_hbeta': ((4700, 4820), (4840, 5030), (5060, 5200)),
               'halpha': ((6400, 6520), (6530, 6600), (6650, 6780))}
    for i, name in enumerate(TEMPLATE_NAMES):
        wave, fnu = load_template(name)
        for group, (blue, line, red) in windows.items():
            side = ((wave > blue[0]) & (wave < blue[1])) | ((wave > red[0]) & (wave < red[1]))
            # line-free continuum: a straight line through the two sides
            fit = np.polyfit(wave[side], fnu[side], 1)
            inside = (wave > line[0]) & (wave < line[1])
            cont = np.polyval(fit, wave[inside])
            ew[group][i] = max(float(np.trapezoid(fnu[inside] / cont - 1, wave[inside])), 0.0)
            for j, (rest, g, _) in enumerate(EMISSION_LINES.values()):
                if g == group:
                    continuum[i, j] = np.polyval(fit, rest)
    return {'continuum': continuum, **ew}


def calzetti_k(wave):
    r"""
    Calzetti et al. (2000) attenuation curve :math:`k(\lambda)`.

    :math:`A_\lambda = k(\lambda) A_V / R_V` with :math:`R_V = 4.05`. The
    published ranges are 0.12-0.63 and 0.63-2.2 micron; shortward the curve
    is continued linearly in :math:`1/\lambda` from its 0.12-0.125 micron
    slope (flux there is absorbed by the intergalactic medium at the
    redshifts where it enters the NIRCam bands), and longward it is
    clipped at zero.

    Parameters
    ----------
    wave : array
        Rest-frame wavelength in Angstrom.
    """
    lam = np.asarray(wave, float) / 1e4                    # micron
    x = 1 / lam

    def blue(x):
        return 2.659 * (-2.156 + 1.509 * x - 0.198 * x**2 + 0.011 * x**3) \
            + CALZETTI_RV

    def red(x):
        return 2.659 * (-1.857 + 1.040 * x) + CALZETTI_RV

    x0, x1 = 1 / 0.12, 1 / 0.125
    slope = (blue(x0) - blue(x1)) / (x0 - x1)
    k = np.where(lam >= 0.63, red(x), blue(x))
    k = np.where(lam < 0.12, blue(x0) + slope * (x - x0), k)
    return np.clip(k, 0, None)


def igm_transmission(wave, z):
    """
    Mean intergalactic transmission of Madau (1995), from synphot.

    Parameters
    ----------
    wave : array
        Observed wavelength in Angstrom.
    z : float
        Source redshift.
    """
    from synphot import etau_madau

    wave = np.asarray(wave, float)
    if z <= 0:
        return np.ones_like(wave)
    return np.asarray(etau_madau(wave * u.AA, float(z))(wave * u.AA))


@functools.cache
def load_template(name):
    """
    Rest-frame wavelength (Angstrom) and f_nu (arbitrary units) of a template.

    The wavelengths are sorted and f_nu is normalised to 1 at 1500 Angstrom;
    results are cached.

    Parameters
    ----------
    name : str
        One of `TEMPLATE_NAMES` (the twelve ``fsps_QSF_12_v3_0NN`` templates,
        ``'erb2010'`` and ``'post_starburst'``).
    """
    if name not in TEMPLATE_NAMES:
        msg = f'unknown template {name!r}; expected one of {TEMPLATE_NAMES}'
        raise ValueError(msg)
    data = np.loadtxt(_DATA / 'templates' / f'{name}.dat', comments='#')
    wave, flam = data[:, 0], data[:, 1]
    order = np.argsort(wave)
    wave, flam = wave[order], flam[order]
    fnu = flam * wave**2                                  # f_nu up to a constant
    return wave, fnu / np.interp(1500.0, wave, fnu)


def uv_slope(wave, fnu):
    r"""
    UV slope :math:`\beta` (:math:`f_\lambda \propto \lambda^\beta`) fitted
    over rest-frame 1500-2500 Angstrom.

    Parameters
    ----------
    wave : `~numpy.ndarray`
        Rest-frame wavelengths in Angstrom, ``(M,)``.
    fnu : `~numpy.ndarray`
        f_nu at ``wave`` (any units), ``(M,)`` or ``(K, M)`` for ``K``
        spectra, each fitted separately.
    """
    sel = (wave >= 1500) & (wave <= 2500)
    flam = fnu[..., sel] / wave[sel] ** 2
    slope = np.polyfit(np.log(wave[sel]), np.log(np.clip(flam, 1e-300, None)).T, 1)[0]
    return slope


class PhotometryGrid:
    """
    Band fluxes of every template on a grid of redshift and dust attenuation.

    Fluxes are relative to the template's attenuated rest-frame f_nu at
    1500 Angstrom observed at the same redshift, so that an apparent UV
    magnitude scales them to nJy. Photometry is linear in the templates, so
    mixtures are weighted sums.

    Parameters
    ----------
    z : array, optional
        Redshift grid.
    av : array, optional
        V-band attenuation grid (mag, Calzetti law).
    bands : tuple of str, optional
        NIRCam bands.
    """

    def __init__(self, z=None, av=None, bands=NIRCAM_BANDS):
        self.z = np.linspace(0.0, 16.0, 321) if z is None else np.asarray(z, float)
        self.av = np.linspace(0.0, 4.0, 17) if av is None else np.asarray(av, float)
        self.bands = tuple(bands)
        weights = band_weights(_OBS_WAVE, self.bands)
        igm = np.stack([igm_transmission(_OBS_WAVE, z) for z in self.z])
        n_t, n_a, n_z = len(TEMPLATE_NAMES), len(self.av), len(self.z)
        flux = np.zeros((n_t, n_a, n_z, len(self.bands)))
        beta = np.zeros((n_t, n_a))
        for i, name in enumerate(TEMPLATE_NAMES):
            wave, fnu = load_template(name)
            k = calzetti_k(wave)
            for j, av in enumerate(self.av):
                att = fnu * 10 ** (-0.4 * k * av / CALZETTI_RV)
                uv = np.interp(1500.0, wave, att)
                beta[i, j] = uv_slope(wave, att)
                # observed f_nu(lambda_obs) = f_nu,rest(lambda_obs / (1+z)),
                # up to (1+z) and distance factors that cancel in the ratio
                rest = _OBS_WAVE[None, :] / (1 + self.z[:, None])
                obs = np.interp(rest, wave, att) * igm
                flux[i, j] = obs @ weights / uv
        self.flux = flux
        self.beta = beta

    def fluxes(self, template_weights, av, z):
        """
        Band fluxes relative to rest-frame 1500 Angstrom, for many sources.

        Parameters
        ----------
        template_weights : `~numpy.ndarray`
            ``(N, n_templates)`` non-negative weights of each template's
            1500 Angstrom flux (rows sum to 1).
        av, z : `~numpy.ndarray`
            ``(N,)`` attenuation and redshift, inside the grid.

        Returns
        -------
        `~numpy.ndarray`
            ``(N, n_bands)``.
        """
        ia, fa = _grid_index(self.av, av)
        iz, fz = _grid_index(self.z, z)
        f = self.flux
        out = 0.0
        for da, wa in ((0, 1 - fa), (1, fa)):
            for dz, wz in ((0, 1 - fz), (1, fz)):
                # (N, n_templates, n_bands)
                sel = f[:, ia + da, iz + dz].transpose(1, 0, 2)
                out = out + (wa * wz)[:, None] * np.einsum('nt,ntb->nb',
                                                           template_weights, sel)
        return out

    def beta_of(self, template_weights, av):
        """
        UV slope of a template mixture (weights of 1500 A flux) at ``av``.

        Parameters
        ----------
        template_weights : `~numpy.ndarray`
            ``(N, n_templates)`` weights of each template's 1500 Angstrom
            flux, as in `fluxes`.
        av : `~numpy.ndarray`
            ``(N,)`` V-band attenuation (mag), interpolated on the grid
            (clipped to its range).

        Returns
        -------
        beta : `~numpy.ndarray`
            ``(N,)``.
        """
        ia, fa = _grid_index(self.av, av)
        b = (1 - fa)[:, None] * self.beta[:, ia].T + fa[:, None] * self.beta[:, ia + 1].T
        return np.sum(template_weights * b, axis=1)


def _grid_index(grid, values):
    values = np.clip(np.asarray(values, float), grid[0], grid[-1])
    idx = np.clip(np.searchsorted(grid, values) - 1, 0, len(grid) - 2)
    frac = (values - grid[idx]) / (grid[idx + 1] - grid[idx])
    return idx, frac


class BrownDwarfColours:
    """
    NIRCam colours (AB, relative to F444W) of brown-dwarf model atmospheres.

    The three shipped grids are stacked; each row keeps its ``grid`` name
    and ``teff``.

    Parameters
    ----------
    bands : sequence of str, optional
        NIRCam bands whose ``<band> - F444W`` colours are kept (default all
        seven); models with a non-finite colour in any of them are dropped.
    teff_range : tuple of float, optional
        Lowest and highest effective temperature (K) of the models kept,
        inclusive (default 250-1600 K).
    """

    GRIDS = {  # noqa: RUF012 - read-only
        'sonora_bobcat': 'sonora_bobcat_nircam_colours.ecsv',
        'lowz': 'low_z_nircam_colours.ecsv',
        'sonora_cholla': 'sonora_cholla_nircam_colours.ecsv',
    }

    def __init__(self, bands=NIRCAM_BANDS, *, teff_range=(250, 1600)):
        tables = []
        for grid, filename in self.GRIDS.items():
            table = Table.read(_DATA / 'brown_dwarfs' / filename, format='ascii.ecsv')
            keep = Table({'grid': [grid] * len(table), 'teff': table['teff']})
            for band in bands:
                keep[band] = table[f'{band}_minus_F444W']
            tables.append(keep)
        table = vstack(tables)
        colours = np.stack([np.asarray(table[b], float) for b in bands], axis=1)
        ok = np.isfinite(colours).all(axis=1) & (table['teff'] >= teff_range[0]) \
            & (table['teff'] <= teff_range[1])
        self.bands = tuple(bands)
        self.grid = np.asarray(table['grid'])[ok]
        self.teff = np.asarray(table['teff'], float)[ok]
        self.colours = colours[ok]

    def __len__(self):
        return len(self.teff)
