# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Framing images the way the training images were framed.

Galaxy Zoo 2 images are scaled to the galaxy: 0.02 Petrosian R90 (r band)
per pixel (Willett et al. 2013), so the galaxy fills the same share of
every frame, and the morphology networks learn that framing. Real cutouts
come framed any way. `measure_framing` finds the central galaxy (photutils
segmentation with deblending) and measures its Petrosian R90 on the image
(photutils curve of growth, SDSS definition: Petrosian ratio 0.2 over the
annulus 0.8-1.25 r, Petrosian flux within twice the Petrosian radius);
`reframe` crops around it and resamples (Pillow, bicubic with
antialiasing) to the side the network was trained on, in units of that R90.

The measurement runs on the mean of the three colour channels of the
image as given (stretched, 8-bit or JPEG): it is not the SDSS R90 of the
fluxes, but it is what the same measurement gives on the training images,
so the training framing is stated in the same units (`training_framing`).
"""

import warnings

import numpy as np
from astropy.convolution import convolve
from astropy.stats import sigma_clipped_stats
from astropy.utils.exceptions import AstropyUserWarning

__all__ = ['GZ2_FRAME_R90', 'PADDED_AREA', 'SIMULATOR_FRAMING', 'FramingFailed',
           'measure_framing', 'reframe', 'training_framing']

#: Petrosian ratio defining the Petrosian radius (SDSS).
PETROSIAN_ETA = 0.2
#: Largest distance (fraction of the shorter side) of the central source's
#: centroid from the image centre.
CENTRE_TOLERANCE = 0.2


#: Side of a Galaxy Zoo 2 Kaggle crop in units of the galaxy's Petrosian
#: R90 (r band): the GZ2 images are 424 pixels of 0.02 petroR90_r
#: (Willett et al. 2013, MNRAS 435, 2835), the Kaggle recipe keeps the
#: central 210 of them, so 210 x 0.02 = 4.2 R90.
GZ2_FRAME_R90 = 4.2

#: The framing of each simulator's images, in `measure_framing`'s units
#: (side over measured R90 of its ellipticals and disks): ``frame_r90`` the
#: typical framing (the median for ``'clean'``, what the shipped v3 model was
#: trained on; the Galaxy Zoo 2 Kaggle framing, 4.2, for ``'photograph'``)
#: and ``frame_r90_range`` the 10th-90th percentiles of the training
#: images' framings. Recomputed by ``tests/morphology/test_framing.py``.
SIMULATOR_FRAMING = {
    'clean': {'frame_r90': 3.6, 'frame_r90_range': (2.8, 5.6)},
    'photograph': {'frame_r90': GZ2_FRAME_R90, 'frame_r90_range': (3.0, 8.3)},
}

#: Share of the output that may come from outside the input before a
#: reframed image counts as padded.
PADDED_AREA = 0.1


class FramingFailed(ValueError):
    """The central galaxy or its Petrosian radius could not be measured."""


def _luminance(rgb):
    rgb = np.asarray(rgb, float)
    if rgb.ndim != 3 or rgb.shape[0] != 3:
        msg = f'expected an RGB image (3, H, W), got shape {rgb.shape}'
        raise ValueError(msg)
    return rgb.mean(axis=0)


def _background(image):
    """Sigma-clipped median and standard deviation of the image's border."""
    h, w = image.shape
    width = max(2, int(0.1 * min(h, w)))
    border = np.ones_like(image, bool)
    border[width:h - width, width:w - width] = False
    values = image[border & np.isfinite(image)]
    _, median, std = sigma_clipped_stats(values, sigma=3.0)
    return float(median), float(std)


