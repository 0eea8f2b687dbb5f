# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
From calibrated fluxes to a photograph as people publish them: a stretch
(asinh, log or clipped linear), a colour balance, sometimes one grey band,
8-bit quantisation and JPEG compression. Each image draws its own settings
(domain randomisation, Tobin et al. 2017, arXiv:1703.06907), so that a
network trained on them does not learn one pipeline's look.
"""

import io

import numpy as np

#: Share of images per stretch.
STRETCHES = {'asinh': 0.5, 'log': 0.2, 'linear': 0.3}
#: Share of monochrome (one grey band) images.
MONOCHROME = 0.15
#: Share of JPEG-compressed images (the rest are 8-bit quantised only).
JPEG = 0.6


def draw_settings(rng, n):
    """Per-image photographic settings, as columns (dict of arrays)."""
    names = list(STRETCHES)
    return {
        'stretch': np.array(names)[rng.choice(len(names), n, p=list(STRETCHES.values()))],
        'stretch_strength': np.exp(rng.uniform(np.log(3), np.log(30), n)),
        'white_percentile': rng.uniform(99.0, 99.95, n),
        'black_percentile': rng.uniform(0.0, 30.0, n),
        'colour_gain': np.exp(rng.normal(0, 0.15, (n, 3))),
        'monochrome': rng.uniform(size=n) < MONOCHROME,
        'jpeg_quality': np.where(rng.uniform(size=n) < JPEG, rng.integers(40, 96, n), 0),
    }


def photograph(flux, row):
    """
    One ``(3, H, W)`` flux image (red, green, blue) -> RGB float32 in [0, 1].

    ``row`` holds the settings of `draw_settings`.
    """
    flux = np.asarray(flux, float) * np.asarray(row['colour_gain'], float)[:, None, None]
    if row['monochrome']:
        flux = np.repeat(flux.mean(axis=0, keepdims=True), 3, axis=0)
    luminance = flux.mean(axis=0)
    white = np.percentile(luminance, row['white_percentile'])
    black = np.percentile(luminance, row['black_percentile']) if row['stretch'] == 'linear' \
        else 0.0
    span = white - black if white > black else 1.0
    x = (flux - black) / span
    a = row['stretch_strength']
    if row['stretch'] == 'asinh':
        rgb = np.arcsinh(a * x) / np.arcsinh(a)
    elif row['stretch'] == 'log':
        rgb = np.log1p(a * np.clip(x, 0, None)) / np.log1p(a)
    else:
        rgb = x
    rgb = np.clip(rgb, 0, 1)
    quality = int(row['jpeg_quality'])
    img = np.rint(np.moveaxis(rgb, 0, -1) * 255).astype(np.uint8)
    if quality:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(img).save(buffer, format='JPEG', quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as jpeg:
            img = np.asarray(jpeg.convert('RGB'))
    return np.ascontiguousarray(np.moveaxis(img, -1, 0), dtype=np.float32) / 255.0
