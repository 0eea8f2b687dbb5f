"""
Simulated NIRCam sources: cutouts and colours
=============================================

Draw sources of the three classes with
`~astro_galclass.simulate.NIRCamSimulator` at JADES-deep depth, look at one
cutout of each class in the seven bands, and place them in the colour-colour
plane that brown-dwarf searches use (Wang et al. 2023 cuts shown).
"""

import matplotlib.pyplot as plt
import numpy as np

from astro_galclass.simulate import NIRCamSimulator

sim = NIRCamSimulator(depth='jades-deep', seed=4)
cutouts, truth = sim.sample(600)
print(truth['class', 'redshift', 'kind', 'mag_F444W', 'snr_F444W'][:8])

# %%
# One bright example of each class: the high-z galaxy drops out in the blue
# bands, the brown dwarf is a point source, blue at 1-2 micron and very red at
# 3-4.5 micron.
bright = truth['snr_F444W'] > 30
fig, axes = plt.subplots(3, 7, figsize=(12, 5.6))
for row, cls in enumerate(('low_z', 'high_z', 'brown_dwarf')):
    i = int(np.flatnonzero((truth['class'] == cls) & bright)[0])
    label = cls if cls == 'brown_dwarf' else f"{cls}, z = {truth['redshift'][i]:.1f}"
    for col, band in enumerate(sim.bands):
        ax = axes[row, col]
        ax.imshow(np.arcsinh(cutouts[i, col].value / 0.05), origin='lower',
                  cmap='magma', vmin=-1, vmax=np.arcsinh(cutouts[i].value.max() / 0.05))
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(band, fontsize=9)
    axes[row, 0].set_ylabel(label, fontsize=9)
fig.tight_layout()

# %%
# Colours of the true (noiseless) magnitudes.
blue = (truth['mag_F115W'] - truth['mag_F277W']).value
red = (truth['mag_F277W'] - truth['mag_F444W']).value
fig, ax = plt.subplots(figsize=(6, 5))
for cls, colour in (('low_z', 'tab:blue'), ('high_z', 'tab:red'),
                    ('brown_dwarf', 'tab:green')):
    sel = truth['class'] == cls
    ax.scatter(red[sel], blue[sel], s=6, alpha=0.6, color=colour, label=cls)
ax.axhline(-0.8, color='k', lw=0.8, ls='--')
ax.axvline(1.1, color='k', lw=0.8, ls='--')
ax.set_xlabel('F277W - F444W [mag]')
ax.set_ylabel('F115W - F277W [mag]')
ax.set_xlim(-2, 8)
ax.set_ylim(-5, 8)
ax.legend()
ax.set_title('brown dwarfs: blue in F115W-F277W, red in F277W-F444W')
plt.show()
