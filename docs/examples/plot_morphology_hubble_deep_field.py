"""
Galaxy Zoo morphology of the Hubble Deep Field
==============================================

Detect the galaxies of the Hubble Deep Field colour image that ships with
scikit-image (``skimage.data.hubble_deep_field()``; WFPC2 F450W, F606W,
F814W) with photutils, cut each one out with `~astropy.nddata.Cutout2D`,
and ask the shipped morphology model for its Galaxy Zoo 2 vote fractions
(each cutout is reframed around its galaxy as the training images were
framed, ``reframe=True``); then show with Grad-CAM which pixels drove its
smooth-or-featured answer.

.. warning::

    The shipped morphology model was trained on *simulated* photographs
    (`~astro_galclass.simulate.MorphologySimulator`), not on Galaxy Zoo
    images, and never saw a Hubble image: its fractions here illustrate the
    interface, not real morphologies. Fine-tune it on real labels before
    using it for science (see the morphology model card).
"""

import matplotlib.pyplot as plt
import numpy as np
from astropy.convolution import convolve
from astropy.nddata import Cutout2D
from photutils.background import Background2D
from photutils.segmentation import (
    SourceCatalog,
    deblend_sources,
    detect_sources,
    make_2dgaussian_kernel,
)
from skimage.data import hubble_deep_field

from astro_galclass.gradcam import plot_gradcam
from astro_galclass.morphology import MorphologyClassifier

# %%
# Detection on the mean of the three colours, after subtracting a
# photutils background, with overlapping sources deblended; the 16 sources
# with the largest isophotal area are kept.
rgb = hubble_deep_field()
grey = rgb.mean(axis=2)
background = Background2D(grey, 64, filter_size=3)
data = grey - background.background
kernel = make_2dgaussian_kernel(3.0, size=5)
convolved = convolve(data, kernel)
segments = detect_sources(convolved, 3 * background.background_rms, n_pixels=40)
segments = deblend_sources(convolved, segments, n_pixels=40, progress_bar=False)
sources = SourceCatalog(data, segments, convolved_data=convolved).to_table(
    columns=['label', 'x_centroid', 'y_centroid', 'area', 'semimajor_axis'])
sources.sort('area', reverse=True)
sources = sources[:16]
print(f'{segments.n_labels} detections; classifying the {len(sources)} largest')

# %%
# One square cutout per galaxy, six times its semi-major axis (the rms size
# along it) on a side (at least 32 pixels), from each colour plane; the
# classifier reframes it (the galaxy's Petrosian R90 measured with
# photutils) and resamples it to the network's 64 x 64 pixels. ``morph_flags``
# says where reframing failed (32) or needed pixels from outside the cutout
# (64).
cutouts = []
for row in sources:
    side = max(32, int(6 * row['semimajor_axis'].value))
    position = (row['x_centroid'], row['y_centroid'])
    planes = [Cutout2D(rgb[:, :, i], position, side, mode='partial', fill_value=0).data
              for i in range(3)]
    cutouts.append(np.stack(planes, axis=-1).astype(np.uint8))

model = MorphologyClassifier.pretrained()
table = model.classify(cutouts)        # a list of images of different sizes
table['label'] = sources['label']
smooth = 't01_smooth_or_features_a01_smooth_fraction'
featured = 't01_smooth_or_features_a02_features_or_disk_fraction'
edge_on = 't02_edgeon_a04_yes_fraction'
for name in (smooth, featured, edge_on):
    table[name].info.format = '.3f'
star = 't01_smooth_or_features_a03_star_or_artifact_fraction'
table[star].info.format = '.3f'
table['label', smooth, featured, star, edge_on, 'morph_flags'].pprint(max_width=-1)

# %%
# The cutouts with the model's smooth / featured / star-or-artifact
# fractions. Read them as a measure of the domain gap, not as morphologies.
# Version 4 (trained on simulated photographs with field stars, any framing
# and many photographic styles) gets the spirals featured, the larger
# ellipticals smooth (v3 called them featured) and a star with diffraction
# spikes "star or artifact"; but it overuses that answer: two compact
# ellipticals, the blue irregulars and a disturbed galaxy get it as their
# top vote, and a star whose reframing failed comes out smooth. Real use
# starts with fine-tuning on real labels
# (:ref:`sphx_glr_auto_examples_plot_fine_tune_morphology.py`).
fig, axes = plt.subplots(4, 4, figsize=(9, 9.5))
for ax, cutout, row in zip(axes.flat, cutouts, table, strict=True):
    ax.imshow(cutout, origin='lower')
    ax.set_title(f'{row["label"]}: s {row[smooth]:.2f} f {row[featured]:.2f}\n'
                 f'star {row[star]:.2f}', fontsize=8)
    ax.set_axis_off()
fig.suptitle('Hubble Deep Field: smooth (s), featured (f) and star-or-artifact fractions')
fig.tight_layout()

# %%
# Grad-CAM (`astro_galclass.gradcam`) for question 1, smooth or featured:
# for each galaxy, the pixels that raised the answer the model voted for, on
# the reframed image the network saw.
images = model.prepare(cutouts[:8])                 # reframed, as classified
maps, answers = model.gradcam(images, question='t01_smooth_or_features', reframe=False)
fig, axes = plt.subplots(2, 4, figsize=(9, 5))
for ax, image, cam, answer in zip(axes.flat, images, maps, answers, strict=True):
    plot_gradcam(image.transpose(1, 2, 0), cam, ax=ax, title=answer)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
