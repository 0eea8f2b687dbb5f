# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The sources of `~astro_galclass.simulate.NIRCamSimulator`: class, redshift,
spectrum, fluxes and shape of low-z galaxies, z >= 4 galaxies and brown
dwarfs, drawn from the simulator's random generator.

The published statistics behind the ``'sky'`` population are in
`astro_galclass.simulate.population`; the spectra in
`astro_galclass.simulate.sed`.
"""

import functools

import astropy.units as u
import numpy as np
from astropy.cosmology import Planck18
from astropy.table import QTable

from astro_galclass.nircam import HIGHZ_CLASSES, Z_BOUNDARY, mag_to_njy, njy_to_mag
from astro_galclass.simulate.population import (
    BROWN_DWARF_DISC,
    EMISSION_LINE_EW,
    SKY_EVOLVED_HIGH_Z_SHARE,
    brown_dwarf_absolute_f444w,
    draw_brown_dwarf_distances,
    draw_brown_dwarf_teff,
    draw_count_magnitudes,
    draw_high_z,
    galaxy_counts,
    sky_class_fractions,
)
from astro_galclass.simulate.population_lowz import (
    draw_redshifts_given_magnitude,
    low_z_size_kpc,
    redshift_statistics,
)
from astro_galclass.simulate.population_lrd import (
    LITTLE_RED_DOT_SED,
    LITTLE_RED_DOT_SIZE,
    draw_little_red_dot_magnitudes,
    draw_little_red_dot_redshifts,
    little_red_dot_band_fluxes,
)
from astro_galclass.simulate.population_spectra import (
    draw_dusty_av,
    draw_line_ews,
    sky_low_z_kind_shares,
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

__all__ = ['SKY_LOW_Z_BRIGHTEST', 'SKY_LOW_Z_KINDS', 'SourceDrawer', 'brown_dwarf_colours',
           'photometry_grid']

_T = {name: i for i, name in enumerate(TEMPLATE_NAMES)}

# template families (indices into TEMPLATE_NAMES)
_FSPS = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in range(1, 13)]
_QUIESCENT = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in range(1, 7)] + [_T['post_starburst']]
_DUSTY_SF = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (10, 11, 12)]
_EVOLVED = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (3, 4)] + [_T['post_starburst']]
# star-forming templates with little to moderate dust of their own (the
# template headers: sSFR ~ 4e-9 / yr, A_V = 0.07-0.8)
_STAR_FORMING = [_T[f'fsps_QSF_12_v3_{i:03d}'] for i in (7, 8, 9)]



#: Shares of the low-z kinds with ``population='sky'`` before issue 31, kept
#: for reference: the sky population now draws the shares of
#: `_sky_low_z_shares`, the published fractions of 1 < z < 4 galaxies
#: (`~astro_galclass.simulate.population_spectra.LOW_Z_RED_KINDS`).
SKY_LOW_Z_KINDS = {'ordinary': 0.85, 'dusty': 0.07, 'balmer_break': 0.08}

#: Brightest F444W (AB) of the sky's z < 4 galaxies: about 140 galaxies per
#: square degree are brighter in `~astro_galclass.simulate.population.galaxy_counts`
#: (about 50 by the K_s counts of McCracken et al. 2010), one in ~25,000
#: cutouts of 1.92".
SKY_LOW_Z_BRIGHTEST = 16.0


@functools.lru_cache(maxsize=8)
def _sky_low_z_shares(m_limit):
    """
    Kind shares for the sky's low-z draws at F444W limit ``m_limit``.

    The red kinds are drawn at z >= 1 only, so their shares of all draws
    are their fractions of 1 < z < 4 galaxies scaled by the share at z >= 1
    of the z < 4 galaxies between F444W = `SKY_LOW_Z_BRIGHTEST` and
    ``m_limit`` (`~astro_galclass.simulate.population_lowz.redshift_statistics`
    with the magnitudes weighted as drawn; computed, no random draws).
    """
    above = redshift_statistics(m_limit, m_bright=SKY_LOW_Z_BRIGHTEST, z_max=Z_BOUNDARY,
                                counts=galaxy_counts)['above_1']
    return sky_low_z_kind_shares(float(above))


@functools.cache
def photometry_grid():
    """The shared `~astro_galclass.simulate.sed.PhotometryGrid` (built once)."""
    return PhotometryGrid()


@functools.cache
def brown_dwarf_colours():
    """The shared `~astro_galclass.simulate.sed.BrownDwarfColours` (read once)."""
    return BrownDwarfColours()


@functools.cache
def _optical_to_uv():
    """f_nu(5500 A) / f_nu(1500 A) of each template (their own dust only)."""
    return np.array([np.interp(5500.0, *load_template(name)) for name in TEMPLATE_NAMES])


@functools.lru_cache(maxsize=32)
def _little_red_dot_shares(galaxy_limit, uv_limit):
    """Shares of the ``low_z`` and ``high_z`` classes that are little red dots."""
    density = sky_class_fractions(galaxy_limit=galaxy_limit, uv_limit=uv_limit)['density']
    return {cls: density[f'little_red_dot_{cls}'] / max(density[cls], 1e-30)
            for cls in ('low_z', 'high_z')}


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


class SourceDrawer:
    """
    Draws the physical properties of sources, for
    `~astro_galclass.simulate.NIRCamSimulator.draw_sources`.

    Parameters
    ----------
    rng : `numpy.random.Generator`
        The simulator's generator; every draw comes from it, in a fixed order.
    population : {'balanced', 'sky'}
        How sources are drawn (see `~astro_galclass.simulate.NIRCamSimulator`).
    depths : dict
        Band -> 5-sigma depth (AB, r = 0.16" aperture).
    bands : tuple of str
        The NIRCam bands, in the order of the flux columns.
    grid : `~astro_galclass.simulate.sed.PhotometryGrid`
        Band fluxes of the galaxy templates.
    brown_dwarfs : `~astro_galclass.simulate.sed.BrownDwarfColours`
        Colours of the brown-dwarf models.
    """

    def __init__(self, rng, *, population, depths, bands, grid, brown_dwarfs):
        self.rng = rng
        self.population = population
        self.depths = depths
        self.bands = bands
        self.grid = grid
        self.brown_dwarfs = brown_dwarfs

    def draw(self, n, class_fractions):
        """
        Draw the physical properties of ``n`` sources.

        Parameters
        ----------
        n : int
            Number of sources.
        class_fractions : dict
            Class -> fraction of sources, summing to 1.

        Returns
        -------
        truth : `~astropy.table.QTable`
            The columns of `~astro_galclass.simulate.NIRCamSimulator.draw_sources`.
        """
        n = int(n)
        rng = self.rng
        labels = rng.choice(len(HIGHZ_CLASSES), size=n,
                            p=[class_fractions[c] for c in HIGHZ_CLASSES])
        cols = {
            'class': np.array(HIGHZ_CLASSES)[labels] if n else np.zeros(0, 'U11'),
            'redshift': np.full(n, np.nan), 'kind': np.full(n, '', dtype='U14'),
            'template': np.full(n, '', dtype='U20'), 'av': np.zeros(n),
            'beta': np.full(n, np.nan), 'muv': np.full(n, np.nan),
            'teff': np.full(n, np.nan), 're': np.zeros(n),
            'sersic_n': np.full(n, np.nan), 'axis_ratio': np.ones(n),
            'theta': np.zeros(n), 'flux': np.zeros((n, len(self.bands))),
        }
        # 'sky': a share of the galaxies of each class are little red dots
        lrd = self._pick_little_red_dots(labels)
        for label, draw in enumerate((self._draw_low_z, self._draw_high_z,
                                      self._draw_brown_dwarfs)):
            idx = np.flatnonzero((labels == label) & ~lrd)
            if len(idx):
                draw(idx, cols)
        if lrd.any():
            self._draw_little_red_dots(np.flatnonzero(lrd), cols, labels)

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

    def _high_z_lines(self, weights, z):
        """
        Extra equivalent widths of z >= 4 galaxies: Halpha and [OIII]+Hbeta
        each from its own published relation with redshift
        (`~astro_galclass.simulate.population_spectra.draw_line_ews`).

        The extra width is the drawn one less the templates' own, negative
        where the templates' lines are stronger (the young template's own
        Halpha, 400 A, is above the median at z ~ 4-5): the total is the
        drawn width, its distribution the published one, not floored at the
        templates'.
        """
        target = draw_line_ews(z, rng=self.rng)
        own = self._own_line_ew(weights)
        return {g: target[g] - own[g] for g in ('oiii_hbeta', 'halpha')}

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

    def _sky_low_z_range(self):
        """
        F444W range of the sky's z < 4 galaxies: from 16 (a few per square
        degree brighter, `~astro_galclass.simulate.population.galaxy_counts`)
        to the depth plus 0.3 mag.
        """
        return SKY_LOW_Z_BRIGHTEST, self._f444w_range()[1]

    def _sky_low_z_redshifts(self, m444, kind):
        """
        Redshifts of the sky's z < 4 galaxies from their F444W magnitudes
        (`~astro_galclass.simulate.population_lowz.draw_redshifts_given_magnitude`);
        Balmer-break and dusty ones, the interlopers of dropout selections,
        at z >= 1 as before.
        """
        z_min = np.where(kind == 'ordinary', 0.01, 1.0)
        z = np.empty(len(m444))
        for lo in np.unique(z_min):
            sel = z_min == lo
            z[sel] = draw_redshifts_given_magnitude(m444[sel], rng=self.rng, z_min=lo,
                                                    z_max=Z_BOUNDARY)
        return z

    def _sky_low_z_sizes(self, idx, cols, m444, z, kind):
        """
        Half-light radii of the sky's z < 4 galaxies from the size-mass
        relation (`~astro_galclass.simulate.population_lowz.low_z_size_kpc`):
        a bright low-z galaxy is larger than the 1.92" cutout, as on the sky.
        """
        r_kpc = low_z_size_kpc(m444, z, early=kind == 'balmer_break', rng=self.rng)
        scale = Planck18.arcsec_per_kpc_proper(np.maximum(z, 0.02)).value
        cols['re'][idx] = np.clip(r_kpc * scale, 0.005, 5.0)

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
        uniform. ``'sky'``: quiescent (``'balmer_break'``) and dusty
        star-forming galaxies at their published fractions of 1 < z < 4
        galaxies (`_sky_low_z_shares`), the dusty ones on the star-forming
        templates with the published tail of A_V
        (`~astro_galclass.simulate.population_spectra.LOW_Z_RED_KINDS`), ordinary
        galaxies from the star-forming templates, templates mixed by 5500 A
        light, F444W magnitudes from the number counts from F444W = 16
        (`~astro_galclass.simulate.population.draw_count_magnitudes`),
        redshifts from each magnitude and sizes from the size-mass relation
        (`~astro_galclass.simulate.population_lowz`), and
        emission lines as strong as those of z ~ 2 galaxies (`EMISSION_LINE_EW`).
        """
        rng = self.rng
        m = len(idx)
        sky = self.population == 'sky'
        shares = (_sky_low_z_shares(float(self._f444w_range()[1])) if sky
                  else {'ordinary': 0.6, 'dusty': 0.2, 'balmer_break': 0.2})
        mix = self._mix_optical if sky else self._mix
        kind = rng.choice(list(shares), size=m, p=list(shares.values()))
        if sky:
            z = np.full(m, np.nan)          # drawn below, from each galaxy's magnitude
        else:
            z = np.where(kind == 'ordinary', rng.uniform(0.05, Z_BOUNDARY, m),
                         rng.uniform(1.0, Z_BOUNDARY, m))
        z = np.minimum(z, Z_BOUNDARY - 1e-3)
        weights = np.zeros((m, len(TEMPLATE_NAMES)))
        av = np.zeros(m)
        for name, families, av_draw in (
                ('ordinary', _STAR_FORMING if sky else _FSPS,
                 lambda k: rng.exponential(0.1 if sky else 0.3, k)),
                # sky: star-forming templates with a published dusty tail of
                # A_V (the _DUSTY_SF templates carry A_V 1.4-2.9 of their own)
                ('dusty', _STAR_FORMING if sky else _DUSTY_SF,
                 (lambda k: draw_dusty_av(k, rng=rng)) if sky
                 else (lambda k: rng.uniform(1.0, 3.0, k))),
                ('balmer_break', _QUIESCENT, lambda k: rng.uniform(0.0, 0.5, k))):
            sel = np.flatnonzero(kind == name)
            weights[sel] = mix(sel, families)
            av[sel] = av_draw(len(sel))
        av = np.clip(av, 0, self.grid.av[-1])
        lines = None
        if sky:
            m444 = draw_count_magnitudes(m, rng=rng, m_range=self._sky_low_z_range())
            # [OIII] 5007 of z ~ 2 star-forming galaxies (Boyett et al. 2022);
            # quiescent galaxies keep their templates' (absent) lines
            ew = EMISSION_LINE_EW['low_z']
            oiii = ew['oiii_hbeta_ratio'] * np.exp(rng.normal(ew['mu'], ew['sigma_ln'], m))
            lines = self._draw_extra_lines(weights, oiii, ew['halpha_ratio'])
            for group in lines:
                lines[group][kind == 'balmer_break'] = 0.0
        else:
            m444 = rng.uniform(*self._f444w_range(), m)
        if sky:
            z = self._sky_low_z_redshifts(m444, kind)
        flux = self._galaxy_fluxes(weights, av, z, ('F444W', mag_to_njy(m444)), lines=lines)
        self._store_galaxies(cols, idx, z=z, kind=kind, weights=weights, av=av,
                             flux=flux)
        compact = np.where(kind == 'balmer_break', 0.5, 1.0)
        n_med = np.where(kind == 'balmer_break', 3.0, 1.2)
        self._morphology(idx, cols, z, n_med, compact=compact)
        if sky:
            self._sky_low_z_sizes(idx, cols, m444, z, kind)

    def _draw_high_z(self, idx, cols):
        """
        Galaxies at z >= 4: young star-forming, some evolved at z < 7.

        ``'balanced'``: 15% evolved; young galaxies uniform in
        4 <= z < 15 and -22.5 < M_UV < -17. ``'sky'``: evolved at their
        published share (`SKY_EVOLVED_HIGH_Z_SHARE`) with F444W from the
        number counts; young galaxies from the UV luminosity function at
        this depth, with Halpha and [OIII]+Hbeta as strong as observed at
        their redshift, each line from its own measurements
        (`~astro_galclass.simulate.population_spectra.draw_line_ews`).
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
            lines = self._high_z_lines(weights, z)
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

    def _pick_little_red_dots(self, labels):
        """
        Which sources are little red dots: none with ``'balanced'`` (no
        random draw is made); with ``'sky'``, in each galaxy class their
        share of the class's surface density at this depth
        (`~astro_galclass.simulate.population.sky_class_fractions`).
        """
        lrd = np.zeros(len(labels), bool)
        if self.population != 'sky' or not len(labels):
            return lrd
        shares = _little_red_dot_shares(float(self._f444w_range()[1]),
                                        float(self.depths['F200W'] + 0.3))
        u = self.rng.uniform(size=len(labels))
        for label, cls in enumerate(HIGHZ_CLASSES[:2]):
            lrd |= (labels == label) & (u < shares[cls])
        return lrd

    def _draw_little_red_dots(self, idx, cols, labels):
        """
        Little red dots (``'sky'`` only): compact sources with a V-shaped
        spectrum, their redshifts, F444W magnitudes, slopes, broad Halpha
        and sizes drawn from `~astro_galclass.simulate.population_lrd`;
        z >= 4 in the ``high_z`` class, z < 4 in ``low_z``.
        """
        rng = self.rng
        m = len(idx)
        high = labels[idx] == HIGHZ_CLASSES.index('high_z')
        z = np.empty(m)
        z[high] = draw_little_red_dot_redshifts(high.sum(), rng=rng,
                                                z_range=(Z_BOUNDARY, np.inf))
        z[~high] = draw_little_red_dot_redshifts((~high).sum(), rng=rng,
                                                 z_range=(0.0, Z_BOUNDARY))
        m444 = draw_little_red_dot_magnitudes(m, rng=rng, m_limit=self._f444w_range()[1])
        sed = LITTLE_RED_DOT_SED

        def slope(key):
            mean, sigma, (lo, hi) = sed[key]
            return np.clip(rng.normal(mean, sigma, m), lo, hi)

        beta_uv, beta_opt = slope('beta_uv'), slope('beta_opt')
        median, sigma_ln = sed['halpha_ew']
        ew = median * np.exp(rng.normal(0.0, sigma_ln, m))
        ratio, uv = little_red_dot_band_fluxes(z, beta_uv, beta_opt, ew, bands=self.bands)
        f444 = mag_to_njy(m444)
        cols['redshift'][idx] = z
        cols['kind'][idx] = 'little_red_dot'
        cols['template'][idx] = 'little_red_dot'
        cols['beta'][idx] = beta_uv
        dm = Planck18.distmod(z).value - 2.5 * np.log10(1 + z)
        cols['muv'][idx] = njy_to_mag(f444 * uv) - dm
        cols['flux'][idx] = f444[:, None] * ratio
        size = LITTLE_RED_DOT_SIZE
        r_pc = np.clip(size['median_pc'] * np.exp(rng.normal(0, size['sigma_ln'], m)),
                       *size['range'])
        cols['re'][idx] = r_pc / 1e3 * Planck18.arcsec_per_kpc_proper(z).value
        cols['sersic_n'][idx] = 1.0
        cols['axis_ratio'][idx] = rng.uniform(0.5, 1.0, m)
        cols['theta'][idx] = rng.uniform(0, np.pi, m)

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
