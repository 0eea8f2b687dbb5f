# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The inference engine of a `~astro_galclass.HighZClassifier`.

`InferenceEngine` turns prepared cutouts (nJy per pixel, the model's band
order, NaN where there is no data) into what the classifier returns: the
`~astro_galclass.highz.HighZFlag` bits, the probabilities at a class mix,
the out-of-distribution score and the Monte Carlo dropout samples, in one
pass of the network per batch. The classifier's methods and
`~astro_galclass.highz._catalog.CatalogRun` both use it; it reads only the
classifier's public attributes, at each call, so that it always sees the
classifier's current state (temperature, statistics, precision, device).
"""

import numpy as np
import torch

from astro_galclass.highz.bands import MIN_BANDS, band_mask_input, usable_bands
from astro_galclass.highz.flags import UNCLASSIFIED, HighZFlag, cutout_flags
from astro_galclass.highz.ood import (
    OOD_FEATURES,
    band_pixel_sizes,
    mahalanobis_score,
    single_band_scores,
)
from astro_galclass.highz.red_dots import little_red_dots
from astro_galclass.nircam import check_priors, shift_priors

__all__ = ['MC_DROPOUT_SAMPLES', 'InferenceEngine', 'uncertainty_samples']

#: Monte Carlo dropout samples of ``uncertainty=True``.
MC_DROPOUT_SAMPLES = 30


def uncertainty_samples(uncertainty):
    """
    Number of Monte Carlo dropout samples of the ``uncertainty`` option.

    Parameters
    ----------
    uncertainty : bool or int
        False or None (none), True (`MC_DROPOUT_SAMPLES`) or a number >= 2.

    Returns
    -------
    n : int
    """
    if uncertainty is False or uncertainty is None:
        return 0
    if uncertainty is True:
        return MC_DROPOUT_SAMPLES
    if isinstance(uncertainty, (int, np.integer)) and uncertainty >= 2:
        return int(uncertainty)
    msg = ('uncertainty must be True, False or a number of dropout samples >= 2, got '
           f'{uncertainty!r}')
    raise ValueError(msg)


class InferenceEngine:
    """
    Flags, probabilities, scores and dropout samples of prepared cutouts.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        The classifier whose network runs (its public attributes only).
    """

    def __init__(self, classifier):
        self.classifier = classifier

    # -- the network's input --------------------------------------------

    def input_tensor(self, chunk):
        """
        The network's input for prepared cutouts: normalised, on the device.

        NaN and infinite pixels are set to zero; a network with a
        band-availability input gets the bands each cutout has.

        Parameters
        ----------
        chunk : `~numpy.ndarray`
            ``(n, n_bands, size, size)`` nJy per pixel.

        Returns
        -------
        x : `torch.Tensor`
        """
        clf = self.classifier
        available = usable_bands(chunk) if clf.band_mask else None
        chunk = np.nan_to_num(chunk, nan=0.0, posinf=0.0, neginf=0.0)
        x = torch.from_numpy(chunk).to(clf.device, torch.float32)
        x = clf.normalization(x)
        if available is not None:
            x = band_mask_input(x, torch.from_numpy(available).to(clf.device))
        return x.contiguous(memory_format=clf.memory_format)

    def batches(self, values):
        """
        Input tensors of at most ``batch_size`` cutouts.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.

        Yields
        ------
        x : `torch.Tensor`
        """
        step = self.classifier.batch_size
        for start in range(0, len(values), step):
            yield self.input_tensor(values[start:start + step])

    def infer(self, values, forward, empty_shape, *, progress=False):
        """
        ``forward(x)`` over the batches of ``values``, as float64.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.
        forward : callable
            Input tensor -> output tensor ``(batch, ...)``.
        empty_shape : tuple of int
            Shape of the result for no cutout.
        progress : bool, optional
            Show a progress bar.

        Returns
        -------
        out : `~numpy.ndarray`
        """
        return self.classifier.infer(values, forward, empty_shape=empty_shape,
                                     progress=progress)

    # -- flags ----------------------------------------------------------------

    def flags(self, values, given, outside=None):
        """
        `~astro_galclass.highz.HighZFlag` bits of prepared cutouts, from the bands given.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.
        given : `~numpy.ndarray`
            ``(n_bands,)`` bool: bands with data (an image or cutouts).
        outside : `~numpy.ndarray`, optional
            ``(N, n_bands, size, size)`` bool: pixels off the mosaics.

        Returns
        -------
        flags : `~numpy.ndarray`
            ``(N,)`` int32.
        """
        band_mask = self.classifier.band_mask
        if given.all():
            return cutout_flags(values, outside, min_bands=MIN_BANDS if band_mask else None)
        if not band_mask:             # classify_catalog without an image for some band
            flags = cutout_flags(values[:, given], None if outside is None
                                 else outside[:, given]) if given.any() else \
                np.zeros(len(values), np.int32)
            return flags | HighZFlag.BAND_MISSING
        return cutout_flags(values[:, given], None if outside is None else outside[:, given],
                            min_bands=MIN_BANDS)

    def red_dots(self, values):
        """
        ``LITTLE_RED_DOT`` bits of prepared cutouts (NaN in bands not given).

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.

        Returns
        -------
        flags : `~numpy.ndarray`
            ``(N,)`` int32.
        """
        clf = self.classifier
        hits = little_red_dots(values, bands=clf.bands, pixel_scale=clf.pixel_scale)
        return np.where(hits, int(HighZFlag.LITTLE_RED_DOT), 0).astype(np.int32)

    # -- probabilities and scores ----------------------------------------------

    def evaluate(self, values, flags, target=None, *, uncertainty=0, progress=False,
                 ood=True):
        """
        Probabilities, out-of-distribution scores and Monte Carlo samples.

        One pass of the network per batch: the pooled features give the
        embedding (for ``highz_ood``), the logits and, with ``uncertainty``
        samples, the head's dropout samples (seeded: reproducible for a
        given batch size).

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.
        flags : `~numpy.ndarray`
            Their flags: rows with an ``UNCLASSIFIED`` bit are not run.
        target : `~numpy.ndarray`, optional
            Class mix of the probabilities (`~astro_galclass.highz._priors.resolve_priors`);
            None for the training mix.
        uncertainty : int, optional
            Dropout samples (0: none).
        progress : bool, optional
            Show a progress bar.
        ood : bool, optional
            Compute the scores (NaN otherwise).

        Returns
        -------
        probs : `~numpy.ndarray`
            ``(N, n_classes)``, NaN rows where not classifiable.
        ood : `~numpy.ndarray`
            ``(N,)``, NaN without statistics.
        draws : `~numpy.ndarray` or None
            ``(N, uncertainty, n_classes)``, None without ``uncertainty``.
        """
        clf = self.classifier
        n, n_classes = len(values), len(clf.classes)
        probs = np.full((n, n_classes), np.nan)
        want_ood, ood = ood, np.full(n, np.nan)
        draws = np.full((n, uncertainty, n_classes), np.nan) if uncertainty else None
        ok = (flags & UNCLASSIFIED) == 0
        if not ok.any():
            return probs, ood, draws
        model, temperature = clf.model, clf.temperature
        stats = clf.metadata.get('ood') if want_ood else None
        features = OOD_FEATURES['embedding' if stats is None else stats.get('features',
                                                                            'embedding')]
        size = features[1](model)

        def forward(x):
            pooled = model.pool(x)
            emb = model.head(pooled)
            parts = [torch.softmax((model.classifier(emb) / temperature).double(), dim=1),
                     features[0](pooled, emb).double()]
            if uncertainty:
                samples = torch.softmax((model.sample_logits(pooled, uncertainty)
                                         / temperature).double(), dim=2)
                parts.append(samples.permute(1, 0, 2).reshape(len(x), -1))
            return torch.cat(parts, dim=1)

        width = n_classes + size + (uncertainty * n_classes if uncertainty else 0)
        device = clf.device
        with torch.random.fork_rng(devices=[device] if device.type == 'cuda' else []):
            torch.manual_seed(0)                  # reproducible dropout samples
            out = self.infer(values[ok], forward, (0, width), progress=progress)
        trained = check_priors(clf.training_priors, clf.classes)
        p = out[:, :n_classes]
        probs[ok] = p if target is None else shift_priors(p, trained, target)
        if stats is not None:
            ood[ok] = self.ood_combined(
                mahalanobis_score(out[:, n_classes:n_classes + size], stats['means'],
                                  stats['precision']),
                values[ok], stats)
        if uncertainty:
            samples = out[:, n_classes + size:].reshape(-1, n_classes)
            if target is not None:
                samples = shift_priors(samples, trained, target)
            draws[ok] = samples.reshape(-1, uncertainty, n_classes)
        return probs, ood, draws

    def ood_features(self, values, features):
        """
        Network features of the out-of-distribution score, and the network's class.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts.
        features : str
            A key of `~astro_galclass.highz.ood.OOD_FEATURES`.

        Returns
        -------
        features : `~numpy.ndarray`
            ``(N, D)``.
        own : `~numpy.ndarray`
            ``(N,)`` int: the network's most probable class.
        """
        pick, width = OOD_FEATURES[features]
        model = self.classifier.model

        def forward(x):
            # the features and the network's own class, in one pass
            pooled = model.pool(x)
            emb = model.head(pooled)
            own = model.classifier(emb).argmax(dim=1, keepdim=True)
            return torch.cat([pick(pooled, emb), own.to(emb.dtype)], dim=1)

        out = self.infer(values, forward, (0, width(model) + 1))
        return out[:, :-1], out[:, -1].astype(int)

    def has_pixel_score(self):
        """
        Whether the pixel-level score applies: every band is NIRCam's.

        Returns
        -------
        bool
        """
        clf = self.classifier
        return band_pixel_sizes(clf.bands, clf.metadata['pixel_scale']) is not None

    def single_band(self, values):
        """
        `~astro_galclass.highz.ood.single_band_score` of prepared cutouts.

        Parameters
        ----------
        values : `~numpy.ndarray`
            Prepared cutouts (NIRCam bands).

        Returns
        -------
        score : `~numpy.ndarray`
            ``(N,)``.
        """
        clf = self.classifier
        return single_band_scores(values, clf.bands, clf.metadata['pixel_scale'],
                                  chunk_size=4 * clf.batch_size)

    def ood_combined(self, mahalanobis, values, stats):
        """
        ``highz_ood``: each score over its threshold, the larger of the two.

        Parameters
        ----------
        mahalanobis : `~numpy.ndarray`
            Mahalanobis scores of the cutouts.
        values : `~numpy.ndarray`
            The prepared cutouts (for the pixel score).
        stats : dict
            The metadata's ``'ood'`` entry.

        Returns
        -------
        score : `~numpy.ndarray`
        """
        score = mahalanobis / float(stats['threshold'])
        if stats.get('single_band_threshold') is not None:
            score = np.maximum(score, self.single_band(values)
                               / float(stats['single_band_threshold']))
        return score
