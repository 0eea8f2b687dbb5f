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

The thresholds are fitted here too (`fit_ood_statistics`, behind
`~astro_galclass.HighZClassifier.fit_ood`): the class Gaussians on one half
of some in-distribution sources, the thresholds of both scores on the other
half (`joint_thresholds`), optionally with a confidence bound on the rate
(`confident_rate`).
"""

import warnings
from dataclasses import dataclass
from functools import lru_cache

import astropy.units as u
import numpy as np
import torch
from scipy.ndimage import maximum_filter, minimum_filter

from astro_galclass.highz.flags import usable_bands
from astro_galclass.nircam import NATIVE_PIXEL_SCALE, PSF_FWHM

__all__ = ['OOD_FEATURES', 'OOD_SCORE', 'PIXEL_BUDGET', 'SINGLE_BAND_SCORE', 'OodSplit',
           'band_pixel_sizes', 'check_fit_options', 'confident_rate', 'fit_class_gaussians',
           'fit_ood_statistics', 'joint_thresholds', 'mahalanobis_score', 'single_band_score',
           'single_band_scores', 'split_for_ood']

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


#: Network features the Mahalanobis score can be computed on: name ->
#: (``(pooled, embedding) -> features``, ``model -> their width``).
OOD_FEATURES = {
    'embedding': (lambda pooled, emb: emb, lambda m: m.embedding_size),
    'pooled': (lambda pooled, emb: pooled, lambda m: m.head[0].in_features),
    'both': (lambda pooled, emb: torch.cat([pooled, emb], dim=1),
             lambda m: m.head[0].in_features + m.embedding_size),
}

#: Share of the false-flag budget of `fit_ood_statistics` given to the
#: pixel test: what it catches (cosmic rays, trails) scores orders of
#: magnitude above sources, so a small share costs it nothing and leaves the
#: rest to the embedding's score.
PIXEL_BUDGET = 0.2

#: Fewest held-out sources of each group that set the thresholds.
_MIN_PER_GROUP = 10


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


def band_pixel_sizes(bands, pixel_scale):
    """
    PSF FWHM and detector pixel of NIRCam bands, in pixels of a cutout grid.

    Parameters
    ----------
    bands : sequence of str
        NIRCam band names.
    pixel_scale : float
        Pixel scale of the cutouts, arcsec per pixel.

    Returns
    -------
    sizes : tuple of list, or None
        ``(fwhm_pix, native_pixels)``, the arguments of
        `single_band_score` for these bands (real cutouts are resampled
        from the detector pixels, 0.031" or 0.063"); None when a band is not
        NIRCam's.
    """
    if not set(bands) <= set(PSF_FWHM):
        return None
    fwhm = [PSF_FWHM[b].to_value(u.arcsec) / pixel_scale for b in bands]
    native = [NATIVE_PIXEL_SCALE[b].to_value(u.arcsec / u.pix) / pixel_scale for b in bands]
    return fwhm, native


def single_band_scores(values, bands, pixel_scale, *, chunk_size=256):
    """
    `single_band_score` of NIRCam cutouts, chunk by chunk (bounded memory).

    Parameters
    ----------
    values : `~numpy.ndarray`
        ``(N, n_bands, size, size)`` cutouts in the order of ``bands``.
    bands : sequence of str
        Their NIRCam bands.
    pixel_scale : float
        Their pixel scale, arcsec per pixel.
    chunk_size : int, optional
        Cutouts scored at once.

    Returns
    -------
    score : `~numpy.ndarray`
        ``(N,)``.
    """
    fwhm, native = band_pixel_sizes(bands, pixel_scale)
    out = np.zeros(len(values))
    for start in range(0, len(values), chunk_size):
        out[start:start + chunk_size] = single_band_score(values[start:start + chunk_size],
                                                          fwhm, native)
    return out


def joint_thresholds(mahalanobis, single, rate):
    """
    Thresholds of the two scores such that either flags ``rate`` of these sources.

    The pixel score gets `PIXEL_BUDGET` of the rate; the Mahalanobis
    threshold is then the lowest that keeps the union at ``rate``.

    Parameters
    ----------
    mahalanobis : `~numpy.ndarray`
        ``(N,)`` Mahalanobis scores of in-distribution sources.
    single : `~numpy.ndarray` or None
        ``(N,)`` their `single_band_score`; None when there is no pixel
        score (the Mahalanobis threshold alone is then the ``1 - rate``
        quantile).
    rate : float
        Share of the sources to flag.

    Returns
    -------
    threshold : float
        Of the Mahalanobis score.
    single_threshold : float or None
        Of the pixel score.
    """
    if single is None:
        return float(np.quantile(mahalanobis, 1 - rate)), None
    t_s = float(np.quantile(single, 1 - PIXEL_BUDGET * rate))
    lo, hi = 1 - rate, 1.0
    for _ in range(40):
        q = (lo + hi) / 2
        if np.mean((mahalanobis > np.quantile(mahalanobis, q)) | (single > t_s)) > rate:
            lo = q
        else:
            hi = q
    return float(np.quantile(mahalanobis, hi)), t_s


def confident_rate(n, rate, confidence):
    """
    The largest flagged share that stays at ``rate`` with probability ``confidence``.

    That is the largest k / n of ``n`` held-out sources whose
    Clopper-Pearson upper bound at ``confidence`` stays at or below
    ``rate``: a threshold set at that empirical share flags at most
    ``rate`` of fresh sources of the same kind with probability
    ``confidence`` (the quantile of a finite sample is itself uncertain).

    Parameters
    ----------
    n : int
        Number of held-out sources.
    rate : float
        The false-flag rate to stay below.
    confidence : float
        Probability of staying below it.

    Returns
    -------
    share : float or None
        None when even k = 0 is not enough: too few sources.
    """
    from scipy.stats import beta

    k = np.arange(n)
    ok = beta.ppf(confidence, k + 1, n - k) <= rate
    return float(k[ok].max() / n) if ok.any() else None


def check_fit_options(*, false_flag_rate, confidence, features):
    """
    Check the options of `~astro_galclass.HighZClassifier.fit_ood` before any work.

    Parameters
    ----------
    false_flag_rate : float
        Must be in (0, 0.5).
    confidence : float or None
        None or in [0.5, 1).
    features : str
        A key of `OOD_FEATURES`.
    """
    if not 0 < false_flag_rate < 0.5:
        msg = f'false_flag_rate must be in (0, 0.5), got {false_flag_rate!r}'
        raise ValueError(msg)
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(
            confidence, (int, float, np.floating)) or not 0.5 <= confidence < 1):
        msg = f'confidence must be None or a float in [0.5, 1), got {confidence!r}'
        raise ValueError(msg)
    if features not in OOD_FEATURES:
        msg = f'features must be one of {sorted(OOD_FEATURES)}, got {features!r}'
        raise ValueError(msg)


@dataclass
class OodSplit:
    """
    The halves of a `fit_ood_statistics` fit, and the rate each group's thresholds aim at.

    Made by `split_for_ood`.
    """

    fit: np.ndarray          # rows the class Gaussians are fitted on
    hold: np.ndarray         # rows that set the thresholds
    groups: np.ndarray       # (N,) the group of every row
    targets: dict            # group -> share of its held-out rows to flag
    false_flag_rate: float
    confidence: float | None

    @property
    def kinds(self):
        """The group of each held-out row."""
        return self.groups[self.hold]


def split_for_ood(n, *, groups=None, seed=0, false_flag_rate=0.01, confidence=None):
    """
    Split ``n`` sources into the halves of `fit_ood_statistics`, checking the groups.

    Parameters
    ----------
    n : int
        Number of in-distribution sources.
    groups : array-like, optional
        ``(n,)`` the kind of each source (e.g. ``'direct'`` and ``'mosaic'``
        for simulated cutouts drawn on the model grid and cut out of
        mosaics; default one kind). `fit_ood_statistics` then takes the
        highest thresholds any kind needs, so that no kind has more than
        its target share of its held-out sources flagged.
    seed : int, optional
        Seed of the random half split.
    false_flag_rate : float, optional
        Share of each group's held-out sources to flag.
    confidence : float, optional
        With a value such as 0.95, aim each kind's thresholds at a smaller
        share of its held-out sources, its `confident_rate`: the largest
        whose Clopper-Pearson upper bound at this confidence is
        ``false_flag_rate``, so that fresh sources of that kind are flagged
        at most at that rate with this probability (the quantile of a few
        thousand sources is uncertain by about a fifth at 1%). Needs
        ``log(1 - confidence) / log(1 - false_flag_rate)`` held-out sources
        per kind at least (299 for 0.95 and 1%).

    Returns
    -------
    split : `OodSplit`
    """
    groups = np.zeros(n, int) if groups is None else np.asarray(groups)
    if groups.shape != (n,):
        msg = f'groups must be one label per cutout ({n}), got shape {groups.shape}'
        raise ValueError(msg)
    order = np.random.default_rng(seed).permutation(n)
    fit, hold = order[:n // 2], order[n // 2:]
    kinds = groups[hold]
    targets = {}
    for kind in np.unique(groups):
        n_kind = int(np.sum(kinds == kind))
        if n_kind < _MIN_PER_GROUP:
            msg = (f'group {str(kind)!r} has {n_kind} sources in the half '
                   f'that sets the thresholds; at least {_MIN_PER_GROUP} are needed')
            raise ValueError(msg)
        targets[kind] = float(false_flag_rate)
        if confidence is not None:
            targets[kind] = confident_rate(n_kind, false_flag_rate, confidence)
            if targets[kind] is None:
                need = int(np.ceil(np.log(1 - confidence) / np.log(1 - false_flag_rate)))
                msg = (f'group {str(kind)!r} has {n_kind} sources in the half that sets '
                       f'the thresholds; a false-flag rate of {false_flag_rate} at '
                       f'confidence {confidence} needs at least {need}')
                raise ValueError(msg)
    return OodSplit(fit=fit, hold=hold, groups=groups, targets=targets,
                    false_flag_rate=float(false_flag_rate), confidence=confidence)


def fit_ood_statistics(split, features, labels, single, *, n_classes, feature_name,
                       description):
    """
    The out-of-distribution statistics of a network, fitted on in-distribution sources.

    The class Gaussians of ``features`` (`fit_class_gaussians`) are fitted on
    the rows ``split.fit``; on the rows ``split.hold``, the thresholds of the
    Mahalanobis score and of the pixel score are set per group
    (`joint_thresholds`) and the highest each group needs is kept, so that
    no group is flagged above its target.

    Parameters
    ----------
    split : `OodSplit`
        The halves and the target rates (`split_for_ood`).
    features : `~numpy.ndarray`
        ``(N, D)`` network features of every source.
    labels : `~numpy.ndarray`
        ``(N,)`` class index of every source.
    single : `~numpy.ndarray` or None
        `single_band_score` of the held-out rows, in the order of
        ``split.hold``; None without a pixel score.
    n_classes : int
        Number of classes.
    feature_name : str
        Key of `OOD_FEATURES` the features are, for the metadata.
    description : str
        What the sources are, for the metadata.

    Returns
    -------
    statistics : dict
        The weights metadata's ``'ood'`` entry.
    summary : dict
        What `~astro_galclass.HighZClassifier.fit_ood` returns.
    """
    fit, hold, kinds, targets = split.fit, split.hold, split.kinds, split.targets
    means, precision = fit_class_gaussians(features[fit], labels[fit], n_classes)
    scores = mahalanobis_score(features[hold], means, precision)
    kind_names = np.unique(split.groups)
    thresholds = []
    for kind in kind_names:
        mine = kinds == kind
        thresholds.append(joint_thresholds(
            scores[mine], None if single is None else single[mine], targets[kind]))
    # the highest each group needs: no group is flagged above the rate
    threshold = max(t[0] for t in thresholds)
    single_threshold = None if single is None else max(t[1] for t in thresholds)
    flagged = scores > threshold
    if single is not None:
        flagged |= single > single_threshold
    stats = {
        'score': OOD_SCORE, 'features': feature_name, 'means': means.tolist(),
        'precision': precision.tolist(),
        'threshold': threshold, 'single_band_score': SINGLE_BAND_SCORE,
        'single_band_threshold': single_threshold,
        'highz_ood': 'max(mahalanobis / threshold, single_band / single_band_threshold)',
        'false_flag_rate': split.false_flag_rate,
        'n_fit': len(fit), 'n_threshold': len(hold), 'fitted_on': str(description)}
    if split.confidence is not None:
        stats['confidence'] = float(split.confidence)
    if len(thresholds) > 1:
        stats['threshold_groups'] = [str(k) for k in kind_names]
    summary = {'threshold': threshold, 'single_band_threshold': single_threshold,
               'n_fit': len(fit), 'n_threshold': len(hold),
               'false_flag_rate': float(np.mean(flagged))}
    if len(thresholds) > 1:
        summary['false_flag_rate_by_group'] = {
            str(kind): float(np.mean(flagged[kinds == kind])) for kind in kind_names}
    if split.confidence is not None:
        summary['target_rate_by_group'] = {str(k): v for k, v in targets.items()}
    return stats, summary
