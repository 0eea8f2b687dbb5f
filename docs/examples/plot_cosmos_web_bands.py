"""
Classify a COSMOS-Web-like field from four bands
================================================

COSMOS-Web, the largest NIRCam survey, imaged F115W, F150W, F277W and F444W
only; CEERS has no F090W. The shipped network needs all seven bands, and
says so. This example simulates a field at the published COSMOS-Web depths
(the ``'cosmos-web'`` preset), keeps its four mosaics, and classifies the
detections with what the package offers for four bands today: the
photometric Random Forest of `astro_galclass.training`, trained on simulated
cutouts of the same bands and depth. A network with a band-availability
input (:ref:`highz-bands`) takes any four or more bands; the one trained so
far on two CPU cores is less accurate than this forest on the COSMOS-Web
bands (model card), so none is shipped yet. The last step shows how to
train one.

The sources are drawn in equal class thirds (``population='balanced'``) so
that every class has enough of them; a real field holds far fewer high-z
galaxies and brown dwarfs (see :doc:`/simulate`).
"""

import warnings

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.demo import detect_sources_multiband
from astro_galclass.highz import HighZFlag, extract_cutouts, little_red_dots
from astro_galclass.nircam import HIGHZ_CLASSES, SURVEY_BANDS
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import ApertureRandomForest

# %%
# The field and the four bands COSMOS-Web has.
bands = SURVEY_BANDS['cosmos-web']
sim = NIRCamSimulator(depth='cosmos-web', seed=8)
all_images, truth = sim.make_field(n_sources=150, shape=(1000, 1000))
images = {band: all_images[band] for band in bands}
print(f'bands: {list(images)}')

# %%
# The shipped network needs all seven bands, and never answers silently
# without them: ``classify_catalog`` keeps every row, masked and flagged
# ``BAND_MISSING``, with a warning; ``classify`` refuses four-band cutouts.
clf = HighZClassifier.pretrained(device='cpu')
detections = detect_sources_multiband(images, bands=('F277W', 'F444W'))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    table = clf.classify_catalog(detections, images)
print(caught[0].message)
print(f"{np.sum(table['p_high_z'].mask)} of {len(table)} rows masked")
cutouts, flags = extract_cutouts(images, detections['sky_centroid'], bands=bands)
try:
    clf.classify(cutouts, bands=bands)
except ValueError as error:
    print(f'ValueError: {error}')

# %%
# The photometric Random Forest on the same four bands, trained on 3,000
# simulated cutouts at the same depth (classes in equal thirds; its
# probabilities assume that mix).
train, train_truth = NIRCamSimulator(depth='cosmos-web', seed=9).sample(3000)
pick = [sim.bands.index(b) for b in bands]
forest = ApertureRandomForest(depth='cosmos-web', bands=bands, seed=0)
forest.fit(train.to_value(u.nJy)[:, pick], np.asarray(train_truth['label']))
usable = (flags & (HighZFlag.BAND_MISSING | HighZFlag.OFF_IMAGE)) == 0
proba = np.full((len(detections), 3), np.nan)
proba[usable] = forest.predict_proba(np.nan_to_num(cutouts.to_value(u.nJy)[usable]))
predicted = np.where(usable, np.array(HIGHZ_CLASSES)[np.nan_to_num(proba).argmax(axis=1)],
                     'unclassified')
print(f'{len(detections)} detections, {usable.sum()} with all four bands')

# %%
# The forest knows only the simulator's three classes. Sources that pass the
# published little-red-dot selection (here its COSMOS-Web form, F277W -
# F444W > 1.5, compact in F444W; :ref:`highz-little-red-dots`) may be of a
# kind neither model has seen: `~astro_galclass.highz.little_red_dots` finds
# them on the same cutouts (the network flags them ``LITTLE_RED_DOT`` itself).
# This field has no little red dots, and those it selects are the simulated
# brown dwarfs: without F200W the selection has no brown-dwarf cut (Akins
# et al. removed theirs by other means), and this field, drawn in equal
# thirds, holds thousands of times the sky's share of them. A selected
# source needs a closer look (a spectrum, a proper motion), not a verdict.
red_dots = little_red_dots(cutouts, bands=bands) & usable
print(f'{red_dots.sum()} detections pass the little-red-dot selection; the forest calls '
      f'them {sorted(str(c) for c in set(predicted[red_dots]))}')

# %%
# Against the truth (nearest simulated source within 0.15").
idx, sep, _ = detections['sky_centroid'].match_to_catalog_sky(truth['sky_centroid'])
matched = (sep < 0.15 * u.arcsec) & usable
true_class = np.asarray(truth['class'])[idx]
print(f'accuracy on {matched.sum()} matched detections: '
      f'{np.mean(predicted[matched] == true_class[matched]):.3f}')
for name in HIGHZ_CLASSES:
    sel = matched & (true_class == name)
    print(f'  true {name:<12} {sel.sum():>3}, recovered {np.mean(predicted[sel] == name):.2f}, '
          f'little-red-dot selection {np.sum(red_dots[sel])}')

# %%
# The F444W mosaic with the detections by class.
ref = images['F444W']
fig = plt.figure(figsize=(7, 7))
ax = fig.add_subplot(projection=ref.wcs)
ax.imshow(np.arcsinh(np.nan_to_num(ref.data) / 0.01), origin='lower', cmap='gray_r',
          vmin=-1, vmax=6)
x, y = ref.wcs.world_to_pixel(detections['sky_centroid'])
colours = {'low_z': 'tab:cyan', 'high_z': 'tab:orange', 'brown_dwarf': 'tab:red',
           'unclassified': 'grey'}
for name, colour in colours.items():
    sel = predicted == name
    ax.scatter(x[sel], y[sel], s=50, facecolors='none', edgecolors=colour,
               label=f'{name} ({sel.sum()})')
ax.legend(loc='upper right')
ax.set(xlabel='RA', ylabel='Dec', title='COSMOS-Web bands: Random Forest classes')
plt.show()

# %%
# A network for any four or more bands: give the seven-band network a
# band-availability input and continue its training on random band subsets
# (``HIGHZ_BANDS_RECIPE``; hours on a GPU for a model worth shipping, see
# the model card). Then ``classify_catalog(detections, images)`` takes the
# four mosaics directly and says per row which bands it used
# (``highz_bands_used``):
#
# .. code-block:: bash
#
#     galclass train-highz --recipe bands --output highz_bands.pt --time-budget 3600
#
# .. code-block:: python
#
#     clf = HighZClassifier('highz_bands.pt')
#     table = clf.classify_catalog(detections, images)