def measure_framing(rgb):
    """
    Centre and Petrosian radii of the galaxy at the centre of an image.

    Parameters
    ----------
    rgb : array-like
        ``(3, H, W)`` image (any scale; NaN pixels count as background).

    Returns
    -------
    x, y : float
        Centroid of the central source (pixels, 0-based).
    r_petrosian, r90 : float
        Petrosian radius and Petrosian R90 (pixels).

    Raises
    ------
    FramingFailed
        No source near the centre, or no Petrosian radius inside the image
        (the galaxy fills or overflows the frame).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.morphology.framing import measure_framing
    >>> yy, xx = np.mgrid[:101, :101] - 50.0
    >>> disk = np.exp(-np.hypot(xx, yy) / 4.0)          # exponential, scale 4 px
    >>> noise = np.random.default_rng(0).normal(0, 1e-3, (3, 101, 101))
    >>> x, y, rp, r90 = measure_framing(disk[None] + noise)
    >>> print(f'{r90 / 4.0:.1f}')   # 3.89 scale lengths for a continuous exponential
    3.8
    """
    from photutils.profiles import CurveOfGrowth
    from photutils.segmentation import (
        SourceCatalog,
        deblend_sources,
        detect_sources,
        make_2dgaussian_kernel,
    )
    from photutils.utils.exceptions import NoDetectionsWarning

    image = _luminance(rgb)
    h, w = image.shape
    median, std = _background(image)
    data = np.where(np.isfinite(image), image - median, 0.0)
    if not std > 0:
        std = max(1e-6, 1e-4 * float(np.abs(data).max()))
    smooth = convolve(data, make_2dgaussian_kernel(2.0, size=5), normalize_kernel=True)
    npix = max(5, int(2e-3 * h * w))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', AstropyUserWarning)
        warnings.simplefilter('ignore', NoDetectionsWarning)
        segm = detect_sources(smooth, 1.5 * std, npix)
        if segm is None:
            msg = 'no source detected in the image'
            raise FramingFailed(msg)
        try:
            segm = deblend_sources(smooth, segm, npix, n_levels=32, contrast=0.005,
                                   progress_bar=False)
        except ValueError:          # nothing to deblend in a tiny segment map
            pass
    cat = SourceCatalog(data, segm, convolved_data=smooth)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    label = int(segm.data[round(cy), round(cx)])
    xc, yc = np.asarray(cat.x_centroid, float), np.asarray(cat.y_centroid, float)
    if label == 0:
        d = np.hypot(xc - cx, yc - cy)
        best = int(np.nanargmin(d)) if np.isfinite(d).any() else None
        if best is None or d[best] > CENTRE_TOLERANCE * min(h, w):
            msg = 'no source at the centre of the image'
            raise FramingFailed(msg)
        label = int(cat.labels[best])
    index = int(np.flatnonzero(cat.labels == label)[0])
    x, y = float(xc[index]), float(yc[index])
    if not (np.isfinite(x) and np.isfinite(y)):
        x, y = cx, cy
    # the other sources (neighbours, field stars) are replaced by the background
    isolated = np.where((segm.data != 0) & (segm.data != label), 0.0, data)
    r_max = min(x, y, w - 1 - x, h - 1 - y)
    if r_max < 3:
        msg = 'the central source is at the edge of the image'
        raise FramingFailed(msg)
    radii = np.arange(0.5, r_max + 1e-9, 0.5)
    light = CurveOfGrowth(isolated, (x, y), radii).profile
    r = radii[radii * 1.25 <= r_max]
    r = r[r >= 1.0]

    def enclosed(radius):
        return np.interp(radius, np.concatenate([[0.0], radii]),
                         np.concatenate([[0.0], light]))

    inside = enclosed(r)
    annulus = (enclosed(1.25 * r) - enclosed(0.8 * r)) / (1.25 ** 2 - 0.8 ** 2)
    with np.errstate(divide='ignore', invalid='ignore'):
        eta = np.where(inside > 0, annulus / inside, np.nan)
    below = np.flatnonzero(eta < PETROSIAN_ETA)
    if not below.size:
        msg = ('the galaxy has no Petrosian radius inside the image (it fills or '
               'overflows the frame)')
        raise FramingFailed(msg)
    k = below[0]
    if k == 0:
        r_p = r[0]
    else:                            # interpolate the crossing
        e0, e1 = eta[k - 1], eta[k]
        r_p = r[k - 1] + (r[k] - r[k - 1]) * (e0 - PETROSIAN_ETA) / (e0 - e1)
    flux = enclosed(min(2 * r_p, r_max))
    if not flux > 0:
        msg = 'the central source has no positive flux'
        raise FramingFailed(msg)
    grid = np.linspace(0, min(2 * r_p, r_max), 400)
    r90 = float(np.interp(0.9 * flux, np.maximum.accumulate(enclosed(grid)), grid))
    return x, y, float(r_p), r90


