"""
Little red dots: sources the model has never seen
=================================================

JWST's deep fields hold "little red dots": compact sources at z ~ 4-9
with a blue rest-frame UV and a steep red rest-frame optical continuum,
many of them broad-line AGN. The simulator that trained the shipped
network has none, the network calls them brown dwarfs, and its
out-of-distribution score does not flag them (they look like a plausible
cold dwarf in seven broad bands). So the classifier applies the published
photometric selection (`~astro_galclass.highz.little_red_dots`; see
:ref:`highz-little-red-dots`) to every source and sets the flag
``LITTLE_RED_DOT``.

This example adds three little red dots (the colours of
`~astro_galclass.simulate.LITTLE_RED_DOT_MAGNITUDES`) to the mosaics of a
simulated JADES-deep field, classifies the field from a catalogue, and
shows where the flagged sources sit in the colour plane of the selection,
beside the little red dots that the simulator's ``'sky'`` population now
draws (`astro_galclass.simulate.population_lrd`; the ``'balanced'``
population of the shipped models still has none).
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.table import QTable, vstack
from astropy.wcs.utils import proj_plane_pixel_scales

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, extract_cutouts
from astro_galclass.nircam import (
    NIRCAM_BANDS,
    PSF_FWHM,
    aperture_fluxes,
    mag_to_njy,
    njy_to_mag,
)
from astro_galclass.simulate import LITTLE_RED_DOT_MAGNITUDES, NIRCamSimulator
from astro_galclass.simulate.population_lrd import (
    LITTLE_RED_DOT_SED,
    draw_little_red_dot_redshifts,
    little_red_dot_band_fluxes,
)
from astro_galclass.simulate.toy import render_gaussians

# %%
# A simulated field of the sky population (about 37" on a side), and three
# point sources with the colours of a little red dot, at F444W = 24.4,
# 24.9 and 25.4, added to every band's mosaic (MJy/sr, native pixels).
images, truth = NIRCamSimulator(seed=31, population='sky').make_field(
    n_sources=300, shape=(1200, 1200))
ny, nx = images['F444W'].data.shape
centre = images['F444W'].wcs.pixel_to_world((nx - 1) / 2, (ny - 1) / 2)
red_dots = SkyCoord([centre.spherical_offsets_by(dx * u.arcsec, dy * u.arcsec)
                     for dx, dy in [(-12, 8), (4, -14), (13, 11)]])
shifts = np.array([-1.0, -0.5, 0.0])
for b, band in enumerate(NIRCAM_BANDS):
    image = images[band]
    scale = proj_plane_pixel_scales(image.wcs.celestial).mean() * 3600 * u.arcsec
    flux = mag_to_njy(LITTLE_RED_DOT_MAGNITUDES[b] + shifts)                  # nJy
    added = render_gaussians(image.wcs, image.data.shape, red_dots, flux, PSF_FWHM[band])
    added = (added * u.nJy / scale ** 2).to_value(image.unit)
    images[band] = NDData(image.data + added.astype(np.float32), wcs=image.wcs,
                          unit=image.unit)

# %%
# The catalogue: the field's sources and the three little red dots.
catalog = vstack([QTable({'sky_centroid': truth['sky_centroid'],
                          'truth': truth['class']}),
                  QTable({'sky_centroid': red_dots, 'truth': ['little red dot'] * 3})])
clf = HighZClassifier.pretrained(device='cpu')
result = clf.classify_catalog(catalog, images, progress=False)
flags = np.asarray(result['highz_flags'])
red_dot = (flags & HighZFlag.LITTLE_RED_DOT) != 0
ood = (flags & HighZFlag.OUT_OF_DISTRIBUTION) != 0
print(f'{red_dot.sum()} of {len(result)} sources flagged LITTLE_RED_DOT, '
      f'{ood.sum()} OUT_OF_DISTRIBUTION')
print(result[red_dot]['truth', 'highz_class', 'p_brown_dwarf', 'highz_ood', 'highz_flags'])

# %%
# The network's answer for them is "brown dwarf", and ``highz_ood`` stays
# below 1: only the flag says that these probabilities deserve no trust.
# Where the sources sit in the selection's z > 6 colour plane (r = 0.3"
# aperture colours of the cutouts the classifier saw; a source is selected
# below the dotted line and right of the dashed one, if it is also compact
# and not a brown dwarf by its F115W - F200W):
cutouts, _ = extract_cutouts(images, result['sky_centroid'], bands=NIRCAM_BANDS)
fluxes = aperture_fluxes(cutouts, [0.3] * u.arcsec)[:, :, 0]
mag = njy_to_mag(np.clip(fluxes, 1e-3, None))          # AB; faint limits stay finite
bright = fluxes[:, -1] > mag_to_njy(28.5)
x = mag[:, 4] - mag[:, 6]            # F277W - F444W
y = mag[:, 2] - mag[:, 3]            # F150W - F200W
fig, ax = plt.subplots(figsize=(6, 4.5))
truth_class = np.asarray(result['truth'])
for name, colour in [('low_z', 'tab:blue'), ('high_z', 'tab:orange'),
                     ('brown_dwarf', 'tab:green')]:
    sel = bright & (truth_class == name) & ~red_dot
    ax.scatter(x[sel], y[sel], s=8, color=colour, label=f'{name} (simulated)')
ax.scatter(x[red_dot], y[red_dot], s=80, marker='*', color='crimson',
           label='flagged LITTLE_RED_DOT')
# the little red dots of the sky population (`population_lrd`: the
# published surface density, redshifts and V-shaped spectra), noise-free,
# at 6 <= z < 8 where the "red2" cuts apply
rng = np.random.default_rng(5)
z = draw_little_red_dot_redshifts(300, rng=rng, z_range=(6.0, 8.0))
mean, sigma, limits = LITTLE_RED_DOT_SED['beta_uv']
beta_uv = np.clip(rng.normal(mean, sigma, z.size), *limits)
mean, sigma, limits = LITTLE_RED_DOT_SED['beta_opt']
beta_opt = np.clip(rng.normal(mean, sigma, z.size), *limits)
ratio, _ = little_red_dot_band_fluxes(z, beta_uv, beta_opt, np.full(z.size, 400.0))
sky = -2.5 * np.log10(ratio)
ax.scatter(sky[:, 4] - sky[:, 6], sky[:, 2] - sky[:, 3], s=4, color='crimson', alpha=0.4,
           label='sky population LRDs, z = 6-8')
ax.axvline(0.7, color='k', ls='--', lw=1)
ax.axhline(0.8, color='k', ls=':', lw=1)
ax.set_xlabel('F277W - F444W')
ax.set_ylabel('F150W - F200W')
ax.set_xlim(-1.5, 3)
ax.set_ylim(-1, 2.5)
ax.set_title('F444W < 28.5: the "red2" cuts of the little-red-dot selection')
ax.legend(fontsize=8, loc='upper left')
fig.tight_layout()
plt.show()
