"""
Check a mosaic's zero points before classifying
===============================================

A band with a wrong zero point changes every source's colours, and with
them every probability, without any per-source sign that something is
wrong. This example makes the classic mistake: the F277W mosaic of a
simulated JADES-deep field is converted from MJy/sr to nJy with the
short-wave pixel area (0.031"), not its own (0.063"), so it is 4.1 times
(1.54 mag) too faint. `~astro_galclass.highz.zero_point_offsets` compares
the median colours of the field's bright sources with those of the
simulated sky population the shipped model was trained on, finds the band,
and gives the correction (see :ref:`highz-zero-points`).
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
from astropy.nddata import NDData

from astro_galclass.demo import detect_sources_multiband
from astro_galclass.highz import extract_cutouts, zero_point_offsets
from astro_galclass.nircam import NATIVE_PIXEL_SCALE, NIRCAM_BANDS
from astro_galclass.simulate import NIRCamSimulator

# %%
# A simulated field of the sky population (about 1 arcmin^2), and its F277W
# mosaic scaled by the ratio of the two pixel areas.
images, truth = NIRCamSimulator(seed=21, population='sky').make_field(n_sources=900)
area = (NATIVE_PIXEL_SCALE['F090W'] / NATIVE_PIXEL_SCALE['F277W']).decompose() ** 2
wrong = dict(images)
f277w = images['F277W']
wrong['F277W'] = NDData(f277w.data * area.value, wcs=f277w.wcs, unit=f277w.unit)
print(f'F277W scaled by {area.value:.3f} ({-2.5 * np.log10(area.value):.2f} mag)')

# %%
# Detect the sources on the long-wave bands and cut them out as the
# classifier would.
detections = detect_sources_multiband(wrong, bands=('F356W', 'F444W'))
cutouts, _ = extract_cutouts(wrong, detections['sky_centroid'], bands=NIRCAM_BANDS,
                             progress=False)
print(f'{len(detections)} detections')

# %%
# The check: one row per band. F277W stands out.
check = zero_point_offsets(cutouts, depth='jades-deep')
check['offset'].info.format = '+.3f'
check['offset_err'].info.format = '.3f'
print(check)

# %%
# Correct the band by the measured offset and check again.
correction = 10 ** (0.4 * check['offset'][check['band'] == 'F277W'][0].to_value(u.mag))
fixed = cutouts.copy()
fixed[:, NIRCAM_BANDS.index('F277W')] *= correction
again = zero_point_offsets(fixed, depth='jades-deep')
print(f'F277W multiplied by {correction:.2f}; suspect bands now: '
      f"{[str(b) for b in again['band'][again['suspect']]] or 'none'}")

# %%
# The offsets before and after, with the 0.3 mag tolerance.
fig, ax = plt.subplots(figsize=(7, 3.5))
x = np.arange(len(NIRCAM_BANDS))
for shift, table, label in ((-0.15, check, 'F277W in wrong units'),
                            (0.15, again, 'after the correction')):
    ax.errorbar(x + shift, table['offset'].to_value(u.mag),
                yerr=table['offset_err'].to_value(u.mag), fmt='o', label=label)
ax.axhspan(-0.3, 0.3, color='0.9', label='tolerance')
ax.axhline(0, color='k', lw=0.5)
ax.set_xticks(x, NIRCAM_BANDS)
ax.set_ylabel('offset (mag; > 0: too faint)')
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
