# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
An out-of-distribution score on the network's embedding.

The score of a source is its smallest squared Mahalanobis distance to the
class means of the training data in the penultimate-layer embedding, with
one covariance shared by the classes (Lee et al. 2018, NeurIPS, "A simple
unified framework for detecting out-of-distribution samples and
adversarial attacks"). The covariance is the Ledoit-Wolf shrinkage estimate
of scikit-learn, stable with a few thousand sources in 256 dimensions.
Sources unlike anything the network was trained on (artefacts, blends,
objects of other kinds) land far from every class mean.

Beside it, `single_band_score` looks at the pixels for what no astronomical
source does: a feature sharper than the band's PSF that no neighbouring band
shows (cosmic rays, hot pixels, thin trails), the test behind L.A.Cosmic's
fine-structure criterion (van Dokkum 2001, PASP 113, 1420) made across
bands. ``highz_ood`` is the larger of the two scores, each in units of its
threshold.
"""

import warnings
from functools import lru_cache

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter

from astro_galclass.highz.flags import usable_bands

__all__ = ['OOD_SCORE', 'SINGLE_BAND_SCORE', 'fit_class_gaussians', 'mahalanobis_score',
           'single_band_score']

#: What the single-band artefact score measures, written into the weights metadata.
SINGLE_BAND_SCORE = ('largest excess, in robust noise units, of a high-pass pixel (minus '
                     'the mean of its 4 neighbours) over both 30x the high-pass of the '
                     'nearest observed bands '
                     '(3x3 max) and 1.3x the point-spread function\'s own high-pass '
                     'fraction (at most 0.6; on the cutout grid or on the detector pixels '
                     'interpolated onto it, the larger) of the pixel value')

#: A feature brighter, in the high-pass image, than this many times what the
#: neighbouring bands show at the same place is a candidate single-band artefact.
_NEIGHBOUR_RATIO = 30.0
#: Margin on the high-pass fraction of the PSF, and its cap (the short-wave
#: PSFs are about as sharp as a pixel: there the neighbours decide).
_PSF_MARGIN, _PSF_CAP = 1.3, 0.6

#: What ``highz_ood`` measures, written into the weights metadata.
OOD_SCORE = ('smallest squared Mahalanobis distance to the class means of the '
             'penultimate-layer embedding, covariance shared by the classes '
             '(Lee et al. 2018), Ledoit-Wolf shrinkage')


def fit_class_gaussians(embedding, labels, n_classes):
    """
    Class means and the shared precision matrix of an embedding.

    Parameters
    ----------
    embedding : array-like
        ``(N, D)`` embeddings of in-distribution sources.
    labels : array-like of int
        ``(N,)`` class of each source.
    n_classes : int
        Number of classes; each must have at least two sources.

    Returns
    -------
    means : `~numpy.ndarray`
        ``(n_classes, D)``.
    precision : `~numpy.ndarray`
        ``(D, D)``, the inverse of the shared covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.highz.ood import fit_class_gaussians, mahalanobis_score
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3)) + np.repeat([[0, 0, 0], [5, 0, 0]], 200, axis=0)
    >>> means, precision = fit_class_gaussians(x, np.repeat([0, 1], 200), 2)
    >>> score = mahalanobis_score([[0, 0, 0], [2.5, 8, 0]], means, precision)
    >>> bool(score[0] < 1 < 30 < score[1])
    True
    """
    from sklearn.covariance import LedoitWolf

    x = np.asarray(embedding, float)
    labels = np.asarray(labels, int)
    if x.ndim != 2 or labels.shape != (len(x),):
        msg = (f'embedding must be (N, D) and labels (N,), got shapes {x.shape} and '
               f'{labels.shape}')
        raise ValueError(msg)
    counts = np.bincount(labels, minlength=n_classes)
    if counts.min() < 2:
        msg = f'every class needs at least two sources to fit; counts per class {counts}'
        raise ValueError(msg)
    means = np.stack([x[labels == c].mean(axis=0) for c in range(n_classes)])
    centred = x - means[labels]
    precision = LedoitWolf(assume_centered=True).fit(centred).precision_
    return means, precision


def mahalanobis_score(embedding, means, precision):
    """
    Smallest squared Mahalanobis distance of each row to the class means.

    Parameters
    ----------
    embedding : array-like
        ``(N, D)``.
    means : array-like
        ``(n_classes, D)``.
    precision : array-like
        ``(D, D)``.

    Returns
    -------
    score : `~numpy.ndarray`
        ``(N,)``; larger is less like the training data.
    """
    x = np.asarray(embedding, float)
    means = np.asarray(means, float)
    precision = np.asarray(precision, float)
    diff = x[:, None, :] - means[None, :, :]                  # (N, C, D)
    d2 = np.einsum('ncd,de,nce->nc', diff, precision, diff)
    return d2.min(axis=1) if len(x) else np.zeros(0)


def _high_pass(image):
    """The pixel minus the mean of its four neighbours (edges repeated), over the last two axes."""
    padded = np.pad(image, [(0, 0)] * (image.ndim - 2) + [(1, 1), (1, 1)], mode='edge')
    neighbours = (padded[..., :-2, 1:-1] + padded[..., 2:, 1:-1]
                  + padded[..., 1:-1, :-2] + padded[..., 1:-1, 2:])
    return image - 0.25 * neighbours


def _gaussian_pixels(edges, centre, sigma):
    """Integral of a unit 1-D Gaussian over each interval between consecutive ``edges``."""
    from scipy.special import erf

    cdf = 0.5 * (1 + erf((edges - centre) / (np.sqrt(2) * sigma)))
    return np.diff(cdf)


@lru_cache(maxsize=64)
def _psf_sharpness(fwhm_pix, native=1.0):
    """
    Largest high-pass / peak of a Gaussian PSF as it reaches the cutout.

    ``native`` is the size of the detector pixels in cutout pixels. At 1 the
    PSF is integrated over the cutout's own pixels (data rendered on that
    grid). Above 1 it is integrated over the native pixels, which are then
    interpolated bilinearly at the cutout's pixel centres, as
    `~astro_galclass.highz.extract_cutouts` (and drizzle-like resampling)
    does: the interpolation leaves ridges at the native pixels that are
    sharper than the PSF rendered on the finer grid. The largest value over
    sub-pixel source positions and grid phases is returned.
    """
    sigma, size = fwhm_pix / 2.3548, 15
    best = 0.0
    shifts = np.linspace(0, 0.5, 6)
    for dx in shifts:
        for dy in shifts:
            if native <= 1.0:
                edges = np.arange(size + 1) - size / 2
                gx = _gaussian_pixels(edges, dx, sigma)
                gy = _gaussian_pixels(edges, dy, sigma)
            else:
                n = int(np.ceil(size / native)) + 2
                edges = (np.arange(n + 1) - n / 2) * native
                centres = 0.5 * (edges[:-1] + edges[1:])
                grid = np.arange(size) - size // 2
                # the native pixels' values (flux per native pixel), interpolated
                # at the cutout pixel centres; the scale does not matter here
                gx = np.interp(grid, centres, _gaussian_pixels(edges, dx, sigma))
                gy = np.interp(grid, centres, _gaussian_pixels(edges, dy, sigma))
            psf = np.outer(gy, gx)
            best = max(best, float((_high_pass(psf) / psf.max()).max()))
    return best


def single_band_score(values, fwhm_pix, native_pixels=None):
    """
    Strength of the sharpest feature that only one band shows.

    For each band, the high-pass image (the pixel minus the mean of its
    four neighbours, a discrete Laplacian) is compared with (a) thirty
    times the high-pass, 3x3 maximum, of the nearest observed band on
    either side, and (b) the
    largest high-pass fraction a point source can have in that band
    (from its PSF FWHM, with a margin of 1.3, at most 0.6) times the pixel
    value. Data resampled from coarser detector pixels (``native_pixels``)
    have sharper ridges than a PSF drawn on the cutout grid, and the
    sharpness is that of the PSF on the native pixels interpolated onto
    the grid, or on the grid itself, whichever is larger. The excess over
    both, divided by the band's robust (MAD) noise of the high-pass image,
    is maximised over pixels and bands. Only pixels whose 3x3 neighbourhood
    has data in the band and in the bands it is compared with are tested
    (not the border, nor the edge of a mosaic or a chip gap inside the
    cutout). A real
    source, however sharp, shows up in its neighbouring bands or is no
    sharper than the PSF; a cosmic ray or a thin trail is neither. The
    score is dimensionless (any flux unit).

    Parameters
    ----------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)`` cutouts, bands blue to red; NaN marks
        missing pixels (a band without data is skipped, and its neighbours
        compare with the next observed band).
    fwhm_pix : sequence of float
        The PSF FWHM of each band, in pixels of the cutouts.
    native_pixels : sequence of float, optional
        The detector pixel of each band in pixels of the cutouts (for
        NIRCam at 0.03"/pix: 1.03 short wave, 2.1 long wave); by default 1,
        data drawn on the cutout grid.

    Returns
    -------
    score : `~numpy.ndarray`
        ``(N,)``. Pure noise scores about 2-3 in cutouts drawn on the
        model grid and 3-5 in cutouts of resampled mosaics (their noise is
        smoother at the cutout scale). The shipped threshold, 6.9, is
        where 0.12% of simulated in-distribution sources of either kind
        score (``benchmarks/bench_highz_ood.py``): the noise of mosaic
        cutouts.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.highz.ood import single_band_score
    >>> cutouts = np.random.default_rng(0).normal(0, 1, (2, 7, 32, 32))
    >>> cutouts[1, 3, 16, 16] += 200                     # a hot pixel in one band
    >>> score = single_band_score(cutouts, [1, 1.3, 1.7, 2.2, 3, 3.8, 4.7])
    >>> bool(score[0] < 6 < 50 < score[1])
    True
    """
    values = np.asarray(values, dtype=np.float32)
    fwhm_pix = np.asarray(fwhm_pix, dtype=float)
    if values.ndim != 4 or len(fwhm_pix) != values.shape[1]:
        msg = (f'expected cutouts (N, n_bands, size, size) and one FWHM per band, got shape '
               f'{values.shape} and {len(fwhm_pix)} FWHM')
        raise ValueError(msg)
    native_pixels = (np.ones(len(fwhm_pix)) if native_pixels is None
                     else np.asarray(native_pixels, dtype=float))
    if native_pixels.shape != fwhm_pix.shape or not np.all(native_pixels > 0):
        msg = (f'native_pixels must be one positive size per band ({len(fwhm_pix)}), got '
               f'{native_pixels.tolist()}')
        raise ValueError(msg)
    n, n_bands = values.shape[:2]
    score = np.zeros(n)
    if n == 0:
        return score
    observed = usable_bands(values)
    # a pixel is tested where it and its 3x3 neighbours have data (not the
    # cutout border, nor next to a mosaic edge or chip gap inside it: the
    # zeros that stand in for missing data would make any source there
    # look sharp)
    finite = np.isfinite(values)
    testable = minimum_filter(finite.astype(np.uint8), size=(1, 1, 3, 3),
                              mode='constant', cval=0).astype(bool)
    v = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    high = _high_pass(v)
    if finite.all():
        high -= np.median(high, axis=(-2, -1), keepdims=True)
        sigma = 1.4826 * np.median(np.abs(high), axis=(2, 3))              # (N, bands)
    else:
        # the noise from the pixels with data only (a band without any
        # gets NaN, then 0, and is skipped below)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            high -= np.nan_to_num(np.nanmedian(np.where(finite, high, np.nan), axis=(-2, -1),
                                               keepdims=True))
            sigma = np.nan_to_num(1.4826 * np.nanmedian(
                np.where(finite, np.abs(high), np.nan), axis=(2, 3)))
    peak = maximum_filter(high, size=(1, 1, 3, 3), mode='nearest')
    score[:] = -np.inf
    # the nearest observed band on each side of each band, per source (-1: none)
    index = np.arange(n_bands)
    below = np.full((n, n_bands), -1)
    above = np.full((n, n_bands), -1)
    for b in range(n_bands):
        lower = observed[:, :b] * (index[:b] + 1)          # 1-based, 0 where unobserved
        below[:, b] = lower.max(axis=1, initial=0) - 1
        upper = np.where(observed[:, b + 1:], index[b + 1:], n_bands)
        nearest = upper.min(axis=1, initial=n_bands)
        above[:, b] = np.where(nearest < n_bands, nearest, -1)
    rows = np.arange(n)
    for b in range(n_bands):
        fwhm = round(float(fwhm_pix[b]), 3)
        sharp = max(_psf_sharpness(fwhm), _psf_sharpness(fwhm, round(float(native_pixels[b]), 3)))
        own = min(_PSF_MARGIN * sharp, _PSF_CAP)
        floor = own * np.maximum(v[:, b], 0)
        support = np.zeros_like(v[:, b])
        tested = testable[:, b].copy()
        for neighbour in (below[:, b], above[:, b]):
            has = neighbour >= 0
            if has.any():
                support[has] = np.maximum(support[has], _NEIGHBOUR_RATIO
                                          * peak[rows[has], neighbour[has]])
                # the neighbouring band must have data there too
                tested[has] &= testable[rows[has], neighbour[has]]
        excess = np.where(tested, high[:, b] - np.maximum(support, floor),
                          -np.inf).max(axis=(1, 2))
        ok = observed[:, b] & (sigma[:, b] > 0)
        score[ok] = np.maximum(score[ok], excess[ok] / sigma[ok, b])
    score[~np.isfinite(score)] = 0.0
    return score
