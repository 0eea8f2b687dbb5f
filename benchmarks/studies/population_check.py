# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
How the simulator's ``population='sky'`` compares with ``'balanced'`` (issue 13).

Prints, for both populations at JADES-deep depth:

- the median redshift of young z >= 4 galaxies and their shares at z >= 6
  and z >= 8 (a deep field: z = 4-6 dominates, median about 5);
- the median noise-free F090W-F115W, F115W-F150W and F150W-F444W colours of
  star-forming low-z galaxies at 1 < z < 3 (observed: a few tenths of a
  magnitude, nearly flat f_nu);
- the median redshift of the low-z galaxies and the median F356W-F444W of
  young galaxies at z = 6.9-8 ([OIII]+Hbeta in F444W);
- for each depth preset, the sky's class mix and surface densities
  (``NIRCamSimulator.sky_class_fractions``);
- the sky population's brown dwarfs at JADES-deep and JADES-medium: F444W
  quantiles, the shares brighter than 20 and 16, the median F444W of the
  250-400 K ones, the share below 500 K (Y dwarfs) and, where the simulator
  has `brown_dwarf_absolute_f444w` (since 2026-12-01), the 95th-percentile
  distances of T (>= 500 K) and Y dwarfs. This part reads only the drawn
  catalogue, so the same script run in a checkout of an older commit shows
  the brown dwarfs as they were;
- the model-grid rows with F090W - F115W < -1 (F090W brighter than F115W),
  per grid, and the most negative value;
- the z < 4 galaxies (issue 31, items 1-2): the redshift model
  (``population_lowz``) in K_s against the K20 survey (Cimatti et al. 2002)
  and the COSMOS K_s counts (McCracken et al. 2010); the bright-end count
  slope against McCracken's and Kim et al. (2011)'s; the sky population's
  drawn z < 4 galaxies at F444W < 23 and < 25 (median z, shares at z < 1
  and 3 < z < 4) beside the model's, the share brighter than F444W = 23,
  the brightest, and the sizes of bright nearby ones (van der Wel et al.
  2014);
- issue 31 (``colours_and_lines``): the sky population's quiescent and
  dusty fractions of 1 < z < 4 galaxies, the 90th percentiles of
  F090W-F115W and F115W-F150W there, the Halpha and [OIII]+Hbeta EW
  medians against z, and F356W-F444W and F277W-F356W percentiles of young
  z ~ 4-7 galaxies, each beside its published value. Run in a checkout of
  an older commit (before ``population_spectra``) it prints the colours
  only.
- little red dots (issue 31, item 5): their surface density against the
  published ones (Kokorev et al. 2024, Akins et al. 2024, the JADES
  census), their ratio to brown dwarfs at each depth, the redshift
  distribution, and for drawn ones at JADES-deep the median colours, UV
  slope, M_UV, size and the share passing `little_red_dots` at S/N >= 14.
  Skipped where the simulator has no ``population_lrd`` (older commits).

