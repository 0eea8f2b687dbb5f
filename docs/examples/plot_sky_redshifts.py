"""
Redshifts and bright end of the sky's z < 4 galaxies
====================================================

With ``population='sky'``, `~astro_galclass.simulate.NIRCamSimulator` draws
each z < 4 galaxy's F444W magnitude from the number counts (from F444W = 16)
and then its redshift from that magnitude
(`astro_galclass.simulate.population_lowz`): in proportion to the evolving
rest-frame K-band luminosity function (Cirasuolo et al. 2010, faint end of
Mortlock et al. 2017) times the comoving volume, bounded from below at
z >= 1.5 by the UV luminosity functions (Bouwens et al. 2021). Bright
galaxies are therefore nearer than faint ones, as in magnitude-limited
catalogues.

This example draws the truth table of 6000 such galaxies (no images; a few
seconds) and shows

- their redshift distribution at F444W < 23 and < 25, with the model's;
- the same model in K_s against the K20 survey (Cimatti et al. 2002: median
  z 0.80 at K_s(Vega) < 20);
- the bright-end counts against the COSMOS K_s galaxy counts of McCracken
  et al. (2010), and the counts the simulator draws from
  (`~astro_galclass.simulate.population.galaxy_counts`), which lie about
  0.3 dex above McCracken's (the COSMOS2020 table's bin width is read as
  0.5 mag; see the documentation of ``GALAXY_NUMBER_COUNTS``).

``tests/simulate/test_population.py`` pins these numbers.
"""

import matplotlib.pyplot as plt
import numpy as np

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate.population import galaxy_counts, galaxy_surface_density
from astro_galclass.simulate.population_lowz import (
    BRIGHT_K_COUNTS,
    K20_REDSHIFTS,
    redshift_distribution,
    redshift_statistics,
)

truth = NIRCamSimulator(depth='jades-deep', seed=7, population='sky',
                        class_fractions={'low_z': 1}).draw_sources(6000)
mag = np.asarray(truth['mag_F444W'].value)
z = np.asarray(truth['redshift'])
ordinary = np.asarray(truth['kind']) == 'ordinary'
for limit in (23.0, 25.0):
    sel = ordinary & (mag < limit)
    model = redshift_statistics(limit, z_max=4.0, counts=galaxy_counts)
    print(f'F444W < {limit}: {sel.sum()} galaxies, median z {np.median(z[sel]):.2f} '
          f'(model {model["median"]:.2f}), z < 1 {np.mean(z[sel] < 1):.2f} '
          f'(model {model["below_1"]:.2f})')
k20 = redshift_statistics(K20_REDSHIFTS['limit_ab'], m_bright=12.0, wavelength=21500.0)
print(f'K20: model median z {k20["median"]:.2f}, published {K20_REDSHIFTS["median"]:.2f}')

# %%
# Left: redshift distributions (histograms: drawn; lines: the model at the
# same limits, with magnitudes weighted as drawn; dashed: the model in K_s
# to the K20 limit, whose median, 0.80, is K20's). Right: bright-end counts
# per 0.5 mag per deg^2.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
bins = np.arange(0, 4.01, 0.2)
for limit, c in ((23.0, 'C0'), (25.0, 'C1')):
    sel = ordinary & (mag < limit)
    left.hist(z[sel], bins=bins, density=True, histtype='step', color=c, lw=1.5,
              label=f'drawn, F444W < {limit:g} ({sel.sum()})')
    zg, density, _, _ = redshift_distribution(limit, z_max=4.0, counts=galaxy_counts)
    left.plot(zg, density / density.sum() / (zg[1] - zg[0]), color=c, lw=1)
zg, density, _, _ = redshift_distribution(K20_REDSHIFTS['limit_ab'], m_bright=12.0,
                                          wavelength=21500.0)
left.plot(zg, density / density.sum() / (zg[1] - zg[0]), 'k--', lw=1,
          label='model, K$_s$(AB) < 21.85')
left.axvline(K20_REDSHIFTS['median'], color='k', ls=':', lw=1,
             label='K20 median (Cimatti+02)')
left.set(xlabel='redshift', ylabel='p(z)', xlim=(0, 4))
left.legend(fontsize=8)

mags = np.asarray(BRIGHT_K_COUNTS['mag'])
right.plot(mags, BRIGHT_K_COUNTS['log_n'], 'ko', label='COSMOS K$_s$ (McCracken+10)')
_, _, counts, grid = redshift_distribution(30.0, wavelength=21500.0)
sel = (grid > 15.5) & (grid < 23.5)
right.plot(grid[sel], np.log10(counts[sel] * 1800), 'k-', lw=1, label='K-band LF model')
m = np.linspace(16, 23, 50)
right.plot(m, np.log10(galaxy_counts(m) * 1800), 'C3-', label='galaxy_counts (drawn)')
# the drawn magnitudes, per deg^2: their share of the galaxies times the
# counts' density from F444W = 16 to the limit
hist, edges = np.histogram(mag, bins=np.arange(16, 23.01, 0.5))
total = galaxy_surface_density(mag.max(), m_bright=16.0) * 3600
shown = hist > 0
right.plot(0.5 * (edges[1:] + edges[:-1])[shown], np.log10(hist[shown] / mag.size * total),
           'C3s', mfc='none', label='drawn F444W')
right.set(xlabel='magnitude (AB)', ylabel='log$_{10}$ N / 0.5 mag / deg$^2$')
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