def reframe(rgb, *, frame_r90, size, fill=None):
    """
    Crop and resample an image so that its central galaxy is framed for training.

    The output is centred on the galaxy, and its side in units of the
    galaxy's R90 is ``frame_r90``, or, for a range, the image's own framing
    brought into the range (a network trained on many framings is given
    the image as it is when its framing is one it learnt).

    Parameters
    ----------
    rgb : array-like
        ``(3, H, W)`` float image in [0, 1].
    frame_r90 : float or (float, float)
        Side of the output in units of the galaxy's R90 as `measure_framing`
        measures it, or the (low, high) range of the training framings
        (see `training_framing`).
    size : int
        Side of the output in pixels.
    fill : sequence of 3 floats, optional
        Value of the pixels outside the input (by default each channel's
        background: the sigma-clipped median of its border).

    Returns
    -------
    out : `~numpy.ndarray`
        ``(3, size, size)`` float32 in [0, 1].
    padded : bool
        Whether more than `PADDED_AREA` of the output comes from outside the
        input (filled with ``fill``).

    Raises
    ------
    FramingFailed
        As `measure_framing`.
    """
    from PIL import Image

    rgb = np.asarray(rgb, np.float32)
    x, y, _, r90 = measure_framing(rgb)
    h, w = rgb.shape[1:]
    if np.ndim(frame_r90) == 0:
        side = float(frame_r90) * r90
    else:
        low, high = (float(v) for v in frame_r90)
        side = float(np.clip(min(h, w) / r90, low, high)) * r90
    if not side >= 2:
        msg = f'the galaxy is too small to reframe (R90 {r90:.2g} pixels)'
        raise FramingFailed(msg)
    x0, y0 = x + 0.5 - side / 2, y + 0.5 - side / 2          # pixel edges
    pad = int(np.ceil(max(0.0, -x0, -y0, x0 + side - w, y0 + side - h))) + 2
    if fill is None:
        fill = [_background(c)[0] for c in rgb]
    out = np.empty((3, size, size), np.float32)
    for c in range(3):
        plane = np.pad(rgb[c], pad, constant_values=fill[c])
        box = (x0 + pad, y0 + pad, x0 + pad + side, y0 + pad + side)
        out[c] = np.asarray(Image.fromarray(plane, mode='F').resize(
            (size, size), Image.Resampling.BICUBIC, box=box))
    inside = (max(0.0, min(x0 + side, w) - max(x0, 0.0))
              * max(0.0, min(y0 + side, h) - max(y0, 0.0)))
    padded = 1 - inside / side ** 2 > PADDED_AREA
    return np.clip(out, 0, 1), bool(padded)


def training_framing(images):
    """
    The framing of a set of training images, as weights metadata.

    Parameters
    ----------
    images : array-like
        ``(N, 3, H, W)`` images, framed as the network will be trained.

    Returns
    -------
    framing : dict
        ``frame_r90``: the median of side over `measure_framing`'s R90;
        ``frame_r90_range``: its 10th and 90th percentiles;
        ``measured_on``: the number of images whose central galaxy could
        be measured.
    """
    ratios = []
    for image in np.asarray(images):
        try:
            ratios.append(image.shape[-1] / measure_framing(image)[3])
        except FramingFailed:
            continue
    if not ratios:
        msg = 'no image of the set could be measured'
        raise FramingFailed(msg)
    low, median, high = np.quantile(ratios, [0.1, 0.5, 0.9])
    return {'frame_r90': round(float(median), 3),
            'frame_r90_range': [round(float(low), 3), round(float(high), 3)],
            'measured_on': len(ratios)}