Run: ``python benchmarks/studies/population_check.py`` (about a minute).
"""

import numpy as np

from astro_galclass.nircam import DEPTH_PRESETS
from astro_galclass.simulate import NIRCamSimulator


def main(n=4000, seed=5):
    for population in ('balanced', 'sky'):
        high = NIRCamSimulator(seed=seed, class_fractions={'high_z': 1},
                               population=population).draw_sources(n)
        z = np.asarray(high['redshift'])[np.asarray(high['kind']) == 'young']
        low = NIRCamSimulator(seed=seed, class_fractions={'low_z': 1},
                              population=population).draw_sources(n)
        zl = np.asarray(low['redshift'])
        sf = (zl > 1) & (zl < 3) & (np.asarray(low['kind']) == 'ordinary')
        mag = {b: np.asarray(low[f'mag_{b}'].value)[sf]
               for b in ('F090W', 'F115W', 'F150W', 'F444W')}
        colours = [np.median(mag[a] - mag[b])
                   for a, b in (('F090W', 'F115W'), ('F115W', 'F150W'), ('F150W', 'F444W'))]
        young = high[np.asarray(high['kind']) == 'young']
        zy = np.asarray(young['redshift'])
        sel = (zy >= 6.9) & (zy < 8.0)
        lines = np.median(young['mag_F356W'].value[sel] - young['mag_F444W'].value[sel])
        print(f'{population:9s} young z>=4: median z {np.median(z):.2f}, '
              f'z>=6 {np.mean(z >= 6):.3f}, z>=8 {np.mean(z >= 8):.3f} ({len(z)} galaxies); '
              f'F356W-F444W at z=6.9-8 {lines:.2f}; low-z median z {np.median(zl):.2f}; '
              f'star-forming 1<z<3 ({sf.sum()}): F090W-F115W {colours[0]:.2f}, '
              f'F115W-F150W {colours[1]:.2f}, F150W-F444W {colours[2]:.2f}')
    for depth in DEPTH_PRESETS:
        f = NIRCamSimulator(depth=depth).sky_class_fractions()
        density = ', '.join(f'{c} {v:.3g}' for c, v in f['density'].items())
        print(f'sky mix at {depth:12s}: low_z {f["low_z"]:.4f}, high_z {f["high_z"]:.4f}, '
              f'brown_dwarf {f["brown_dwarf"]:.2e} (per arcmin^2: {density})')


def brown_dwarfs(n=3000, seed=2):
    try:
        from astro_galclass.simulate.population import brown_dwarf_absolute_f444w
    except ImportError:                      # before the line-of-sight model
        brown_dwarf_absolute_f444w = None
    for depth in ('jades-deep', 'jades-medium'):
        dwarfs = NIRCamSimulator(depth=depth, seed=seed, population='sky',
                                 class_fractions={'brown_dwarf': 1}).draw_sources(n)
        m444 = np.asarray(dwarfs['mag_F444W'].value)
        teff = np.asarray(dwarfs['teff'])
        cold = (teff >= 250) & (teff <= 400)
        line = (f'sky brown dwarfs at {depth:12s}: F444W 5/50/95% '
                f'{np.percentile(m444, 5):.1f} / {np.median(m444):.1f} / '
                f'{np.percentile(m444, 95):.1f}; brighter than 20 {np.mean(m444 < 20):.3f}, '
                f'than 16 {np.mean(m444 < 16):.3f}; 250-400 K median {np.median(m444[cold]):.1f}; '
                f'below 500 K {np.mean(teff < 500):.3f}')
        if brown_dwarf_absolute_f444w is not None:
            distance = 10 ** ((m444 - brown_dwarf_absolute_f444w(teff)) / 5 + 1)
            line += (f'; 95% distance T {np.percentile(distance[teff >= 500], 95):.0f} pc, '
                     f'Y {np.percentile(distance[teff < 500], 95):.0f} pc, '
                     f'5% of all {np.percentile(distance, 5):.0f} pc')
        print(line)
    from astropy.table import Table

    from astro_galclass.simulate import sed

    for name in ('sonora_bobcat', 'low_z', 'sonora_cholla'):
        table = Table.read(sed._DATA / 'brown_dwarfs' / f'{name}_nircam_colours.ecsv')
        table = table[(table['teff'] >= 250) & (table['teff'] <= 1600)]
        blue = table['F090W_minus_F444W'] - table['F115W_minus_F444W']
        odd = blue < -1
        print(f'{name:14s} grid: {odd.sum()} of {len(table)} rows (250-1600 K) with '
              f'F090W - F115W < -1, at Teff {sorted({int(t) for t in table["teff"][odd]})}; '
              f'most negative {np.min(blue):.2f}')


def low_z(n=6000, seed=7):
    try:
        from astro_galclass.simulate.population_lowz import (
            BRIGHT_K_COUNTS,
            K20_REDSHIFTS,
            redshift_distribution,
            redshift_statistics,
        )
    except ImportError:                      # before issue 31
        redshift_statistics = None
    from astro_galclass.simulate.population import galaxy_counts

    if redshift_statistics is not None:
        k20 = K20_REDSHIFTS
        s = redshift_statistics(k20['limit_ab'], m_bright=12.0, wavelength=21500.0)
        print(f'K20 (Cimatti+02) K_s(AB) < {k20["limit_ab"]}: model median z {s["median"]:.2f} '
              f'(published {k20["median"]:.2f}), z > 1 {s["above_1"]:.2f} '
              f'({k20["above_1"]:.2f}), z > 1.5 {s["above_1_5"]:.2f} ({k20["above_1_5"]:.2f})')
        _, _, counts, mags = redshift_distribution(30.0, wavelength=21500.0)
        model = np.log10(np.interp(BRIGHT_K_COUNTS['mag'], mags, counts) * 1800)
        ours = np.log10(galaxy_counts(np.asarray(BRIGHT_K_COUNTS['mag'])) * 1800)
        print('K_s counts, log10 per 0.5 mag per deg^2 (mag: McCracken+10 / LF model / '
              'galaxy_counts): ' + ', '.join(
                  f'{m}: {p:.2f} / {a:.2f} / {b:.2f}' for m, p, a, b in
                  zip(BRIGHT_K_COUNTS['mag'], BRIGHT_K_COUNTS['log_n'], model, ours,
                      strict=True)))
    slope = np.log10(galaxy_counts(19.0) / galaxy_counts(16.0)) / 3
    print(f'bright-end count slope K = 16-19: {slope:.2f} dex/mag (McCracken+10 0.53, '
          f'Kim+11 0.47)')
    truth = NIRCamSimulator(seed=seed, population='sky',
                            class_fractions={'low_z': 1}).draw_sources(n)
    mag = np.asarray(truth['mag_F444W'].value)
    z = np.asarray(truth['redshift'])
    re = np.asarray(truth['re'].value)
    ordinary = np.asarray(truth['kind']) == 'ordinary'
    for limit in (23.0, 25.0):
        sel = (mag < limit) & ordinary
        line = (f'sky z<4 ordinary F444W < {limit}: {sel.sum()} galaxies, median z '
                f'{np.median(z[sel]):.2f}, z<1 {np.mean(z[sel] < 1):.3f}, '
                f'3<z<4 {np.mean((z[sel] > 3) & (z[sel] < 4)):.3f}; all kinds: median z '
                f'{np.median(z[mag < limit]):.2f}')
        if redshift_statistics is not None:
            s = redshift_statistics(limit, z_max=4.0, counts=galaxy_counts)
            line += (f' (model: median {s["median"]:.2f}, z<1 {s["below_1"]:.3f}, '
                     f'3<z<4 {s["z3_4"]:.3f})')
        print(line)
    deep = mag < 28.5
    near = (mag < 20) & (z < 0.8)
    r_near = np.median(re[near]) if near.any() else float('nan')
    print(f'sky z<4: share brighter than F444W = 23 among F444W < 28.5 '
          f'{np.mean(mag[deep] < 23):.3f}; brightest {mag.min():.1f}; median R_eff of '
          f'F444W < 20, z < 0.8 ({near.sum()}) '
          f'{r_near:.2f}"; of all {np.median(re):.2f}"')


def little_red_dots_check(n=300, seed=4):
    try:
        from astro_galclass.simulate.population_lrd import (
            draw_little_red_dot_redshifts,
            little_red_dot_redshift_share,
            little_red_dot_surface_density,
        )
    except ImportError:
        print('little red dots: not in this simulator')
        return
    import math

    from astropy.cosmology import Planck18

    from astro_galclass.highz.red_dots import little_red_dots
    from astro_galclass.simulate._sources import SourceDrawer

    print(f'LRDs 4<=z<9, F444W<27.7: {little_red_dot_surface_density(27.7, z_range=(4, 9)):.3f} '
          f'arcmin^-2; Kokorev+24: 260/640 = {260 / 640:.3f} +- {math.sqrt(260) / 640:.3f}')
    print(f'LRDs z>=4, F444W<27.7: {little_red_dot_surface_density(27.7, z_range=(4, 99)):.3f}; '
          f'Akins+24 (COSMOS-Web, F277W-F444W>1.5, a subset): 434/1944 = {434 / 1944:.3f}')
    print(f'LRDs F444W<22 at 4.5<z<4.9 over 15 deg^2: '
          f'{little_red_dot_surface_density(22.0, z_range=(4.5, 4.9)) * 54000:.1f} expected; '
          f'Ma+25: 1 (K<23.7)')
    for depth in DEPTH_PRESETS:
        d = NIRCamSimulator(depth=depth).sky_class_fractions()['density']
        lrd = d['little_red_dot_high_z'] + d['little_red_dot_low_z']
        print(f'LRDs at {depth:12s}: {lrd:.3f} arcmin^-2 ({d["little_red_dot_high_z"]:.3f} '
              f'at z>=4, share of high_z {d["little_red_dot_high_z"] / d["high_z"]:.2e}), '
              f'{lrd / d["brown_dwarf"]:.1f} x the brown dwarfs')
    print(f'  JADES census (arXiv:2604.07138): 412/349.6 = {412 / 349.6:.2f} arcmin^-2 '
          f'(broad selection), classic cuts <~25% of it')
    z = draw_little_red_dot_redshifts(20000, rng=np.random.default_rng(seed))
    zh = z[z >= 4]
    print(f'LRD redshifts: share z<4 {little_red_dot_redshift_share(0, 4):.3f} '
          f'(Ma+25 densities), z>=4 median {np.median(zh):.2f}, 5-95% '
          f'{np.percentile(zh, 5):.2f}-{np.percentile(zh, 95):.2f}, z>=9 '
          f'{np.mean(zh >= 9):.3f} (Kokorev+24 4-9, Akins+24 5-9, peak z~5)')
    original = SourceDrawer._pick_little_red_dots
    SourceDrawer._pick_little_red_dots = lambda self, labels: labels < 2
    try:
        cut, truth = NIRCamSimulator(depth='jades-deep', seed=seed, population='sky',
                                     class_fractions={'high_z': 1}).sample(n)
    finally:
        SourceDrawer._pick_little_red_dots = original
    mag = {b: np.asarray(truth[f'mag_{b}'].value) for b in
           ('F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W')}
    zt = np.asarray(truth['redshift'])
    bright = (np.asarray(truth['snr_F444W']) >= 14) & (zt < 8)
    kokorev = mag['F444W'] < 27.7
    r_pc = (np.asarray(truth['re'].value) / Planck18.arcsec_per_kpc_proper(zt).value * 1e3)
    print(f'drawn LRDs (JADES-deep, z>=4, {n}): median F150W-F200W '
          f'{np.median(mag["F150W"] - mag["F200W"]):.2f}, F277W-F444W '
          f'{np.median(mag["F277W"] - mag["F444W"]):.2f}, beta_UV '
          f'{np.median(np.asarray(truth["beta"])):.2f}; M_UV of F444W<27.7 5/50/95% '
          f'{np.percentile(np.asarray(truth["muv"].value)[kokorev], [5, 50, 95]).round(1)} '
          f'(Kokorev+24: -17 to -22); r_e median {np.median(r_pc):.0f} pc (<130); '
          f'pass little_red_dots at S/N>=14, z<8: {little_red_dots(cut)[bright].mean():.2f} '
          f'of {bright.sum()}')


def colours_and_lines(n=6000, seed=5):
    low = NIRCamSimulator(depth='jades-deep', seed=seed, population='sky',
                          class_fractions={'low_z': 1}).draw_sources(n)
    z = np.asarray(low['redshift'])
    low = low[(z > 1) & (z < 4)]
    kind = np.asarray(low['kind'])
    try:
        from astro_galclass.simulate import population_spectra as ps
    except ImportError:                      # before issue 31
        ps = None
    line = (f'sky 1<z<4 ({len(low)}): quiescent {np.mean(kind == "balmer_break"):.3f}, '
            f'dusty {np.mean(kind == "dusty"):.3f}')
    if ps is not None:
        line += (f' (published: quiescent {ps.LOW_Z_RED_KINDS["balmer_break"]["fraction"]:.2f}, '
                 'Tomczak+14 0.006-0.058 at 10^9-9.5 Msun, 1<z<2; dusty '
                 f'{ps.LOW_Z_RED_KINDS["dusty"]["fraction"]:.2f}, < 0.2 Deshmukh+18); '
                 f'dusty extra A_V median {np.median(low["av"].value[kind == "dusty"]):.2f}')
    print(line)
    zl = np.asarray(low['redshift'])
    for blue, red in (('F090W', 'F115W'), ('F115W', 'F150W')):
        colour = low[f'mag_{blue}'].value - low[f'mag_{red}'].value
        bins = ', '.join(
            f'{lo}<z<{lo + 1} {np.percentile(colour[(zl >= lo) & (zl < lo + 1)], 90):.2f}'
            for lo in (1, 2, 3))
        print(f'sky 1<z<4 {blue}-{red}: p90 {np.percentile(colour, 90):.2f} ({bins}); '
              f'star-forming alone p90 {np.percentile(colour[kind == "ordinary"], 90):.2f} '
              '(red kinds at published fractions, < 10%: p90 set by star-forming galaxies; '
              'issue 31 before: 1.43 / 1.37)')
    if ps is not None:
        zs = (4.5, 5.25, 6.0, 7.25)
        ha = ', '.join(f'z={v} {float(ps.line_ew_median("halpha", v)):.0f}' for v in zs)
        oiii = ', '.join(f'z={v} {float(ps.line_ew_median("oiii_hbeta", v)):.0f}' for v in zs)
        print(f'Halpha EW median (A): {ha} (published: 301+-30 at z~4.5, 10^9.5-10.5 Msun, '
              'Marmol-Queralto+16; mean 665+-53 incl. [NII]+[SII] at 5.1-5.4, Rasappu+16; '
              '300-600 at z~6, Faisst+16)')
        print(f'[OIII]+Hbeta EW median (A): {oiii} (published: 780 at z~6.5-8, Endsley+23; '
              '110 at z~2, Boyett+22)')
    high = NIRCamSimulator(depth='jades-deep', seed=4, population='sky',
                           class_fractions={'high_z': 1}).draw_sources(8000)
    high = high[np.asarray(high['kind']) == 'young']
    zh = np.asarray(high['redshift'])
    for blue, red, lo, hi, published in (
            ('F356W', 'F444W', 4.0, 7.0, 'issue 31 before: p10 -0.63'),
            ('F356W', 'F444W', 4.2, 4.9, 'Halpha in F356W'),
            ('F356W', 'F444W', 5.0, 5.2, 'Halpha in F444W, F356W line-free; IRAC '
             '[3.6]-[4.5] mean 0.31+-0.05 at 5.1-5.4, Rasappu+16 (F356W takes [OIII] '
             'above z = 5.2)'),
            ('F277W', 'F356W', 5.5, 6.3, '[OIII]+Hbeta in F356W'),
            ('F356W', 'F444W', 6.9, 8.0, '[OIII]+Hbeta in F444W')):
        sel = (zh >= lo) & (zh < hi)
        c = high[f'mag_{blue}'].value[sel] - high[f'mag_{red}'].value[sel]
        p10, p50, p90 = np.percentile(c, [10, 50, 90])
        print(f'sky young {lo}<=z<{hi} ({sel.sum()}): {blue}-{red} p10/50/90 '
              f'{p10:.2f} / {p50:.2f} / {p90:.2f}, mean {np.mean(c):.2f} ({published})')


if __name__ == '__main__':
    main()
    brown_dwarfs()
    low_z()
    little_red_dots_check()
    colours_and_lines()
