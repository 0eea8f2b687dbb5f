"""
Classify a COSMOS-Web-like field from four bands
================================================

COSMOS-Web, the largest NIRCam survey, imaged F115W, F150W, F277W and F444W
only; CEERS has no F090W; and in every survey chip gaps and mosaic edges
leave some sources without one band or another. The shipped model takes a
band-availability input, so it classifies from any four or more of its
seven bands: the bands are the keys of the dict of mosaics.

This example simulates a field at COSMOS-Web depth, keeps the four
COSMOS-Web mosaics, blanks a strip of F150W as a chip gap would, and
classifies the detections. The sources are drawn in equal class thirds
(``population='balanced'``), so that every class has enough of them; a real
field holds far fewer high-z galaxies and brown dwarfs (see
:doc:`/simulate`).
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
from astropy.nddata import NDData

from astro_galclass import HighZClassifier
from astro_galclass.demo import detect_sources_multiband
from astro_galclass.highz import HighZFlag, band_names
from astro_galclass.nircam import SURVEY_BANDS
from astro_galclass.simulate import NIRCamSimulator

# %%
# The field, at the published COSMOS-Web depths (the ``'cosmos-web'``
# preset), and the four bands the survey has.
bands = SURVEY_BANDS['cosmos-web']
sim = NIRCamSimulator(depth='cosmos-web', seed=8)
all_images, truth = sim.make_field(n_sources=150, shape=(1000, 1000))
images = {band: all_images[band] for band in bands}
print(f'bands given: {list(images)}')

# %%
# A chip gap: a 1.5" wide strip of the F150W mosaic without data (NaN). The
# user's image is never modified; this builds a new one.
f150w = images['F150W']
gap = np.array(f150w.data, copy=True)
gap[:, 400:450] = np.nan
images['F150W'] = NDData(gap, wcs=f150w.wcs, unit=f150w.unit)

# %%
# Detect on the long-wave mosaics and classify. Sources in the gap have
# three bands, one fewer than the model needs: they stay in the table,
# masked and flagged ``BAND_MISSING``. Everywhere else each source is
# classified from the four bands; ``highz_bands_used`` says which bands each
# row used (in a seven-band field, a source in a gap of one band would be
# classified from the other six and flagged ``BANDS_SUBSET``).
detections = detect_sources_multiband(images)
clf = HighZClassifier.pretrained(device='auto')
print(clf, f'classifies from at least {clf.min_bands} bands')
catalog = clf.classify_catalog(detections, images)
print(catalog.meta['astro_galclass_highz']['options']['bands_given'])
used = {band_names(v, clf.bands) for v in catalog['highz_bands_used'][~catalog['p_high_z'].mask]}
print(f'band sets used: {used}')
missing = (catalog['highz_flags'] & HighZFlag.BAND_MISSING) > 0
print(f'{len(catalog)} detections, {missing.sum()} in the gap kept and masked')

# %%
# Against the truth (nearest simulated source within 0.15").
idx, sep, _ = catalog['sky_centroid'].match_to_catalog_sky(truth['sky_centroid'])
matched = (sep < 0.15 * u.arcsec) & ~missing
true_class = np.asarray(truth['class'])[idx]
pred = np.asarray(catalog['highz_class'].filled(''))
print(f'accuracy on {matched.sum()} matched detections: '
      f'{np.mean(pred[matched] == true_class[matched]):.3f}')
for name in clf.classes:
    sel = matched & (true_class == name)
    print(f'  true {name:<12} {sel.sum():>3}, recovered {np.mean(pred[sel] == name):.2f}')

# %%
# The F444W mosaic with the detections, and the F150W gap.
ref = images['F444W']
fig = plt.figure(figsize=(7, 7))
ax = fig.add_subplot(projection=ref.wcs)
ax.imshow(np.arcsinh(np.nan_to_num(ref.data) / 0.01), origin='lower', cmap='gray_r',
          vmin=-1, vmax=6)
x, y = ref.wcs.world_to_pixel(catalog['sky_centroid'])
colours = {'low_z': 'tab:cyan', 'high_z': 'tab:orange', 'brown_dwarf': 'tab:red',
           'unclassified': 'grey'}
for name, colour in colours.items():
    sel = np.asarray(catalog['highz_class'].filled('unclassified')) == name
    ax.scatter(x[sel], y[sel], s=50, facecolors='none', edgecolors=colour,
               label=f'{name} ({sel.sum()})')
ax.legend(loc='upper right')
ax.set(xlabel='RA', ylabel='Dec',
       title='COSMOS-Web bands: detections by predicted class (grey: in the F150W gap)')
plt.show()
