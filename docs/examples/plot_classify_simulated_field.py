"""
Classify a simulated JADES-deep field
=====================================

The whole high-z workflow on one simulated field: seven NIRCam mosaics at
their native pixel scales, source detection with photutils, classification
of the detections with the shipped model, and a comparison with the known
truth. This is what ``galclass demo`` does, step by step, on a smaller field.

The shipped model was trained on simulations only (see the model card); on
a real field, check it against sources with known classes first.
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.demo import CLASS_COLOURS, detect_sources_multiband
from astro_galclass.highz import HighZFlag
from astro_galclass.simulate import NIRCamSimulator

# %%
# A 31" x 31" field at JADES-deep depth: short-wave mosaics at 0.031"/pix,
# long-wave at 0.063"/pix, in MJy/sr with a TAN WCS, NaN outside each
# band's footprint. ``truth`` is the simulated catalog.
sim = NIRCamSimulator(depth='jades-deep', seed=4)
images, truth = sim.make_field(n_sources=150, shape=(1000, 1000))
for band, image in images.items():
    print(f'{band}: {image.data.shape} pixels, {image.unit}')

# %%
# Detect sources on the S/N-weighted stack of the long-wave mosaics with
# photutils (smoothing, 3-sigma threshold, deblending). The result is a
# QTable with a ``sky_centroid`` SkyCoord column, like photutils'
# SourceCatalog tables.
detections = detect_sources_multiband(images)
print(f'{len(detections)} detections')

# %%
# Classify. ``classify_catalog`` cuts every band out around each position,
# resamples it onto the model's 0.03"/pix grid (flux conserving), and
# returns a copy of the table with probability, class and flag columns.
# Rows whose cutouts miss a band keep their place with masked probabilities.
clf = HighZClassifier.pretrained(device='auto')
catalog = clf.classify_catalog(detections, images)
print(catalog['label', 'p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_class',
              'highz_flags'][:8])
unclassified = (catalog['highz_flags'] & HighZFlag.BAND_MISSING) > 0
print(f'{unclassified.sum()} detections lack a band and are kept, masked')

# %%
# Compare with the truth: match each detection to the nearest simulated
# source within 0.15".
idx, sep, _ = catalog['sky_centroid'].match_to_catalog_sky(truth['sky_centroid'])
matched = (sep < 0.15 * u.arcsec) & ~unclassified
true_class = np.asarray(truth['class'])[idx]
pred = np.asarray(catalog['highz_class'].filled(''))
print(f'accuracy on {matched.sum()} matched detections: '
      f'{np.mean(pred[matched] == true_class[matched]):.3f}')
for name in clf.classes:
    sel = matched & (true_class == name)
    print(f'  true {name:<12} {sel.sum():>3}, recovered {np.mean(pred[sel] == name):.2f}')

# %%
# The long-wave F444W mosaic with the detections marked by predicted class.
ref = images['F444W']
fig = plt.figure(figsize=(7, 7))
ax = fig.add_subplot(projection=ref.wcs)
ax.imshow(np.arcsinh(np.nan_to_num(ref.data) / 0.002), origin='lower', cmap='gray_r',
          vmin=-1, vmax=6)
x, y = ref.wcs.world_to_pixel(catalog['sky_centroid'])
for name in [*clf.classes, 'unclassified']:
    sel = np.asarray(catalog['highz_class'].filled('unclassified')) == name
    ax.scatter(x[sel], y[sel], s=50, facecolors='none',
               edgecolors={'cyan': 'tab:cyan', 'yellow': 'tab:orange',
                           'red': 'tab:red', 'white': 'grey'}[CLASS_COLOURS[name]],
               label=f'{name} ({sel.sum()})')
ax.legend(loc='upper right')
ax.set(xlabel='RA', ylabel='Dec', title='F444W, detections by predicted class')
plt.show()
