"""
Classify a catalog from seven NIRCam mosaics
============================================

Build a toy seven-band field at the native NIRCam pixel scales, classify its
sources with `~astro_galclass.HighZClassifier.classify_catalog`, and look at
the cutouts the classifier made.

The network here is **untrained** (the package does not ship weights yet),
so the probabilities show the mechanics, not a classification; pass your own
weights file to ``HighZClassifier`` for real use.
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
import torch

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, LymanBreakCNN, extract_cutouts
from astro_galclass.simulate import make_toy_field

# %%
# A toy field: seven mosaics in MJy/sr, short-wave bands at 0.031"/pix and
# long-wave bands at 0.063"/pix, the long-wave footprint shifted by 4" so
# that some sources fall outside it.
images, truth = make_toy_field(n_sources=25, seed=7, lw_offset=4 * u.arcsec)
for band, image in images.items():
    print(band, image.data.shape, image.unit)

# %%
# Classify. The result is a copy of the catalog with probability, class and
# flag columns; sources outside the long-wave footprint keep their rows,
# with masked probabilities and the BAND_MISSING flag.
torch.manual_seed(0)
clf = HighZClassifier(LymanBreakCNN(), device='auto')
catalog = clf.classify_catalog(truth, images)
print(catalog['id', 'p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_class',
              'highz_flags'])
n_missing = np.count_nonzero(catalog['highz_flags'] & HighZFlag.BAND_MISSING)
print(f'{n_missing} of {len(catalog)} sources lack a band and are not classified')

# %%
# The cutouts the network saw: every band resampled onto the same 0.03"/pix
# grid, north up and east left, flux conserved.
cutouts, flags = extract_cutouts(images, truth['sky_centroid'], bands=clf.bands)
row = int(np.flatnonzero(flags == 0)[0])
fig, axes = plt.subplots(1, 7, figsize=(14, 2.4))
for ax, band, data in zip(axes, clf.bands, cutouts[row].value, strict=True):
    ax.imshow(np.arcsinh(data / 0.05), origin='lower', cmap='magma')
    ax.set_title(f'{band}\n{np.nansum(data):.0f} nJy', fontsize=9)
    ax.set_axis_off()
fig.suptitle(f"source {catalog['id'][row]}: cutouts on the model grid")
plt.show()
