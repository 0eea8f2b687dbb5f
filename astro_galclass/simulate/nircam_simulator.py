# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A physically grounded simulator of JWST/NIRCam sources, cutouts and mosaics.

Every number below is taken from the sources listed in
``docs/simulate.rst`` (and ``astro_galclass.simulate.sed``); choices that
are approximations are marked as such there.
"""

import copy
import functools
import math
import os

import astropy.units as u
import numpy as np
import scipy.fft
import torch
from astropy.cosmology import Planck18
from astropy.nddata import NDData
from astropy.table import QTable

from astro_galclass.nircam import (
    APERTURE_RADIUS,
    DEFAULT_PIXEL_SCALE,
    HIGHZ_CLASSES,
    LONG_WAVE_BANDS,
    NATIVE_PIXEL_SCALE,
    NIRCAM_BANDS,
    PSF_FWHM,
    Z_BOUNDARY,
    aperture_noise,
    drizzle_kernel_sigma,
    mag_to_njy,
    njy_to_mag,
    resolve_depths,
)
from astro_galclass.simulate.population import (
    BROWN_DWARF_DISC,
    EMISSION_LINE_EW,
    SKY_EVOLVED_HIGH_Z_SHARE,
    brown_dwarf_absolute_f444w,
    draw_brown_dwarf_distances,
    draw_brown_dwarf_teff,
    draw_count_magnitudes,
    draw_high_z,
    draw_low_z_redshifts,
    sky_class_fractions,
)
from astro_galclass.simulate.sed import (
    CALZETTI_RV,
    EMISSION_LINES,
    TEMPLATE_NAMES,
    BrownDwarfColours,
    PhotometryGrid,
    calzetti_k,
    line_band_response,
    load_template,
    template_lines,
)
from astro_galclass.simulate.sersic import MOG_SIGMAS, sersic_fourier, sersic_mog
from astro_galclass.simulate.toy import _FIELD_CENTER, make_tan_wcs
from astro_galclass.utils._deprecation import moved_names
from astro_galclass.utils._progress import progress_bar

__all__ = ['SKY_LOW_Z_KINDS', 'NIRCamSimulator']

__getattr__ = moved_names('astro_galclass.simulate.nircam_simulator', {
    'CLASSES': ('astro_galclass.nircam', 'HIGHZ_CLASSES')})

_FWHM_TO_SIGMA = 1 / (2 * math.sqrt(2 * math.log(2)))
_T = {name: i for i, name in enumerate(TEMPLATE_NAMES)}

# template families (indices into TEMPLATE_NAMES)
_FSPS = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in range(1, 13)]
_QUIESCENT = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in range(1, 7)] + [_T['post_starburst']]
_DUSTY_SF = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (10, 11, 12)]
_EVOLVED = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (3, 4)] + [_T['post_starburst']]
# star-forming templates with little to moderate dust of their own (the
# template headers: sSFR ~ 4e-9 / yr, A_V = 0.07-0.8)
_STAR_FORMING = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (7, 8, 9)]

#: Independent random streams that draw the noise in parallel threads.
RANDN_STREAMS = 2


@functools.cache
def _randn_pool():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(RANDN_STREAMS, thread_name_prefix='astro_galclass-randn')


# a forked child (e.g. a DataLoader worker) has the pool but not its threads
os.register_at_fork(after_in_child=_randn_pool.cache_clear)


#: Shares of the low-z kinds with ``population='sky'``: mostly star-forming
#: galaxies; quiescent (Balmer-break) galaxies are ~5-20% at the low masses
#: of faint NIRCam sources at 1 < z < 3 (Tomczak et al. 2014; Davidzon et al.
#: 2017 mass functions), heavily dusty ones a few per cent.
SKY_LOW_Z_KINDS = {'ordinary': 0.85, 'dusty': 0.07, 'balmer_break': 0.08}


@functools.cache
def _optical_to_uv():
    """f_nu(5500 A) / f_nu(1500 A) of each template (their own dust only)."""
    return np.array([np.interp(5500.0, *load_template(name)) for name in TEMPLATE_NAMES])


@functools.cache
def _photometry_grid():
    return PhotometryGrid()


@functools.cache
def _brown_dwarfs():
    return BrownDwarfColours()


@functools.lru_cache(maxsize=8)
def _unit_noise(bands, pixel_scale, p):
    """
    Correlation kernels, and the aperture-sum noise of unit-amplitude spectra.

    The amplitude of the noise spectra is calibrated by drawing noise with
    the same recipe and measuring the standard deviation of its r = 0.16"
    aperture sums, so that the simulated depth is exactly the requested one.
    It does not depend on the depth, so it is computed once per grid.
    """
    ky = np.fft.fftfreq(p)[:, None]
    kx = np.fft.rfftfreq(p)[None, :]
    kernel = np.stack([np.exp(-2 * np.pi ** 2 * drizzle_kernel_sigma(b, pixel_scale) ** 2
                              * (kx ** 2 + ky ** 2)) for b in bands])
    gen = torch.Generator().manual_seed(12345)
    z = torch.view_as_complex(torch.randn((2000, len(bands), p, p // 2 + 1, 2),
                                          generator=gen)).numpy()
    trial = scipy.fft.irfft2(z * kernel[None], s=(p, p), workers=2)
    c = (p - 1) / 2
    yy, xx = np.mgrid[:p, :p]
    aperture = (xx - c) ** 2 + (yy - c) ** 2 <= (APERTURE_RADIUS / pixel_scale) ** 2
    measured = trial[..., aperture].sum(axis=-1).std(axis=0)
    return measured, torch.from_numpy(kernel.astype(np.float32))


def _uv_slope_mean(z, muv):
    r"""
    Mean UV slope :math:`\beta(z, M_{UV})`.

    Cullen et al. (2023): median -2.29 at z = 8-16, dbeta/dM_UV = -0.17,
    bluer than z ~ 5 by 0.38; Cullen et al. (2024): -2.17 at z = 9.5 and
    -2.59 at z ~ 11.5.
    """
    base = np.interp(z, [4.0, 5.0, 9.5, 11.5, 16.0],
                     [-1.85, -1.91, -2.17, -2.59, -2.6])
    return base - 0.17 * (muv + 19.5)


def _size_median_kpc(z):
    """
    Median half-light radius (kpc).

    Varadaraj et al. (2024) for z <= 5, 3.51 (1+z)^-0.6 kpc (used below z = 3
    as an extrapolation); Ono et al. (2025) for z >= 10, 133 pc; log-linear
    in between.
    """
    z = np.asarray(z, float)
    low = 3.51 * (1 + np.minimum(z, 5.0)) ** -0.6
    high = 0.133
    t = np.clip((z - 5.0) / 5.0, 0, 1)
    return np.exp((1 - t) * np.log(low) + t * np.log(high))


class NIRCamSimulator:
    """
    Simulate NIRCam seven-band cutouts and mosaics of low-z galaxies,
    z >= 4 galaxies and brown dwarfs.

    Galaxies are mixtures of the EAZY FSPS templates (plus a young
    Lyman-break and a post-starburst template) with Calzetti dust and Madau
    IGM absorption, seen through the NIRCam throughputs (astro-sedpy).
    Brown dwarfs take the colours of the Sonora Bobcat, LOWZ and Sonora
    Cholla grids, with the long-wave reddening observed in JWST fields.
    Galaxies are Sersic profiles, brown dwarfs points, convolved with a
    Gaussian PSF of each band's FWHM and integrated over pixels. Noise
    matches the survey's 5-sigma depths in r = 0.16" apertures, correlated
    between pixels as in drizzled mosaics.

    Parameters
    ----------
    depth : str, dict or sequence, optional
        ``'jades-deep'``, ``'jades-medium'``, ``'ceers'``, or per-band
        5-sigma depths (AB, r = 0.16" aperture).
    seed : int, optional
        Seed of the random generator; the same seed gives the same data.
    class_fractions : dict, optional
        Class -> fraction of sources; equal thirds by default (a balanced
        training set, not the sky's proportions).
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts of `sample`.
    cutout_size : int, optional
        Cutout side in pixels.
    position_jitter : float, optional
        Standard deviation (pixels) of the source position around the cutout
        centre, as catalog centroids scatter.
    source_noise : bool, optional
        Add the Poisson noise of the sources (Gaussian approximation) on top
        of the sky-dominated noise.
    population : {'balanced', 'sky'}, optional
        How sources are drawn. ``'balanced'`` (the shipped models' training
        population): equal thirds of the classes, young z >= 4 galaxies
        uniform in 4 <= z < 15 and -22.5 < M_UV < -17, low-z galaxies
        uniform in redshift and F444W, any two templates mixed by 1500 A
        flux. ``'sky'``: as a field at this depth has them, from published
        statistics (`astro_galclass.simulate.population`):

        - the class mix of `sky_class_fractions` (unless ``class_fractions``
          is given): number counts, the UV luminosity function and the T/Y
          dwarf surface density;
        - young z >= 4 galaxies from the UV luminosity function and the
          comoving volume (median z about 5, a few per cent at z > 8), with
          [OIII]+Hbeta and Halpha as strong as observed;
        - low-z galaxies mostly star-forming (``SKY_LOW_Z_KINDS``), their
          templates chosen among the star-forming ones and mixed by 5500 A
          light (nearly flat in f_nu at 1 < z < 3, as observed), their
          redshifts continuous with the z >= 4 ones across z = 4, their
          F444W magnitudes following the number counts, and emission lines
          as strong as those of z ~ 2 galaxies;
        - brown dwarfs with the J-band magnitudes of a Galactic model.

    Examples
    --------
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> sim = NIRCamSimulator(depth='jades-deep', seed=1)
    >>> cutouts, truth = sim.sample(6)
    >>> cutouts.shape, cutouts.unit
    ((6, 7, 64, 64), Unit("nJy"))
    >>> sorted(set(truth['class'])) <= ['brown_dwarf', 'high_z', 'low_z']
    True
    """

    def __init__(self, depth='jades-deep', *, seed=None, class_fractions=None,
                 pixel_scale=DEFAULT_PIXEL_SCALE, cutout_size=64,
                 position_jitter=0.3, source_noise=False, population='balanced'):
        self.bands = NIRCAM_BANDS
        self.depth = depth
        self.depths = resolve_depths(depth, self.bands)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            msg = f'seed must be an int or None, got {type(seed).__name__}'
            raise TypeError(msg)
        self.seed = seed
        if population not in ('balanced', 'sky'):
            msg = f"population must be 'balanced' or 'sky', got {population!r}"
            raise ValueError(msg)
        self.population = population
        self.rng = np.random.default_rng(seed)
        self._torch_gen = torch.Generator().manual_seed(
            int(self.rng.integers(2**62)))
        self.grid = _photometry_grid()
        self.brown_dwarfs = _brown_dwarfs()
        fractions = {'low_z': 1 / 3, 'high_z': 1 / 3, 'brown_dwarf': 1 / 3}
        if population == 'sky' and class_fractions is None:
            fractions = self.sky_class_fractions()
            fractions.pop('density')
        if class_fractions is not None:
            unknown = set(class_fractions) - set(HIGHZ_CLASSES)
            if unknown:
                msg = (f'class_fractions has unknown classes {sorted(unknown)}; '
                       f'expected keys among {HIGHZ_CLASSES}')
                raise ValueError(msg)
            fractions = {c: float(class_fractions.get(c, 0.0)) for c in HIGHZ_CLASSES}
            total = sum(fractions.values())
            if total <= 0 or min(fractions.values()) < 0:
                msg = f'class_fractions must be >= 0 with a positive sum, got {class_fractions}'
                raise ValueError(msg)
            fractions = {c: f / total for c, f in fractions.items()}
        self.class_fractions = fractions
        self.pixel_scale = u.Quantity(pixel_scale).to(u.arcsec / u.pix)
        self.cutout_size = int(cutout_size)
        self.position_jitter = float(position_jitter)
        self.source_noise = bool(source_noise)
        # 1-sigma noise of an r = 0.16" aperture, nJy
        self.sigma_aperture = aperture_noise(self.depths, self.bands)

    def spawn(self, key):
        """
        A copy of the simulator that draws from its own random streams.

        Parallel simulation (one copy per worker process) uses it, so that
        the workers' sources differ and are fixed by ``key``.

        Parameters
        ----------
        key : int or sequence of int
            Seed of the copy's generators (`numpy.random.default_rng`), e.g.
            ``[entropy, worker_index]``.

        Returns
        -------
        simulator : `NIRCamSimulator`
            Same settings; ``seed`` still names the original's seed.
        """
        sim = copy.copy(self)
        sim.rng = np.random.default_rng(key)
        sim._torch_gen = torch.Generator().manual_seed(int(sim.rng.integers(2**62)))
        return sim

    def settings(self):
        """Plain description of the simulator, for weights metadata."""
        return {'simulator': 'NIRCamSimulator', 'depth': self.depths,
                'seed': self.seed, 'class_fractions': self.class_fractions,
                'pixel_scale': self.pixel_scale.value,
                'cutout_size': self.cutout_size,
                'position_jitter': self.position_jitter,
                'source_noise': self.source_noise, 'population': self.population}

    def sky_class_fractions(self):
        """
        The class mix of a field at this depth, from published surface densities.

        Galaxies to 0.3 mag below the F444W depth from the number counts,
        z >= 4 galaxies to 0.3 mag below the F200W depth from the UV
        luminosity function, and T/Y dwarfs at their deep-field density
        (`~astro_galclass.simulate.population.sky_class_fractions`). It is
        the default ``class_fractions`` of ``population='sky'``, and the
        prior of a user's deep field.

        Returns
        -------
        fractions : dict
            ``{'low_z', 'high_z', 'brown_dwarf'}`` summing to 1, and the
            surface densities (arcmin^-2) under ``'density'``.

        Examples
        --------
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> f = NIRCamSimulator(depth='ceers').sky_class_fractions()
        >>> round(f['high_z'], 2), round(f['density']['low_z'])
        (0.11, 865)
        """
        # the brown dwarfs' luminosities: the Teff mix of the space
        # densities, as the sky population draws them
        return sky_class_fractions(galaxy_limit=self.depths['F444W'] + 0.3,
                                   uv_limit=self.depths['F200W'] + 0.3)

    # -- source populations ------------------------------------------------

    def draw_sources(self, n):
        """
        Draw the physical properties of ``n`` sources.

        Parameters
        ----------
        n : int
            Number of sources, drawn with the simulator's random generator;
            classes are drawn with ``class_fractions``.

        Returns
        -------
        truth : `~astropy.table.QTable`
            ``class``, ``redshift`` (NaN for brown dwarfs), ``kind``
            (population within the class), ``template`` (dominant template
            or brown-dwarf grid), ``av``, ``beta``, ``muv``, ``teff``,
            ``re`` (half-light radius), ``sersic_n``, ``axis_ratio``,
            ``theta``, and ``mag_<band>`` / ``flux_<band>`` (true AB
            magnitude and nJy).
        """
        n = int(n)
        rng = self.rng
        labels = rng.choice(len(HIGHZ_CLASSES), size=n,
                            p=[self.class_fractions[c] for c in HIGHZ_CLASSES])
        cols = {
            'class': np.array(HIGHZ_CLASSES)[labels] if n else np.zeros(0, 'U11'),
            'redshift': np.full(n, np.nan), 'kind': np.full(n, '', dtype='U12'),
            'template': np.full(n, '', dtype='U20'), 'av': np.zeros(n),
            'beta': np.full(n, np.nan), 'muv': np.full(n, np.nan),
            'teff': np.full(n, np.nan), 're': np.zeros(n),
            'sersic_n': np.full(n, np.nan), 'axis_ratio': np.ones(n),
            'theta': np.zeros(n), 'flux': np.zeros((n, len(self.bands))),
        }
        for label, draw in enumerate((self._draw_low_z, self._draw_high_z,
                                      self._draw_brown_dwarfs)):
            idx = np.flatnonzero(labels == label)
            if len(idx):
                draw(idx, cols)

        truth = QTable()
        truth['class'] = cols['class']
        truth['label'] = labels.astype(np.int16)
        truth['redshift'] = cols['redshift']
        truth['kind'] = cols['kind']
        truth['template'] = cols['template']
        truth['av'] = cols['av'] * u.mag
        truth['beta'] = cols['beta']
        truth['muv'] = cols['muv'] * u.mag
        truth['teff'] = cols['teff'] * u.K
        truth['re'] = cols['re'] * u.arcsec
        truth['sersic_n'] = cols['sersic_n']
        truth['axis_ratio'] = cols['axis_ratio']
        truth['theta'] = cols['theta'] * u.rad
        for i, band in enumerate(self.bands):
            truth[f'mag_{band}'] = njy_to_mag(cols['flux'][:, i]) * u.ABmag
            truth[f'flux_{band}'] = cols['flux'][:, i] * u.nJy
        return truth

    def _galaxy_fluxes(self, weights, av, z, norm_band_flux=None, muv=None, lines=None):
        ratio = self.grid.fluxes(weights, av, z)            # relative to 1500 A
        if lines is not None:
            ratio = ratio + self._line_fluxes(weights, av, z, lines)
        if muv is not None:
            dm = Planck18.distmod(np.maximum(z, 1e-3)).value
            m_uv = muv + dm - 2.5 * np.log10(1 + z)
            return mag_to_njy(m_uv)[:, None] * ratio
        band, flux = norm_band_flux
        i = self.bands.index(band)
        return flux[:, None] * ratio / ratio[:, [i]]

    def _line_fluxes(self, weights, av, z, extra_ew):
        """
        Band fluxes (relative to 1500 A) of lines added to the templates'.

        ``extra_ew`` maps ``'oiii_hbeta'`` and ``'halpha'`` to ``(N,)`` rest
        equivalent widths (Angstrom) to add; each group is split over its
        lines as `~astro_galclass.simulate.sed.EMISSION_LINES` says. Lines
        and continuum take the same Calzetti attenuation.
        """
        cont = weights @ template_lines()['continuum']           # (N, n_lines)
        rest = np.array([v[0] for v in EMISSION_LINES.values()])
        dust = 10 ** (-0.4 * av[:, None] * (calzetti_k(rest)[None, :] - calzetti_k(1500.0))
                      / CALZETTI_RV)
        obs = rest[None, :] * (1 + z[:, None])
        response = line_band_response(obs, self.bands)              # (N, n_lines, n_bands)
        ew = np.stack([extra_ew[group] * share for group, share in
                       ((v[1], v[2]) for v in EMISSION_LINES.values())], axis=1)
        return np.einsum('nl,nlb->nb', ew * (1 + z[:, None]) * cont * dust, response)

    def _own_line_ew(self, weights):
        """Equivalent widths of the template mixture's own lines."""
        lines = template_lines()
        cont = weights @ template_lines()['continuum']
        names = list(EMISSION_LINES)
        out = {}
        for group, line in (('oiii_hbeta', 'oiii_5008'), ('halpha', 'halpha')):
            w_cont = weights * lines['continuum'][:, names.index(line)][None, :]
            out[group] = (w_cont @ lines[group]) / np.maximum(cont[:, names.index(line)], 1e-30)
        return out

    def _draw_extra_lines(self, weights, target_oiii, halpha_ratio):
        """Extra equivalent widths that bring the mixture's lines to the targets."""
        own = self._own_line_ew(weights)
        return {'oiii_hbeta': np.maximum(target_oiii - own['oiii_hbeta'], 0.0),
                'halpha': np.maximum(halpha_ratio * target_oiii - own['halpha'], 0.0)}

    def _mix(self, idx, families):
        """Dirichlet weights over two templates drawn from ``families``."""
        rng = self.rng
        weights = np.zeros((len(idx), len(TEMPLATE_NAMES)))
        first = rng.choice(families, size=len(idx))
        second = rng.choice(families, size=len(idx))
        w = rng.dirichlet([1.0, 1.0], size=len(idx))
        np.add.at(weights, (np.arange(len(idx)), first), w[:, 0])
        np.add.at(weights, (np.arange(len(idx)), second), w[:, 1])
        return weights

    def _morphology(self, idx, cols, z, n_median, n_sigma=0.35, compact=1.0):
        rng = self.rng
        r_kpc = _size_median_kpc(z) * compact * np.exp(rng.normal(0, 0.5, len(idx)))
        scale = Planck18.arcsec_per_kpc_proper(np.maximum(z, 0.02)).value
        cols['re'][idx] = np.clip(r_kpc * scale, 0.005, 1.2)
        cols['sersic_n'][idx] = np.clip(n_median * np.exp(rng.normal(0, n_sigma, len(idx))),
                                        0.5, 5.0)
        cols['axis_ratio'][idx] = rng.uniform(0.2, 1.0, len(idx))
        cols['theta'][idx] = rng.uniform(0, np.pi, len(idx))

    def _f444w_range(self):
        return 23.0, self.depths['F444W'] + 0.3

    def _mix_optical(self, idx, families):
        """
        Two templates of ``families`` mixed by rest-frame 5500 A light.

        SED fits combine templates by stellar mass or optical light; mixing
        by 1500 A flux lets an old component (faint at 1500 A) dominate the
        near-IR for a modest weight. The Dirichlet weights are shares of the
        5500 A light, converted to the 1500 A weights the grid takes.
        """
        weights = self._mix(idx, families) / _optical_to_uv()[None, :]
        return weights / weights.sum(axis=1, keepdims=True)

    def _draw_low_z(self, idx, cols):
        """
        Galaxies at z < 4.

        ``'balanced'``: 60% ordinary galaxies (any two templates mixed by
        1500 A flux) at 0.05 < z < 4 uniform, 20% each of the two
        interlopers of dropout selections at 1 < z < 4 uniform, F444W
        uniform. ``'sky'``: the shares of `SKY_LOW_Z_KINDS`, ordinary
        galaxies from the star-forming templates, templates mixed by 5500 A
        light, redshifts and F444W magnitudes as a field at this depth has
        them (`~astro_galclass.simulate.population.draw_low_z_redshifts`,
        `~astro_galclass.simulate.population.draw_count_magnitudes`), and
        emission lines as strong as those of z ~ 2 galaxies (`EMISSION_LINE_EW`).
        """
        rng = self.rng
        m = len(idx)
        sky = self.population == 'sky'
        shares = SKY_LOW_Z_KINDS if sky else {'ordinary': 0.6, 'dusty': 0.2,
                                              'balmer_break': 0.2}
        mix = self._mix_optical if sky else self._mix
        kind = rng.choice(list(shares), size=m, p=list(shares.values()))
        if sky:
            limit = self._f444w_range()[1]
            ordinary = kind == 'ordinary'
            z = np.empty(m)
            z[ordinary] = draw_low_z_redshifts(ordinary.sum(), rng=rng, m_limit=limit)
            z[~ordinary] = draw_low_z_redshifts((~ordinary).sum(), rng=rng, m_limit=limit,
                                                z_min=1.0)
        else:
            z = np.where(kind == 'ordinary', rng.uniform(0.05, Z_BOUNDARY, m),
                         rng.uniform(1.0, Z_BOUNDARY, m))
        z = np.minimum(z, Z_BOUNDARY - 1e-3)
        weights = np.zeros((m, len(TEMPLATE_NAMES)))
        av = np.zeros(m)
        for name, families, av_draw in (
                ('ordinary', _STAR_FORMING if sky else _FSPS,
                 lambda k: rng.exponential(0.1 if sky else 0.3, k)),
                ('dusty', _DUSTY_SF, lambda k: rng.uniform(1.0, 3.0, k)),
                ('balmer_break', _QUIESCENT, lambda k: rng.uniform(0.0, 0.5, k))):
            sel = np.flatnonzero(kind == name)
            weights[sel] = mix(sel, families)
            av[sel] = av_draw(len(sel))
        av = np.clip(av, 0, self.grid.av[-1])
        lines = None
        if sky:
            m444 = draw_count_magnitudes(m, rng=rng, m_range=self._f444w_range())
            # [OIII] 5007 of z ~ 2 star-forming galaxies (Boyett et al. 2022);
            # quiescent galaxies keep their templates' (absent) lines
            ew = EMISSION_LINE_EW['low_z']
            oiii = ew['oiii_hbeta_ratio'] * np.exp(rng.normal(ew['mu'], ew['sigma_ln'], m))
            lines = self._draw_extra_lines(weights, oiii, ew['halpha_ratio'])
            for group in lines:
                lines[group][kind == 'balmer_break'] = 0.0
        else:
            m444 = rng.uniform(*self._f444w_range(), m)
        flux = self._galaxy_fluxes(weights, av, z, ('F444W', mag_to_njy(m444)), lines=lines)
        self._store_galaxies(cols, idx, z=z, kind=kind, weights=weights, av=av,
                             flux=flux)
        compact = np.where(kind == 'balmer_break', 0.5, 1.0)
        n_med = np.where(kind == 'balmer_break', 3.0, 1.2)
        self._morphology(idx, cols, z, n_med, compact=compact)

    def _draw_high_z(self, idx, cols):
        """
        Galaxies at z >= 4: young star-forming, some evolved at z < 7.

        ``'balanced'``: 15% evolved; young galaxies uniform in
        4 <= z < 15 and -22.5 < M_UV < -17. ``'sky'``: evolved at their
        published share (`SKY_EVOLVED_HIGH_Z_SHARE`) with F444W from the
        number counts; young galaxies from the UV luminosity function at
        this depth, with [OIII]+Hbeta and Halpha as strong as observed at
        z > 6 (`EMISSION_LINE_EW`).
        """
        rng = self.rng
        m = len(idx)
        sky = self.population == 'sky'
        evolved_share = SKY_EVOLVED_HIGH_Z_SHARE if sky else 0.15
        kind = np.where(rng.uniform(size=m) < evolved_share, 'evolved', 'young')
        z = np.where(kind == 'evolved', rng.uniform(Z_BOUNDARY, 7.0, m),
                     rng.uniform(Z_BOUNDARY, 15.0, m))
        muv = rng.uniform(-22.5, -17.0, m)
        if sky:
            # young galaxies as a field at this depth has them: the UV
            # luminosity function down to the depth of the band near 1500 A
            # (F200W, plus 0.3 mag, as the F444W range of the other sources)
            young = kind == 'young'
            z[young], muv[young] = draw_high_z(int(young.sum()), rng=rng,
                                               m_limit=self.depths['F200W'] + 0.3,
                                               z_range=(Z_BOUNDARY, 15.0))
        weights = np.zeros((m, len(TEMPLATE_NAMES)))
        av = np.zeros(m)
        young = np.flatnonzero(kind == 'young')
        evolved = np.flatnonzero(kind == 'evolved')
        # mostly the young, metal-poor LBG template: its beta = -2.5 at no
        # dust leaves room for the bluest observed slopes
        w_erb = rng.uniform(0.6, 1.0, len(young))
        weights[young, _T['erb2010']] = w_erb
        weights[young, _T['fsps_QSF_12_v3_007']] = 1 - w_erb
        weights[evolved] = self._mix(evolved, _EVOLVED)
        av[evolved] = rng.uniform(0.0, 1.0, len(evolved))
        # dust chosen so that the UV slope follows the observed beta(z, M_UV)
        target = np.clip(_uv_slope_mean(z[young], muv[young])
                         + rng.normal(0, 0.3, len(young)), -3.0, -1.0)
        av[young] = self._av_for_beta(weights[young], target)
        lines = None
        if sky:
            ew = EMISSION_LINE_EW['high_z']
            oiii = ew['median'] * np.exp(rng.normal(0.0, ew['sigma_ln'], m))
            lines = self._draw_extra_lines(weights, oiii, ew['halpha_ratio'])
            for group in lines:
                lines[group][evolved] = 0.0
        flux = self._galaxy_fluxes(weights, av, z, muv=muv, lines=lines)
        # evolved galaxies are faint in the UV: normalise them in F444W, over
        # the same range as the low-z galaxies, instead of by M_UV
        if sky:
            m444 = draw_count_magnitudes(len(evolved), rng=rng, m_range=self._f444w_range())
        else:
            m444 = rng.uniform(*self._f444w_range(), len(evolved))
        flux[evolved] = self._galaxy_fluxes(weights[evolved], av[evolved], z[evolved],
                                            ('F444W', mag_to_njy(m444)))
        muv[evolved] = np.nan
        self._store_galaxies(cols, idx, z=z, kind=kind, weights=weights, av=av,
                             flux=flux)
        cols['muv'][idx] = muv
        self._morphology(idx, cols, z, np.where(kind == 'evolved', 2.5, 1.3),
                         n_sigma=0.4)

    def _store_galaxies(self, cols, idx, *, z, kind, weights, av, flux):
        cols['redshift'][idx] = z
        cols['kind'][idx] = kind
        cols['template'][idx] = np.array(TEMPLATE_NAMES)[weights.argmax(1)]
        cols['av'][idx] = av
        cols['beta'][idx] = self.grid.beta_of(weights, av)
        cols['flux'][idx] = flux

    def _av_for_beta(self, weights, target):
        grid_av = self.grid.av
        betas = np.stack([self.grid.beta_of(weights, np.full(len(weights), a))
                          for a in grid_av], axis=1)          # increasing in Av
        av = np.empty(len(weights))
        for i in range(len(weights)):
            av[i] = np.interp(target[i], betas[i], grid_av, left=0.0,
                              right=grid_av[-1])
        return av

    def _draw_brown_dwarfs(self, idx, cols):
        """T and Y dwarfs: model colours, extra long-wave reddening, point sources."""
        rng = self.rng
        m = len(idx)
        bd = self.brown_dwarfs
        families = np.unique(bd.grid)

        def pick(k):
            family = rng.choice(families, size=k)
            rows = np.empty(k, int)
            for fam in families:
                sel = np.flatnonzero(family == fam)
                rows[sel] = rng.choice(np.flatnonzero(bd.grid == fam), size=len(sel))
            return rows

        def model_colours(rows):
            colours = bd.colours[rows] + rng.normal(0, 0.05, (len(rows), len(self.bands)))
            colours[:, self.bands.index('F444W')] = 0.0
            # observed dwarfs are up to ~1 mag redder in F356W-F444W (Holwerda+23)
            colours[:, self.bands.index('F356W')] += rng.uniform(0, 1.0, len(rows))
            return colours

        grids = [np.unique(bd.teff[bd.grid == fam]) for fam in families]

        def pick_by_volume(k):
            # the sky's mix: Teff from the space densities of the solar
            # neighbourhood, then one of the families whose grid covers it,
            # then one of its models at the nearest grid temperature
            teff = draw_brown_dwarf_teff(k, rng=rng, teff_range=(bd.teff.min(), bd.teff.max()))
            covers = np.stack([(teff >= g[0]) & (teff <= g[-1]) for g in grids], axis=1)
            nth = np.floor(rng.uniform(0, 1, k) * covers.sum(axis=1)).astype(int)
            family = np.argmax(np.cumsum(covers, axis=1) > nth[:, None], axis=1)
            rows = np.empty(k, int)
            for f, (fam, grid) in enumerate(zip(families, grids, strict=True)):
                mine = np.flatnonzero(family == f)
                j = np.clip(np.searchsorted(grid, teff[mine]), 1, len(grid) - 1)
                nearest = np.where(teff[mine] - grid[j - 1] <= grid[j] - teff[mine],
                                   grid[j - 1], grid[j])
                for value in np.unique(nearest):
                    these = mine[nearest == value]
                    pool = np.flatnonzero((bd.grid == fam) & (bd.teff == value))
                    rows[these] = rng.choice(pool, size=len(these))
            return rows

        limit = self._f444w_range()[1]
        if self.population == 'sky':
            pick = pick_by_volume
        rows = pick(m)
        if self.population == 'sky':
            # a model and a distance along the line of sight (thin and
            # thick disc) together, drawn again until the dwarf is above
            # the F444W limit: a magnitude-limited field favours the
            # luminous (warmer) dwarfs, seen out to larger distances
            scatter = BROWN_DWARF_DISC['scatter']
            m444 = np.full(m, np.inf)
            for _ in range(1000):
                redo = np.flatnonzero(m444 > limit)
                if not len(redo):
                    break
                rows[redo] = pick(len(redo))
                m444[redo] = (brown_dwarf_absolute_f444w(bd.teff[rows[redo]])
                              + 5 * np.log10(draw_brown_dwarf_distances(len(redo), rng=rng) / 10)
                              + rng.normal(0, scatter, len(redo)))
            m444 = np.minimum(m444, limit)
            colours = model_colours(rows)
        else:
            colours = model_colours(rows)
            m444 = rng.uniform(22.5, limit, m)
        cols['kind'][idx] = 'dwarf'
        cols['template'][idx] = bd.grid[rows]
        cols['teff'][idx] = bd.teff[rows]
        cols['flux'][idx] = mag_to_njy(m444[:, None] + colours)

    # -- rendering -------------------------------------------------------------

    def _psf_sigma_px(self, pixel_scale):
        return np.array([PSF_FWHM[b].to_value(u.arcsec) * _FWHM_TO_SIGMA / pixel_scale
                         for b in self.bands], dtype=np.float32)

    def _source_arrays(self, truth):
        """Per-source numbers the renderer needs, as plain arrays."""
        return {
            're': np.asarray(truth['re'].to_value(u.arcsec), float),
            'n': np.asarray(truth['sersic_n'], float),
            'q': np.asarray(truth['axis_ratio'], float),
            'theta': np.asarray(truth['theta'].to_value(u.rad), float),
            'flux': np.stack([np.asarray(truth[f'flux_{b}'].to_value(u.nJy))
                              for b in self.bands], axis=1).astype(np.float32),
        }

    def _spectra(self, src, idx, offsets, pixel_scale, p):
        """
        Discrete Fourier transforms (len(idx), bands, p, p//2+1) of the
        noiseless, pixel-integrated images.

        The DFT of a sampled image is the continuous transform summed over
        its aliases k + m. The PSF, pixel response and position phase are
        separable in x and y, so for point sources the alias sums are exact
        1-D sums (m = -1, 0, 1). For galaxies smaller than 3 pixels the
        nearest alias in each direction is added; larger galaxies have no
        power beyond the Nyquist frequency. Without the aliases an
        undersampled source (F090W on 0.03" pixels) would ring.
        """
        m = len(idx)
        kyp = np.fft.fftfreq(p)
        kxp = np.fft.rfftfreq(p)
        centre = (p - 1) / 2
        cx = torch.from_numpy((centre + offsets[:, 0]).astype(np.float32))
        cy = torch.from_numpy((centre + offsets[:, 1]).astype(np.float32))
        psf2 = torch.from_numpy(self._psf_sigma_px(pixel_scale) ** 2)[None, :, None]
        flux = torch.from_numpy(src['flux'][idx])[:, :, None]

        def axis(k, c, rows):
            """PSF x pixel x phase along one axis at frequencies k: (len(rows), bands, len(k))."""
            k = torch.from_numpy(np.asarray(k, np.float32))[None, None, :]
            return (torch.exp(-2 * math.pi ** 2 * psf2 * k ** 2) * torch.sinc(k)
                    * torch.exp(-2j * math.pi * c[rows][:, None, None] * k))

        re_px = src['re'][idx] / pixel_scale
        point = re_px <= 0
        compact = ~point & (re_px < 3)
        spec = torch.empty((m, len(self.bands), p, p // 2 + 1), dtype=torch.complex64)
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
            profile = self._profile(src, idx[r.numpy()], re_px[r.numpy()], ax, ay)
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

    def _profile(self, src, idx, re_px, kx, ky):
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

    def _images(self, truth, offsets, pixel_scale, size, *, noise, progress=False):
        """Images (N, bands, size, size), with sky noise added in Fourier space."""
        n = len(truth)
        bar = progress_bar(total=n, progress=progress, unit='cutout', desc='simulating')
        src = self._source_arrays(truth)
        images = np.empty((n, len(self.bands), size, size), dtype=np.float32)
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
                spec = self._spectra(src, idx, offsets[idx], pixel_scale, p)
                if noise and not self.source_noise:
                    self._add_noise_spectra(spec, pixel_scale, p)
                if len(local) == len(rows) and p == size:
                    torch.fft.irfft2(spec, s=(p, p), out=torch.from_numpy(out))
                    continue
                img = torch.fft.irfft2(spec, s=(p, p)).numpy()
                lo = (p - size) // 2
                out[local] = img[..., lo:lo + size, lo:lo + size]
            if noise and self.source_noise:
                self._add_noise_real(out, pixel_scale)
        bar.close()
        return images

    def _noise_spectra(self, m, pixel_scale, p):
        """Fourier transforms of correlated sky noise for ``m`` cutouts."""
        z = self._randn((m, len(self.bands), p, p // 2 + 1, 2))
        return torch.view_as_complex(z.mul_(self._noise_amplitude(pixel_scale, p)))

    def _noise_amplitude(self, pixel_scale, p):
        """
        Amplitude of the real and imaginary parts of the noise spectra.

        ``(1, bands, p, p // 2 + 1, 2)``, contiguous in its last axis
        (broadcasting over that axis of two is several times slower).
        """
        scale, kernel = self._noise_fourier(pixel_scale, p)
        return (scale * kernel)[None, :, :, :, None].expand(-1, -1, -1, -1, 2).contiguous()

    def _add_noise_spectra(self, spec, pixel_scale, p):
        """Add correlated sky noise to the spectra ``spec``, in place."""
        z = self._randn((len(spec), len(self.bands), p, p // 2 + 1, 2))
        torch.view_as_real(spec).addcmul_(z, self._noise_amplitude(pixel_scale, p))

    def _randn(self, shape):
        """
        Standard normal float32 draws of ``shape``, in `RANDN_STREAMS` streams.

        Torch draws normals on one thread per generator; the streams (seeded
        from the simulator's generator) fill slices of the first axis in
        parallel threads, so that the draws depend on the seed only, not on
        the machine's threads.
        """
        out = torch.empty(shape)
        seeds = torch.randint(2**62, (RANDN_STREAMS,), generator=self._torch_gen).tolist()
        parts = [part for part in torch.tensor_split(out, RANDN_STREAMS) if part.numel()]

        def fill(i):
            parts[i].normal_(generator=torch.Generator().manual_seed(seeds[i]))

        if out.numel() < 1 << 20 or torch.get_num_threads() < 2:
            for i in range(len(parts)):
                fill(i)
        else:
            list(_randn_pool().map(fill, range(len(parts))))
        return out

    def _noise_fourier(self, pixel_scale, p):
        """Per-band amplitude and correlation kernel of the noise spectra."""
        measured, kernel = _unit_noise(self.bands, pixel_scale, p)
        target = np.array([self.sigma_aperture[b] for b in self.bands])
        scale = torch.from_numpy((target / measured).astype(np.float32))[:, None, None]
        return scale, kernel

    def _add_noise_real(self, images, pixel_scale):
        """Sky noise plus the sources' Poisson noise (Gaussian), in real space."""
        m, _, size, _ = images.shape
        sky = scipy.fft.irfft2(self._noise_spectra(m, pixel_scale, size).numpy(),
                               s=(size, size), workers=2)
        var = np.clip(images, 0, None) / self._electrons_per_njy()[None, :, None, None]
        images += sky + np.sqrt(var) * self._randn(images.shape).numpy()

    def noise(self, n):
        """
        Blank cutouts: the sky noise of the survey, without sources.

        The same correlated noise as `sample` adds (its depth, its drizzle
        kernel); useful as empty apertures or as a background on which to
        place sources the simulator does not make (see
        `~astro_galclass.simulate.inject_artifacts`).

        Parameters
        ----------
        n : int
            Number of cutouts.

        Returns
        -------
        cutouts : `~astropy.units.Quantity`
            ``(n, 7, cutout_size, cutout_size)`` in nJy per pixel.

        Examples
        --------
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> NIRCamSimulator(seed=1).noise(3).shape
        (3, 7, 64, 64)
        """
        size = self.cutout_size
        pixel_scale = self.pixel_scale.value
        sky = scipy.fft.irfft2(self._noise_spectra(int(n), pixel_scale, size).numpy(),
                               s=(size, size), workers=2)
        return u.Quantity(sky.astype(np.float32), u.nJy, copy=False)

    def render(self, truth, *, pixel_scale=None, size=None, offsets=None):
        """
        Noiseless images of the sources of ``truth`` (from `draw_sources`).

        Parameters
        ----------
        truth : `~astropy.table.QTable`
        pixel_scale : `~astropy.units.Quantity`, optional
            Default: the simulator's ``pixel_scale``.
        size : int, optional
            Default: the simulator's ``cutout_size``.
        offsets : `~numpy.ndarray`, optional
            ``(N, 2)`` offsets (x, y) in pixels of each source from the image
            centre ``((size - 1) / 2, (size - 1) / 2)``.

        Returns
        -------
        images : `~numpy.ndarray`
            ``(N, n_bands, size, size)`` float32 in nJy per pixel.
        """
        scale = (self.pixel_scale if pixel_scale is None
                 else u.Quantity(pixel_scale).to(u.arcsec / u.pix)).value
        size = self.cutout_size if size is None else int(size)
        offsets = (np.zeros((len(truth), 2)) if offsets is None
                   else np.asarray(offsets, float))
        return self._images(truth, offsets, scale, size, noise=False)

    def _aperture_fraction(self, truth, pixel_scale):
        """Fraction of each source's flux in the r = 0.16" aperture, per band."""
        r_ap = APERTURE_RADIUS / pixel_scale
        psf2 = self._psf_sigma_px(pixel_scale).astype(float) ** 2
        re_px = np.asarray(truth['re'].to_value(u.arcsec)) / pixel_scale
        n_s = np.asarray(truth['sersic_n'])
        q = np.asarray(truth['axis_ratio'])
        frac = np.empty((len(truth), len(self.bands)))
        amps = np.zeros((len(truth), len(MOG_SIGMAS)))
        gal = re_px > 0
        if gal.any():
            amps[gal] = sersic_mog(n_s[gal])
        s2 = (MOG_SIGMAS[None, :] * re_px[:, None]) ** 2 * q[:, None]     # (N, K)
        for b in range(len(self.bands)):
            total = s2 + psf2[b] + 1 / 12
            ee = 1 - np.exp(-r_ap ** 2 / (2 * total))
            point = 1 - np.exp(-r_ap ** 2 / (2 * (psf2[b] + 1 / 12)))
            frac[:, b] = np.where(gal, np.sum(amps * ee, axis=1), point)
        return frac

    def _electrons_per_njy(self):
        """
        Detected electrons per nJy of source flux, per band.

        Gains g (e-/s/nJy) and the planned JADES deep exposure times of
        Hainline's JADES noise model, scaled to this simulator's depths with
        depth = d0 + 1.25 log10(t / t0).
        """
        gain = np.array([0.0268, 0.0297, 0.0392, 0.0452, 0.0375, 0.0433, 0.0379])
        t_deep = np.array([60500, 80800, 59300, 38800, 49100, 38800, 60500.0])
        deep = resolve_depths('jades-deep', NIRCAM_BANDS)
        shift = np.array([self.depths[b] - deep[b] for b in NIRCAM_BANDS])
        return gain * t_deep * 10 ** (shift / 1.25)

    # -- public products -----------------------------------------------------------

    def sample(self, n, *, progress=None):
        """
        Draw ``n`` sources and their noisy cutouts.

        Parameters
        ----------
        n : int
            Number of sources (non-negative).
        progress : bool or None, optional
            Show a progress bar on stderr when it is a terminal; None (the
            default) shows one for draws of 10,000 sources or more. It never
            changes the random draws.

        Returns
        -------
        cutouts : `~astropy.units.Quantity`
            ``(n, 7, cutout_size, cutout_size)`` in nJy per pixel at
            ``pixel_scale``, source at the centre (within
            ``position_jitter``), north up.
        truth : `~astropy.table.QTable`
            The columns of `draw_sources`, plus ``dx``, ``dy`` (source
            offset from the centre, pixels) and ``snr_<band>`` (S/N of the
            noiseless source flux in an r = 0.16" aperture).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            msg = f'n must be a non-negative int, got {n!r}'
            raise ValueError(msg)
        truth = self.draw_sources(n)
        offsets = self.rng.normal(0, self.position_jitter, (n, 2)) \
            if self.position_jitter > 0 else np.zeros((n, 2))
        scale = self.pixel_scale.value
        show = n >= 10000 if progress is None else progress
        images = self._images(truth, offsets, scale, self.cutout_size, noise=True,
                              progress=show)
        truth['dx'] = offsets[:, 0] * u.pix
        truth['dy'] = offsets[:, 1] * u.pix
        self._add_snr(truth, scale)
        return u.Quantity(images, u.nJy, copy=False), truth

    def _add_snr(self, truth, pixel_scale):
        frac = self._aperture_fraction(truth, pixel_scale)
        for i, band in enumerate(self.bands):
            flux = np.asarray(truth[f'flux_{band}'].to_value(u.nJy))
            truth[f'snr_{band}'] = flux * frac[:, i] / self.sigma_aperture[band]

    def make_field(self, n_sources=500, shape=(2000, 2000), *, nan_border=True,
                   center=_FIELD_CENTER):
        """
        Seven mosaics at the native NIRCam pixel scales, and the truth catalog.

        Parameters
        ----------
        n_sources : int, optional
            Sources placed uniformly over the field, some near or beyond the
            edges of the observed footprint.
        shape : tuple of int, optional
            ``(ny, nx)`` of the short-wave mosaics (0.031"/pix); the
            long-wave mosaics (0.063"/pix) cover the same area.
        nan_border : bool, optional
            Mark pixels outside a rotated, slightly different footprint per
            channel as NaN, as in real mosaics.
        center : `~astropy.coordinates.SkyCoord`, optional
            Field centre (default in GOODS-South).

        Returns
        -------
        images : dict
            Band -> `~astropy.nddata.NDData` in MJy/sr with a TAN WCS.
        catalog : `~astropy.table.QTable`
            ``id``, ``sky_centroid`` and the columns of `draw_sources`, plus
            ``snr_<band>`` at the cutout scale.
        """
        rng = self.rng
        ny, nx = (int(s) for s in shape)
        sw_scale = NATIVE_PIXEL_SCALE['F090W'].value
        width, height = nx * sw_scale, ny * sw_scale          # arcsec
        truth = self.draw_sources(n_sources)
        east = rng.uniform(-0.5, 0.5, n_sources) * width
        north = rng.uniform(-0.5, 0.5, n_sources) * height
        positions = center.spherical_offsets_by(east * u.arcsec, north * u.arcsec)
        catalog = QTable({'id': np.arange(1, n_sources + 1), 'sky_centroid': positions})
        for name in truth.colnames:
            catalog[name] = truth[name]
        self._add_snr(catalog, self.pixel_scale.value)

        images = {}
        stamp = 64
        short = [b for b in self.bands if b not in LONG_WAVE_BANDS]
        long_ = [b for b in self.bands if b in LONG_WAVE_BANDS]
        for bands in (short, long_):
            scale = NATIVE_PIXEL_SCALE[bands[0]].value
            shape_c = (round(height / scale), round(width / scale))
            wcs = make_tan_wcs(center, scale * u.arcsec / u.pix, shape_c)
            x, y = wcs.world_to_pixel(positions)
            ox = np.floor(x).astype(int) - stamp // 2 + 1
            oy = np.floor(y).astype(int) - stamp // 2 + 1
            offsets = np.stack([x - ox - (stamp - 1) / 2, y - oy - (stamp - 1) / 2], axis=1)
            stamps = self.render(truth, pixel_scale=scale * u.arcsec / u.pix,
                                 size=stamp, offsets=offsets)
            footprint = self._footprint(shape_c, rng) if nan_border else None
            for band in bands:
                b = self.bands.index(band)
                image = np.zeros(shape_c, dtype=np.float64)
                _paste(image, stamps[:, b], ox, oy)
                sigma = self.sigma_aperture[band] / np.sqrt(
                    np.pi * (APERTURE_RADIUS / scale) ** 2)
                noise = sigma * rng.standard_normal(shape_c)
                if self.source_noise:
                    noise += np.sqrt(np.clip(image, 0, None)
                                     / self._electrons_per_njy()[b]) \
                        * rng.standard_normal(shape_c)
                image += noise
                if footprint is not None:
                    image[~footprint] = np.nan
                pixel_area = (scale * u.arcsec) ** 2
                data = (image * u.nJy / pixel_area).to_value(u.MJy / u.sr)
                images[band] = NDData(data.astype(np.float32), wcs=wcs.deepcopy(),
                                      unit=u.MJy / u.sr)
        return images, catalog

    @staticmethod
    def _footprint(shape, rng):
        """A rotated rectangle covering most of the array: True where observed."""
        ny, nx = shape
        yy, xx = np.mgrid[:ny, :nx]
        angle = np.deg2rad(rng.uniform(10, 25))
        cx, cy = (nx - 1) / 2 + rng.normal(0, 0.01 * nx), (ny - 1) / 2 + rng.normal(0, 0.01 * ny)
        u_ = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v_ = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        half = 0.5 * min(nx, ny) * 0.82
        return (np.abs(u_) < half) & (np.abs(v_) < half)


def _paste(image, stamps, ox, oy):
    """Add ``stamps`` (N, s, s) into ``image`` at lower-left corners ox, oy."""
    s = stamps.shape[1]
    ny, nx = image.shape
    rows = oy[:, None, None] + np.arange(s)[None, :, None]
    cols = ox[:, None, None] + np.arange(s)[None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    np.add.at(image, (rows[inside], cols[inside]), stamps[inside])
