"""
The sky population against published numbers
=============================================

`~astro_galclass.simulate.NIRCamSimulator` has two populations. The
``'balanced'`` one (equal thirds of the classes, uniform redshifts and
magnitudes, that of the shipped models) is convenient for training; the
``'sky'`` one draws the sources as a deep field has them, from published
statistics (`astro_galclass.simulate.population`). This example draws both
at JADES-deep depth (noise-free truth, no images) and sets them beside the
published numbers that ``tests/simulate/test_population.py`` pins.
"""

import matplotlib.pyplot as plt
import numpy as np

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate.population import GALAXY_NUMBER_COUNTS, galaxy_counts

sky_sim = NIRCamSimulator(depth='jades-deep', seed=3, population='sky')
sky = sky_sim.draw_sources(20000)
balanced = NIRCamSimulator(depth='jades-deep', seed=3).draw_sources(20000)
fractions = sky_sim.sky_class_fractions()
print({c: round(fractions[c], 5) for c in ('low_z', 'high_z', 'brown_dwarf')})
print({c: round(v, 3) for c, v in fractions['density'].items()}, 'per arcmin^2')


def colour(table, a, b):
    return np.asarray(table[f'mag_{a}'].value - table[f'mag_{b}'].value)


# %%
# Four views: the redshift distribution of the galaxies (the sky population
# runs on continuously across z = 4, where the balanced one is flat), the
# F444W counts (scaled to the sky's surface density, against the COSMOS2020
# K_s counts), the near-infrared colours of star-forming galaxies at 1 < z < 3
# (nearly flat f_nu, as observed) and F356W - F444W of young z >= 4 galaxies,
# which [OIII]+Hbeta and Halpha redden where they fall in F444W.
fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))

ax = axes[0, 0]
bins = np.arange(0, 15.01, 0.25)
for table, label in ((balanced, "'balanced'"), (sky, "'sky'")):
    z = np.asarray(table['redshift'])
    ax.hist(z[np.isfinite(z)], bins=bins, histtype='step', density=True, label=label)
ax.axvline(4.0, color='k', ls=':', lw=1)
ax.set_xlabel('redshift')
ax.set_ylabel('galaxies (normalised)')
ax.set_yscale('log')
ax.legend()

ax = axes[0, 1]
galaxies = sky[sky['class'] != 'brown_dwarf']
mag = galaxies['mag_F444W'].value
edges = np.arange(23.0, 30.75, 0.5)
counts, _ = np.histogram(mag, bins=edges)
total = fractions['density']['low_z'] + fractions['density']['high_z']
scale = total / len(galaxies) / 0.5                     # per arcmin^2 per mag
centres = 0.5 * (edges[1:] + edges[:-1])
ax.step(centres, counts * scale, where='mid', label="'sky' F444W")
grid = np.linspace(19, 31, 200)
ax.plot(grid, galaxy_counts(grid), 'k-', lw=1, label='counts model')
ax.plot(GALAXY_NUMBER_COUNTS['mag'],
        10 ** np.asarray(GALAXY_NUMBER_COUNTS['log_n']) / 0.5 / 3600, 'ko',
        label='COSMOS2020 K_s (Weaver+22)')
ax.set_yscale('log')
ax.set_xlabel('AB magnitude')
ax.set_ylabel('galaxies per arcmin$^2$ per mag')
ax.legend(fontsize=8)

ax = axes[1, 0]
for table, label in ((balanced, "'balanced'"), (sky, "'sky'")):
    z = np.asarray(table['redshift'])
    sel = (z > 1) & (z < 3) & (np.asarray(table['kind']) == 'ordinary')
    ax.scatter(colour(table, 'F150W', 'F444W')[sel], colour(table, 'F090W', 'F115W')[sel],
               s=2, alpha=0.3, label=f'{label} star-forming, 1 < z < 3')
ax.axhline(0, color='k', lw=0.5)
ax.axvline(0, color='k', lw=0.5)
ax.set_xlim(-1, 4)
ax.set_ylim(-0.5, 3)
ax.set_xlabel('F150W - F444W')
ax.set_ylabel('F090W - F115W')
ax.legend(fontsize=8, markerscale=4)

ax = axes[1, 1]
for table, label in ((balanced, "'balanced'"), (sky, "'sky'")):
    young = table[table['kind'] == 'young']
    z = np.asarray(young['redshift'])
    c = colour(young, 'F356W', 'F444W')
    zb = np.arange(4.0, 12.01, 0.5)
    idx = np.digitize(z, zb)
    med = [np.median(c[idx == i]) if np.sum(idx == i) > 20 else np.nan
           for i in range(1, len(zb))]
    ax.plot(0.5 * (zb[1:] + zb[:-1]), med, drawstyle='steps-mid', label=f'{label} median')
# published anchors (see tests/simulate/test_population.py)
ax.errorbar([5.25], [0.33], xerr=[0.15], yerr=[0.25], fmt='ks',
            label='Rasappu+16 [3.6]-[4.5], z = 5.1-5.4')
ax.errorbar([10.5], [0.39], xerr=[1.5], yerr=[0.3], fmt='k^', label='Topping+24, z > 9')
ax.set_xlabel('redshift')
ax.set_ylabel('F356W - F444W (young z >= 4)')
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
