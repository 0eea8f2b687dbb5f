"""
Colours of the sky population: red tails and emission lines
===========================================================

Two places where a deep field's galaxy colours are decided by a minority:

- at 1 < z < 4, the red tail of the short-wave colours (F090W-F115W,
  F115W-F150W) is made by the quiescent (Balmer-break) and dusty
  star-forming galaxies. At the 10^8-10^9.5 Msun of most NIRCam-detected
  galaxies there they are a few per cent each (Tomczak et al. 2014;
  Martis et al. 2016; Whitaker et al. 2017), with A_V of order 1 for the
  dusty ones (`~astro_galclass.simulate.population_spectra.LOW_Z_RED_KINDS`);
- at z >= 4, Halpha and [OIII]+Hbeta move F277W, F356W and F444W as they
  cross the bands. Their equivalent widths rise with redshift, each line
  from its own measurements (Halpha: Marmol-Queralto et al. 2016, Rasappu
  et al. 2016, Faisst et al. 2016; [OIII]+Hbeta: Boyett et al. 2022 at
  z ~ 2, Endsley et al. 2023 at z ~ 7;
  `~astro_galclass.simulate.population_spectra.line_ew_median`).

This example draws the sky population at JADES-deep depth (noise-free
truth, no images), plots the two colour-colour diagrams by kind, and the
equivalent-width relations against the published points.
``tests/simulate/test_population.py`` pins the same numbers.
"""

import matplotlib.pyplot as plt
import numpy as np

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.simulate.population_spectra import (
    LOW_Z_RED_KINDS,
    line_ew_median,
    line_ew_sigma_ln,
)

low = NIRCamSimulator(depth='jades-deep', seed=5, population='sky',
                      class_fractions={'low_z': 1}).draw_sources(4000)
z = np.asarray(low['redshift'])
low = low[(z > 1) & (z < 4)]
high = NIRCamSimulator(depth='jades-deep', seed=4, population='sky',
                       class_fractions={'high_z': 1}).draw_sources(4000)
high = high[np.asarray(high['kind']) == 'young']


def colour(table, a, b):
    return np.asarray(table[f'mag_{a}'].value - table[f'mag_{b}'].value)


kind = np.asarray(low['kind'])
print({k: round(float(np.mean(kind == k)), 3) for k in ('ordinary', 'dusty', 'balmer_break')},
      'of 1 < z < 4 galaxies; published', {k: v['fraction'] for k, v in LOW_Z_RED_KINDS.items()})
for a, b in (('F090W', 'F115W'), ('F115W', 'F150W')):
    print(f'{a}-{b} at 1 < z < 4: 90th percentile {np.percentile(colour(low, a, b), 90):.2f}')

# %%
# Left: F090W-F115W against F115W-F150W at 1 < z < 4, by kind; the dashed
# lines mark the 90th percentiles. Middle: F277W-F356W against F356W-F444W of
# young z = 4-7 galaxies, coloured by redshift: Halpha in F356W at z ~ 4-5
# (blue F356W-F444W), in F444W at z ~ 5-6.6, [OIII]+Hbeta in F356W at
# z ~ 5.3-6.9 (red F277W-F356W). Right: the median equivalent widths
# against redshift (bands: the log-normal's 16-84%), with the published
# points they come from.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))

ax = axes[0]
x, y = colour(low, 'F115W', 'F150W'), colour(low, 'F090W', 'F115W')
for name, c, s in (('ordinary', '0.6', 3), ('dusty', 'tab:red', 8),
                   ('balmer_break', 'tab:orange', 8)):
    sel = kind == name
    ax.scatter(x[sel], y[sel], s=s, c=c, label=f'{name} ({sel.mean():.1%})', alpha=0.7,
               lw=0)
ax.axvline(np.percentile(x, 90), color='k', ls='--', lw=1)
ax.axhline(np.percentile(y, 90), color='k', ls='--', lw=1)
ax.set_xlim(-0.6, 2.5)
ax.set_ylim(-0.6, 2.5)
ax.set_xlabel('F115W - F150W')
ax.set_ylabel('F090W - F115W')
ax.set_title('1 < z < 4')
ax.legend(loc='upper left', fontsize=8)

ax = axes[1]
zh = np.asarray(high['redshift'])
sel = (zh >= 4) & (zh < 7)
im = ax.scatter(colour(high, 'F356W', 'F444W')[sel], colour(high, 'F277W', 'F356W')[sel],
                c=zh[sel], s=4, cmap='viridis', lw=0)
fig.colorbar(im, ax=ax, label='redshift')
ax.set_xlim(-1.5, 1.2)
ax.set_ylim(-1.2, 2.0)
ax.set_xlabel('F356W - F444W')
ax.set_ylabel('F277W - F356W')
ax.set_title('young galaxies, 4 <= z < 7')

ax = axes[2]
for line, c, label, z0 in (('halpha', 'tab:red', 'Halpha', 4.0),
                           ('oiii_hbeta', 'tab:blue', '[OIII]+Hbeta', 2.0)):
    zz = np.linspace(z0, 9.0, 141)         # the Halpha relation is for z >= 4
    med, sig = line_ew_median(line, zz), line_ew_sigma_ln(line, zz)
    ax.plot(zz, med, color=c, label=f'{label} (median)')
    ax.fill_between(zz, med * np.exp(-sig), med * np.exp(sig), color=c, alpha=0.15)
# published points: Halpha 301 +/- 30 A at z ~ 4.5 (Marmol-Queralto et al.
# 2016, 10^9.5-10^10.5 Msun); mean Halpha+[NII]+[SII] 665 +/- 53 A at
# z = 5.1-5.4 (Rasappu et al. 2016); 300-600 A at z ~ 6 (Faisst et al.
# 2016); [OIII]+Hbeta 780 A at z ~ 6.5-8 (Endsley et al. 2023); [OIII]5007
# median 69 A at z ~ 2 (Boyett et al. 2022) x 1.58 for 4960 and Hbeta
ax.errorbar([4.5], [301], yerr=[30], fmt='s', color='tab:red', mfc='none',
            label='Marmol-Queralto+16')
ax.errorbar([5.25], [665], yerr=[53], xerr=[0.15], fmt='D', color='tab:red', mfc='none',
            label='Rasappu+16 (mean)')
ax.errorbar([6.0], [450], yerr=[150], fmt='^', color='tab:red', mfc='none',
            label='Faisst+16 (range)')
ax.errorbar([7.25], [780], xerr=[0.75], fmt='o', color='tab:blue', mfc='none',
            label='Endsley+23')
ax.plot([2.0], [np.exp(4.24) * 1.58], 'v', color='tab:blue', mfc='none',
        label='Boyett+22 (x1.58)')
ax.set_yscale('log')
ax.set_xlabel('redshift')
ax.set_ylabel('rest-frame EW (A)')
ax.legend(fontsize=7, loc='lower right')
fig.tight_layout()
plt.show()
