# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The Astropy-facing high-redshift classifier."""

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import astropy.units as u
import numpy as np
import torch
from astropy.table import Column, MaskedColumn

from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz._catalog import CatalogJob, RowResults, sky_cell_order
from astro_galclass.highz._inputs import cutouts_to_array
from astro_galclass.highz.bands import MIN_BANDS, band_mask_input, check_band_subset, usable_bands
from astro_galclass.highz.flags import UNCLASSIFIED, HighZFlag, cutout_flags, zero_core_bands
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.highz.normalization import (
    AsinhNormalization,
    normalization_from_dict,
)
from astro_galclass.highz.ood import (
    OOD_SCORE,
    SINGLE_BAND_SCORE,
    fit_class_gaussians,
    mahalanobis_score,
    single_band_score,
)
from astro_galclass.highz.red_dots import little_red_dots
from astro_galclass.highz.resample import (
    _pixel_scale_arcsec,
    prepare_images,
    sample_chunk,
)
from astro_galclass.nircam import (
    DEFAULT_PIXEL_SCALE,
    HIGHZ_CLASSES,
    NATIVE_PIXEL_SCALE,
    NIRCAM_BANDS,
    PSF_FWHM,
    check_priors,
    shift_priors,
)
from astro_galclass.utils._classifier import ClassifierBase
from astro_galclass.utils._positions import catalog_positions
from astro_galclass.utils._progress import progress_bar
from astro_galclass.utils._tables import class_column
from astro_galclass.utils._validation import check_positive_float
from astro_galclass.utils._validation import check_positive_int as _check_positive_int

__all__ = ['HighZClassifier']

#: Share of unclassified rows above which `HighZClassifier.classify_catalog`
#: warns (the rows are kept, masked and flagged, in any case).
UNCLASSIFIED_WARNING_FRACTION = 0.5

#: Monte Carlo dropout samples of ``uncertainty=True``.
MC_DROPOUT_SAMPLES = 30

#: Network features of the out-of-distribution score: (pooled, embedding)
#: -> features, and their width.
_OOD_FEATURES = {
    'embedding': (lambda pooled, emb: emb, lambda m: m.embedding_size),
    'pooled': (lambda pooled, emb: pooled, lambda m: m.head[0].in_features),
    'both': (lambda pooled, emb: torch.cat([pooled, emb], dim=1),
             lambda m: m.head[0].in_features + m.embedding_size),
}


#: Share of the false-flag budget of `HighZClassifier.fit_ood` given to the
#: pixel test: what it catches (cosmic rays, trails) scores orders of
#: magnitude above sources, so a small share costs it nothing and leaves the
#: rest to the embedding's score.
_PIXEL_BUDGET = 0.2


def _joint_thresholds(mahalanobis, single, rate):
    """
    Thresholds of the two scores such that either flags ``rate`` of these sources.

    The pixel score gets ``_PIXEL_BUDGET`` of the rate; the Mahalanobis
    threshold is then the lowest that keeps the union at ``rate``.
    ``single`` may be None (no pixel score): the Mahalanobis threshold alone
    is the ``1 - rate`` quantile.
    """
    if single is None:
        return float(np.quantile(mahalanobis, 1 - rate)), None
    t_s = float(np.quantile(single, 1 - _PIXEL_BUDGET * rate))
    lo, hi = 1 - rate, 1.0
    for _ in range(40):
        q = (lo + hi) / 2
        if np.mean((mahalanobis > np.quantile(mahalanobis, q)) | (single > t_s)) > rate:
            lo = q
        else:
            hi = q
    return float(np.quantile(mahalanobis, hi)), t_s


def _confident_rate(n, rate, confidence):
    """
    The largest flagged share k / n of ``n`` held-out sources whose
    Clopper-Pearson upper bound at ``confidence`` stays at or below ``rate``.

    A threshold set at that empirical share flags at most ``rate`` of fresh
    sources of the same kind with probability ``confidence`` (the
    quantile of a finite sample is itself uncertain). None when even
    k = 0 is not enough: too few sources.
    """
    from scipy.stats import beta

    k = np.arange(n)
    ok = beta.ppf(confidence, k + 1, n - k) <= rate
    return float(k[ok].max() / n) if ok.any() else None


def _check_names(name, values):
    if isinstance(values, str) or not isinstance(values, Sequence):
        msg = f'{name} must be a sequence of str, got {type(values).__name__}'
        raise TypeError(msg)
    values = tuple(values)
    if not values or not all(isinstance(v, str) and v.isidentifier()
                             for v in values):
        msg = f'{name} must be non-empty identifiers, got {values}'
        raise ValueError(msg)
    if len(set(values)) != len(values):
        msg = f'{name} must be unique, got {values}'
        raise ValueError(msg)
    return values


class HighZClassifier(ClassifierBase):
    """
    Classify JWST/NIRCam sources as low-z galaxy, high-z galaxy or brown dwarf.

    The classifier wraps a `~astro_galclass.highz.LymanBreakCNN` with
    everything the network needs to be applied to astronomical data: band
    order, cutout size and pixel scale, flux unit and normalisation, class
    names and probability calibration. It takes cutouts as arrays,
    Quantities, NDData or Cutout2D objects, or a catalog of sky positions with
    one mosaic per band, and returns `~astropy.table.QTable` columns.

    Parameters
    ----------
    weights : str, path-like or `~astro_galclass.highz.LymanBreakCNN`
        A weights file written by `save`, or a model instance (trained by
        you, or freshly initialised). A model instance is used as is: it is
        moved to ``device`` and put in evaluation mode.
    device : str or `torch.device`, optional
        ``'auto'`` (CUDA when available, else the CPU), ``'cpu'``,
        ``'cuda'`` or ``'cuda:N'``.
    batch_size : int, optional
        Cutouts per forward pass.
    bands : sequence of str, optional
        Band order of the network's input channels. With a weights file,
        given only to check that the file matches.
    classes : sequence of str, optional
        Class order of the network's outputs. With a weights file, given
        only to check that the file matches.
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts the model expects (model instance only;
        default 0.03 arcsec/pix).
    cutout_size : int, optional
        Side in pixels of the cutouts the model expects (model instance
        only; default 64).
    normalization : `~astro_galclass.highz.AsinhNormalization`, optional
        Normalisation applied to cutouts in nJy per pixel (model instance
        only; default ``AsinhNormalization()``).
    name : str, optional
        Model name recorded in output tables and saved files (model instance
        only).
    training : str, optional
        Description of the training data and recipe, stored by `save`
        (model instance only).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from astro_galclass import HighZClassifier
    >>> from astro_galclass.highz import LymanBreakCNN
    >>> _ = torch.manual_seed(0)
    >>> clf = HighZClassifier(LymanBreakCNN(), device='cpu')
    >>> clf.classes
    ('low_z', 'high_z', 'brown_dwarf')
    >>> clf.pixel_scale
    <Quantity 0.03 arcsec / pix>
    >>> cutouts = np.random.default_rng(0).normal(0, 0.05, (2, 7, 64, 64))
    >>> t = clf.classify(cutouts)
    >>> t.colnames
    ['p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_class', 'highz_ood', 'highz_flags']
    >>> np.allclose(t['p_low_z'] + t['p_high_z'] + t['p_brown_dwarf'], 1)
    True
    """

    architectures = MappingProxyType({'LymanBreakCNN': LymanBreakCNN})
    required_metadata = ('architecture', 'architecture_kwargs', 'name', 'bands', 'classes',
                         'pixel_scale', 'cutout_size', 'normalization')
    meta_key = 'astro_galclass_highz'
    task = 'high-redshift classification'
    shipped_weights = 'highz_default.pt'
    channels_last_on_cpu = True

    def __init__(self, weights, *, device='auto', batch_size=64, bands=None,
                 classes=None, pixel_scale=None, cutout_size=None,
                 normalization=None, name=None, training=None):
        super().__init__(
            weights, device=device, batch_size=batch_size,
            model_options={'pixel_scale': pixel_scale, 'cutout_size': cutout_size,
                           'normalization': normalization, 'name': name,
                           'training': training},
            file_checks={'bands': bands, 'classes': classes})

    @classmethod
    def pretrained(cls, *, device='auto', batch_size=64):
        """
        The shipped model, trained on simulated JADES-deep NIRCam cutouts.

        The weights (``astro_galclass/data/highz_default.pt``, version 4)
        were trained by ``galclass train-highz --recipe shipped`` (version
        3) and ``--recipe head`` (its dense head retrained on both simulated
        populations) on cutouts of
        `~astro_galclass.simulate.NIRCamSimulator`, drawn directly and cut
        out of simulated mosaics; the simulator settings, seeds and recipe
        are in ``metadata``. Its default probabilities are a JADES-deep
        field's posteriors (`default_priors`: the sky's class mix, brown
        dwarfs 5e-5 of the sources); ``priors='training'`` gives equal
        thirds. Read the model card
        in the documentation before using it on real data: it has never
        seen a real JWST image, so validate it on sources of your field with
        known classes, or train your own model
        (`~astro_galclass.training.train_highz`).

        Parameters
        ----------
        device : str or `torch.device`, optional
        batch_size : int, optional

        Examples
        --------
        >>> from astro_galclass import HighZClassifier
        >>> clf = HighZClassifier.pretrained(device='cpu')
        >>> clf.classes
        ('low_z', 'high_z', 'brown_dwarf')
        >>> clf.metadata['simulator']['simulator']
        'NIRCamSimulator'
        """
        return cls._load_shipped(device=device, batch_size=batch_size)

    # -- construction ---------------------------------------------------

    def _metadata_for_model(self, model, *, bands, classes, pixel_scale,
                            cutout_size, normalization, name, training):
        bands = _check_names('bands', NIRCAM_BANDS if bands is None else bands)
        classes = _check_names('classes',
                               HIGHZ_CLASSES if classes is None else classes)
        if model.n_bands != len(bands):
            msg = (f'the model takes {model.n_bands} bands but {len(bands)} '
                   f'band names were given: {bands}')
            raise ValueError(msg)
        if model.n_classes != len(classes):
            msg = (f'the model has {model.n_classes} outputs but '
                   f'{len(classes)} class names were given: {classes}')
            raise ValueError(msg)
        if normalization is None:
            normalization = AsinhNormalization()
        if not hasattr(normalization, 'to_dict'):
            msg = ('normalization must be a normalisation object such as '
                   f'AsinhNormalization, got {type(normalization).__name__}')
            raise TypeError(msg)
        if name is not None and not isinstance(name, str):
            msg = f'name must be a str, got {type(name).__name__}'
            raise TypeError(msg)
        if training is not None and not isinstance(training, str):
            msg = f'training must be a str, got {type(training).__name__}'
            raise TypeError(msg)
        scale = _pixel_scale_arcsec(DEFAULT_PIXEL_SCALE if pixel_scale is None
                                    else pixel_scale)
        size = _check_positive_int('cutout_size',
                                   64 if cutout_size is None else cutout_size)
        pooling = 2 ** len(model.config['spatial_channels'])
        if size % pooling:
            msg = (f'cutout_size must be a multiple of {pooling} (the '
                   f"model's 2x2 poolings), got {size}")
            raise ValueError(msg)
        self.normalization = normalization
        return {
            'name': name or type(model).__name__,
            'architecture': type(model).__name__,
            'architecture_kwargs': dict(model.config),
            'bands': list(bands),
            'classes': list(classes),
            'pixel_scale': scale,
            'pixel_scale_unit': 'arcsec / pix',
            'cutout_size': size,
            'unit': 'nJy / pix',
            'normalization': normalization.to_dict(),
            'temperature': 1.0,
            'training': training or 'not recorded',
        }

    def _check_file_metadata(self, path, metadata, *, bands, classes):
        for what, given in (('bands', bands), ('classes', classes)):
            if given is not None and tuple(given) != tuple(metadata[what]):
                msg = (f'{path!s} was trained with {what} '
                       f'{tuple(metadata[what])}, but {what}={tuple(given)} '
                       'was passed')
                raise ValueError(msg)
        self.metadata.setdefault('temperature', 1.0)
        _check_names('bands', metadata['bands'])
        _check_names('classes', metadata['classes'])
        try:
            self._check_values(metadata)
            self.normalization = normalization_from_dict(metadata['normalization'])
        except (TypeError, ValueError, KeyError) as exc:
            msg = f'{path!s} has invalid metadata: {exc}'
            raise ValueError(msg) from exc

    def _check_values(self, metadata):
        """Types and ranges of the metadata a weights file brings (before use)."""
        self.temperature = metadata.get('temperature', 1.0)   # finite and > 0
        scale = metadata['pixel_scale']
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (
                np.isfinite(scale) and 0 < scale < 10):
            msg = f'pixel_scale must be a number of arcsec per pixel in (0, 10), got {scale!r}'
            raise ValueError(msg)
        size = metadata['cutout_size']
        pooling = 2 ** len(self.model.config['spatial_channels'])
        if isinstance(size, bool) or not isinstance(size, int) or not (
                pooling <= size <= 1024 and size % pooling == 0):
            msg = (f'cutout_size must be an int multiple of {pooling} between {pooling} and '
                   f'1024, got {size!r}')
            raise ValueError(msg)
        if len(metadata['bands']) != self.model.n_bands:
            msg = (f"{len(metadata['bands'])} bands named for a network of "
                   f'{self.model.n_bands} bands')
            raise ValueError(msg)
        if len(metadata['classes']) != self.model.n_classes:
            msg = (f"{len(metadata['classes'])} classes named for a network of "
                   f'{self.model.n_classes} outputs')
            raise ValueError(msg)
        for key in ('training_priors', 'default_priors'):
            if metadata.get(key) is not None:
                check_priors(metadata[key], tuple(metadata['classes']))
        stats = metadata.get('ood')
        if stats is not None:
            means = np.asarray(stats['means'], dtype=float)
            precision = np.asarray(stats['precision'], dtype=float)
            if (means.ndim != 2 or means.shape[0] != self.model.n_classes
                    or precision.shape != (means.shape[1],) * 2
                    or not (np.isfinite(means).all() and np.isfinite(precision).all())):
                msg = (f'ood statistics must hold finite means (n_classes, D) and a (D, D) '
                       f'precision, got {means.shape} and {precision.shape}')
                raise ValueError(msg)
            for key in ('threshold', 'single_band_threshold'):
                value = stats.get(key)
                if key == 'threshold' or value is not None:
                    check_positive_float(f'ood {key}', value)

    # -- properties ------------------------------------------------------

    @property
    def bands(self):
        """Band order of the model's input, blue to red."""
        return tuple(self.metadata['bands'])

    @property
    def classes(self):
        """Class order of the model's output."""
        return tuple(self.metadata['classes'])

    @property
    def pixel_scale(self):
        """Pixel scale of the cutouts the model expects (arcsec / pix)."""
        return self.metadata['pixel_scale'] * u.arcsec / u.pix

    @property
    def cutout_size(self):
        """Side of the model's cutouts in pixels."""
        return int(self.metadata['cutout_size'])

    @property
    def temperature(self):
        """
        Temperature dividing the logits before the softmax (calibration).

        Fitted on validation data by the training functions of
        `astro_galclass.training` (temperature scaling) and saved with the
        weights. It changes the probabilities, never the predicted class.
        """
        return float(self.metadata['temperature'])

    @temperature.setter
    def temperature(self, value):
        self.metadata['temperature'] = check_positive_float('temperature', value)

    @property
    def training_priors(self):
        """
        The class mix the network's probabilities assume (dict class -> fraction).

        The training functions record it in the weights metadata
        (``training_priors``): the class shares of the training data as the
        loss weighted them, so uniform for a class-balanced loss. Files
        without the entry (such as version 3 of the shipped model, trained on
        equal thirds with a class-balanced loss) are taken to be uniform.
        """
        recorded = self.metadata.get('training_priors')
        if recorded is None:
            return dict.fromkeys(self.classes, 1 / len(self.classes))
        return self._mix_dict(check_priors(recorded, self.classes))

    @property
    def default_priors(self):
        """
        The class mix of the probabilities returned when ``priors`` is not given.

        The weights metadata's ``default_priors`` when present, otherwise
        `training_priors` (the probabilities as the network gives them).
        """
        recorded = self.metadata.get('default_priors')
        if recorded is None:
            return self.training_priors
        return self._mix_dict(check_priors(recorded, self.classes))

    def _mix_dict(self, fractions):
        """Class -> fraction, from fractions in the order of `classes`."""
        return dict(zip(self.classes, np.asarray(fractions, float).tolist(), strict=True))

    def _resolve_priors(self, priors):
        """The target class mix as an array, or None when it is the training mix."""
        if priors is None:
            if self.metadata.get('default_priors') is None:
                return None
            priors = self.default_priors
        elif isinstance(priors, str):
            if priors != 'training':
                msg = (f"priors must be a dict class -> fraction, 'training' or None, "
                       f'got {priors!r}')
                raise ValueError(msg)
            return None
        target = check_priors(priors, self.classes)
        trained = check_priors(self.training_priors, self.classes)
        return None if np.array_equal(target, trained) else target

    def __repr__(self):
        return (f'<HighZClassifier {self.name!r}: bands={self.bands}, '
                f'classes={self.classes}, pixel_scale={self.pixel_scale}, '
                f'cutout_size={self.cutout_size}, device={self.device}>')

    # -- inference ------------------------------------------------------------

    @property
    def band_mask(self):
        """
        Whether the network takes a band-availability input.

        Such a network (``LymanBreakCNN(band_mask=True)``) classifies a
        source from any `min_bands` or more of its `bands`; other networks
        need every band.
        """
        return bool(getattr(self.model, 'band_mask', False))

    @property
    def min_bands(self):
        """Fewest bands a source is classified from: `MIN_BANDS` with `band_mask`, else all."""
        return MIN_BANDS if self.band_mask else len(self.bands)

    def _resolve_bands(self, bands, cutouts=None, what='bands'):
        """The bands given (validated), in the order of the input."""
        if bands is None:
            first = cutouts if isinstance(cutouts, Mapping) else (
                cutouts[0] if (isinstance(cutouts, Sequence) and not isinstance(cutouts, str)
                               and len(cutouts) and isinstance(cutouts[0], Mapping))
                else None)
            if first is None:
                return self.bands
            bands = [b for b in self.bands if b in first] + [b for b in first
                                                            if b not in self.bands]
        given = check_band_subset(bands, self.bands, minimum=1, what=what)
        if set(given) != set(self.bands) and not self.band_mask:
            msg = (f'{what}: the model {self.name!r} needs all its bands {list(self.bands)}, '
                   f'got {list(given)}; only a network with a band-availability input '
                   '(LymanBreakCNN(band_mask=True), e.g. from "galclass train-highz --recipe '
                   'bands") classifies band subsets')
            raise ValueError(msg)
        return check_band_subset(given, self.bands, minimum=self.min_bands, what=what)

    def _prepare(self, cutouts, bands, unit):
        """``(values, given)``: the flux array in model band order and the bands given."""
        given = self._resolve_bands(bands, cutouts)
        values = cutouts_to_array(cutouts, bands=given, size=self.cutout_size,
                                  pixel_scale=self.metadata['pixel_scale'], unit=unit)
        mask = np.isin(self.bands, given)
        if given == self.bands:
            return values, mask
        out = np.full((len(values), len(self.bands)) + values.shape[2:], np.nan,
                      dtype=values.dtype)
        for i, band in enumerate(given):
            out[:, self.bands.index(band)] = values[:, i]
        return out, mask

    def _flags(self, values, given, outside=None):
        """`HighZFlag` bits of prepared cutouts, from the bands given only."""
        if given.all():
            return cutout_flags(values, outside, min_bands=MIN_BANDS if self.band_mask else None)
        if not self.band_mask:             # classify_catalog without an image for some band
            flags = cutout_flags(values[:, given], None if outside is None
                                 else outside[:, given]) if given.any() else \
                np.zeros(len(values), np.int32)
            return flags | HighZFlag.BAND_MISSING
        return cutout_flags(values[:, given], None if outside is None else outside[:, given],
                            min_bands=MIN_BANDS)

    def _red_dots(self, values):
        """``LITTLE_RED_DOT`` bits of prepared cutouts (NaN in bands not given)."""
        hits = little_red_dots(values, bands=self.bands, pixel_scale=self.pixel_scale)
        return np.where(hits, int(HighZFlag.LITTLE_RED_DOT), 0).astype(np.int32)

    def prepare(self, cutouts, *, bands=None, unit=None):
        """
        Cutouts in any accepted form as the network's flux array.

        This is what `classify` and the training functions feed the network
        (before its `normalization`): band order `bands`, nJy per pixel.

        Parameters
        ----------
        cutouts : array, `~astropy.units.Quantity`, `~astropy.nddata.NDData`, \
dict or sequence of dict
            See `classify`.
        bands : sequence of str, optional
            See `classify`.
        unit : `~astropy.units.Unit` or str, optional
            Unit of unitless data; default nJy per model pixel.

        Returns
        -------
        flux : `~numpy.ndarray`
            ``(N, n_bands, cutout_size, cutout_size)`` in nJy per pixel, in
            the order of `bands`; NaN where pixels are missing or masked and
            in bands not given.
        """
        return self._prepare(cutouts, bands, unit)[0]

    def _input_tensor(self, chunk):
        """Normalised input tensor; NaN and infinite pixels set to zero."""
        available = usable_bands(chunk) if self.band_mask else None
        chunk = np.nan_to_num(chunk, nan=0.0, posinf=0.0, neginf=0.0)
        x = torch.from_numpy(chunk).to(self.device, torch.float32)
        x = self.normalization(x)
        if available is not None:
            x = band_mask_input(x, torch.from_numpy(available).to(self.device))
        return x.contiguous(memory_format=self.memory_format)

    def _probabilities(self, values, flags, target=None, progress=False):
        """Probabilities (N, n_classes), NaN rows where not classifiable."""
        return self._evaluate(values, flags, target, progress=progress, ood=False)[0]

    def _evaluate(self, values, flags, target=None, *, uncertainty=0, progress=False,
                  ood=True):
        """
        Probabilities, out-of-distribution scores and Monte Carlo spreads.

        One pass of the network per batch: the pooled features give the
        embedding (for ``highz_ood``), the logits and, with ``uncertainty``
        samples, the head's dropout samples. Returns ``(probs, ood, draws)``:
        ``(N, n_classes)``, ``(N,)`` (NaN without statistics) and the
        dropout samples ``(N, uncertainty, n_classes)`` or None; NaN rows
        where not classifiable. ``ood=False`` skips the scores (NaN).
        """
        n, n_classes = len(values), len(self.classes)
        probs = np.full((n, n_classes), np.nan)
        want_ood, ood = ood, np.full(n, np.nan)
        draws = np.full((n, uncertainty, n_classes), np.nan) if uncertainty else None
        ok = (flags & UNCLASSIFIED) == 0
        if not ok.any():
            return probs, ood, draws
        model, temperature = self.model, self.temperature
        stats = self.metadata.get('ood') if want_ood else None
        features = _OOD_FEATURES['embedding' if stats is None else stats.get('features',
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
        with torch.random.fork_rng(devices=[self.device] if self.device.type == 'cuda' else []):
            torch.manual_seed(0)                  # reproducible dropout samples
            out = self._infer(values[ok], forward, (0, width), progress=progress)
        trained = check_priors(self.training_priors, self.classes)
        p = out[:, :n_classes]
        probs[ok] = p if target is None else shift_priors(p, trained, target)
        if stats is not None:
            ood[ok] = self._ood_combined(
                mahalanobis_score(out[:, n_classes:n_classes + size], stats['means'],
                                  stats['precision']),
                values[ok], stats)
        if uncertainty:
            samples = out[:, n_classes + size:].reshape(-1, n_classes)
            if target is not None:
                samples = shift_priors(samples, trained, target)
            draws[ok] = samples.reshape(-1, uncertainty, n_classes)
        return probs, ood, draws

    @staticmethod
    def _uncertainty_samples(uncertainty):
        """Number of Monte Carlo dropout samples of the ``uncertainty`` option."""
        if uncertainty is False or uncertainty is None:
            return 0
        if uncertainty is True:
            return MC_DROPOUT_SAMPLES
        if isinstance(uncertainty, (int, np.integer)) and uncertainty >= 2:
            return int(uncertainty)
        msg = ('uncertainty must be True, False or a number of dropout samples >= 2, got '
               f'{uncertainty!r}')
        raise ValueError(msg)

    @property
    def ood_threshold(self):
        """
        ``highz_ood`` above which a source is flagged ``OUT_OF_DISTRIBUTION``.

        ``highz_ood`` is in units of its thresholds (see `fit_ood`), so this
        is 1.0; None when the model has no out-of-distribution statistics.
        """
        return None if self.metadata.get('ood') is None else 1.0

    def _fwhm_pix(self):
        """PSF FWHM of each band in model pixels; None for bands that are not NIRCam's."""
        if not set(self.bands) <= set(PSF_FWHM):
            return None
        scale = self.metadata['pixel_scale']
        return [PSF_FWHM[b].to_value(u.arcsec) / scale for b in self.bands]

    def _single_band(self, values):
        """`single_band_score` of prepared cutouts, in chunks (bounded memory)."""
        fwhm = self._fwhm_pix()
        # real cutouts are resampled from the detector pixels (0.031"/0.063")
        scale = self.metadata['pixel_scale']
        native = [NATIVE_PIXEL_SCALE[b].to_value(u.arcsec / u.pix) / scale for b in self.bands]
        out = np.zeros(len(values))
        step = 4 * self.batch_size
        for start in range(0, len(values), step):
            out[start:start + step] = single_band_score(values[start:start + step], fwhm,
                                                        native)
        return out

    def _ood_combined(self, mahalanobis, values, stats):
        """``highz_ood``: each score over its threshold, the larger of the two."""
        score = mahalanobis / float(stats['threshold'])
        if stats.get('single_band_threshold') is not None:
            score = np.maximum(score, self._single_band(values)
                               / float(stats['single_band_threshold']))
        return score

    def fine_tune(self, cutouts, labels, *, epochs=10, freeze='none', validation=0.2, lr=1e-4,
                  batch_size=None, patience=3, calibrate=True, seed=0, progress=True,
                  time_budget=None, name=None):
        """
        A copy of this classifier trained further on your labelled cutouts.

        Parameters
        ----------
        cutouts
            Any form `classify` accepts, in all of the model's bands (e.g.
            from `~astro_galclass.highz.extract_cutouts` around sources with
            spectroscopic redshifts or confirmed brown dwarfs).
        labels : array-like
            One per cutout: a class index or a class name (`classes`).
        epochs : int, optional
            Most epochs (default 10); early stopping with ``patience``
            restores the epoch of lowest validation loss.
        freeze : {'none', 'features'}, optional
            ``'features'`` trains only the dense head and output layer;
            ``'none'`` (default) trains all.
        validation : float or (cutouts, labels), optional
            Fraction held out (stratified by class, with ``seed``; default
            0.2), or a separate validation set.
        lr : float, optional
            Adam learning rate (default 1e-4), halved when the validation
            loss stalls.
        batch_size : int, optional
            Default the classifier's.
        patience : int, optional
            Epochs without improvement before stopping (default 3).
        calibrate : bool, optional
            Fit the temperature on the validation part (default True).
        seed, progress, time_budget :
            See `~astro_galclass.training.train_highz`.
        name : str, optional
            Name of the new model (default this one's plus ``-finetuned``).

        Returns
        -------
        classifier : `HighZClassifier`
            The fine-tuned classifier (this one is unchanged), with this
            one's bands, classes, pixel scale, normalisation and priors. Its
            ``metadata['fine_tune']`` holds the validation accuracy and log
            loss before and after (at the training priors), its ``history``
            attribute the losses per epoch. The out-of-distribution
            statistics described the old network and are not carried over:
            ``highz_ood`` is masked until you call `fit_ood` on the new one.

        Examples
        --------
        >>> from astro_galclass import HighZClassifier
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> cutouts, truth = NIRCamSimulator(seed=1).sample(30)
        >>> base = HighZClassifier.pretrained(device='cpu')
        >>> tuned = base.fine_tune(cutouts, truth['label'], epochs=1, progress=False)
        >>> tuned.classes == base.classes, 'ood' in tuned.metadata
        (True, False)
        """
        from astro_galclass.training.finetune import _fine_tune_highz

        return _fine_tune_highz(
            self, cutouts, labels, epochs=epochs, freeze=freeze, validation=validation, lr=lr,
            batch_size=batch_size, patience=patience, calibrate=calibrate, seed=seed,
            progress=progress, time_budget=time_budget, name=name)

    def fit_ood(self, cutouts, labels=None, *, bands=None, unit=None, false_flag_rate=0.01, seed=0,
                description='user data', features='embedding', groups=None, confidence=None):
        """
        Fit the out-of-distribution score to in-distribution cutouts.

        The class means and shared covariance of the network's embedding
        (`~astro_galclass.highz.ood.fit_class_gaussians`) are fitted on one
        half of the cutouts. On the other half, the thresholds of the
        Mahalanobis score and of the pixel-level
        `~astro_galclass.highz.ood.single_band_score` are set such that
        ``false_flag_rate`` of these sources exceed either (a fifth of it
        for the pixel test, whose targets score far above any source);
        ``highz_ood`` is then the larger of each score over its
        threshold, and above 1 (`ood_threshold`) a source is flagged
        ``OUT_OF_DISTRIBUTION``. The statistics go into `metadata`
        (``'ood'``) and are saved with the weights; the network is
        unchanged.

        Parameters
        ----------
        cutouts : array-like
            In-distribution cutouts (as for `classify`), a few thousand,
            every class represented.
        labels : array-like of int, optional
            True class indices; by default the network's own predictions.
        bands : sequence of str, optional
            As in `classify`.
        unit : `~astropy.units.Unit` or str, optional
            Unit of unitless data.
        false_flag_rate : float, optional
            Share of in-distribution sources to flag, in (0, 0.5).
        seed : int, optional
            Seed of the random half split.
        description : str, optional
            What the cutouts are, for the metadata.
        features : {'embedding', 'pooled', 'both'}, optional
            The network features the score is computed on: the
            penultimate-layer ``embedding`` (after the dense head), the
            ``pooled`` last convolutional stage (before it, less shaped by
            the classes), or both concatenated.
        groups : array-like, optional
            A label per cutout naming the kind of in-distribution source it
            is (e.g. ``'direct'`` and ``'mosaic'`` for simulated cutouts
            drawn on the model grid and cut out of mosaics). The thresholds
            are then the highest of those each kind needs, so that no kind
            has more than ``false_flag_rate`` of its held-out sources
            flagged. Default: one kind.
        confidence : float, optional
            With a value such as 0.95, each kind's thresholds are set for
            a smaller share of its held-out sources: the largest whose
            Clopper-Pearson upper bound at this confidence is
            ``false_flag_rate``, so that fresh sources of that kind are
            flagged at most at that rate with this probability (the
            quantile of a few thousand sources is uncertain by about a
            fifth at 1%). Needs ``log(1 - confidence) / log(1 -
            false_flag_rate)`` held-out sources per kind at least (299 for
            0.95 and 1%). Default: the empirical quantile.

        Returns
        -------
        summary : dict
            ``threshold`` (of the Mahalanobis score),
            ``single_band_threshold``, ``n_fit``, ``n_threshold``, the
            measured ``false_flag_rate`` on the threshold half and, with
            ``groups``, ``false_flag_rate_by_group``; with ``confidence``,
            ``target_rate_by_group``, the share each kind's thresholds were
            set for.
        """
        if not 0 < false_flag_rate < 0.5:
            msg = f'false_flag_rate must be in (0, 0.5), got {false_flag_rate!r}'
            raise ValueError(msg)
        if confidence is not None and (isinstance(confidence, bool) or not isinstance(
                confidence, (int, float, np.floating)) or not 0.5 <= confidence < 1):
            msg = f'confidence must be None or a float in [0.5, 1), got {confidence!r}'
            raise ValueError(msg)
        if features not in _OOD_FEATURES:
            msg = f'features must be one of {sorted(_OOD_FEATURES)}, got {features!r}'
            raise ValueError(msg)
        values, _ = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (len(values),) or not np.issubdtype(labels.dtype, np.integer):
                msg = (f'labels must be {len(values)} integer class indices, got '
                       f'{labels.dtype} of shape {labels.shape}')
                raise ValueError(msg)
        groups = np.zeros(len(values), int) if groups is None else np.asarray(groups)
        if groups.shape != (len(values),):
            msg = f'groups must be one label per cutout ({len(values)}), got shape {groups.shape}'
            raise ValueError(msg)
        order = np.random.default_rng(seed).permutation(len(values))
        fit, hold = order[:len(order) // 2], order[len(order) // 2:]
        kinds = groups[hold]
        targets = {}
        for kind in np.unique(groups):
            n_kind = int(np.sum(kinds == kind))
            if n_kind < 10:
                msg = (f'group {str(kind)!r} has {n_kind} sources in the half '
                       'that sets the thresholds; at least 10 are needed')
                raise ValueError(msg)
            targets[kind] = float(false_flag_rate)
            if confidence is not None:
                targets[kind] = _confident_rate(n_kind, false_flag_rate, confidence)
                if targets[kind] is None:
                    need = int(np.ceil(np.log(1 - confidence) / np.log(1 - false_flag_rate)))
                    msg = (f'group {str(kind)!r} has {n_kind} sources in the half that sets '
                           f'the thresholds; a false-flag rate of {false_flag_rate} at '
                           f'confidence {confidence} needs at least {need}')
                    raise ValueError(msg)
        pick, width = _OOD_FEATURES[features]
        model = self.model

        def forward(x):
            # the features and the network's own class, in one pass
            pooled = model.pool(x)
            emb = model.head(pooled)
            own = model.classifier(emb).argmax(dim=1, keepdim=True)
            return torch.cat([pick(pooled, emb), own.to(emb.dtype)], dim=1)

        out = self._infer(values, forward, (0, width(model) + 1))
        embedding = out[:, :-1]
        if labels is None:
            labels = out[:, -1].astype(int)
        means, precision = fit_class_gaussians(embedding[fit], labels[fit], len(self.classes))
        scores = mahalanobis_score(embedding[hold], means, precision)
        single = None if self._fwhm_pix() is None else self._single_band(values[hold])
        thresholds = []
        for kind in np.unique(groups):
            mine = kinds == kind
            thresholds.append(_joint_thresholds(
                scores[mine], None if single is None else single[mine], targets[kind]))
        # the highest each group needs: no group is flagged above the rate
        threshold = max(t[0] for t in thresholds)
        single_threshold = None if single is None else max(t[1] for t in thresholds)
        flagged = scores > threshold
        if single is not None:
            flagged |= single > single_threshold
        self.metadata['ood'] = {
            'score': OOD_SCORE, 'features': features, 'means': means.tolist(),
            'precision': precision.tolist(),
            'threshold': threshold, 'single_band_score': SINGLE_BAND_SCORE,
            'single_band_threshold': single_threshold,
            'highz_ood': 'max(mahalanobis / threshold, single_band / single_band_threshold)',
            'false_flag_rate': float(false_flag_rate),
            'n_fit': len(fit), 'n_threshold': len(hold), 'fitted_on': str(description)}
        if confidence is not None:
            self.metadata['ood']['confidence'] = float(confidence)
        if len(thresholds) > 1:
            self.metadata['ood']['threshold_groups'] = [str(k) for k in np.unique(groups)]
        summary = {'threshold': threshold, 'single_band_threshold': single_threshold,
                   'n_fit': len(fit), 'n_threshold': len(hold),
                   'false_flag_rate': float(np.mean(flagged))}
        if len(thresholds) > 1:
            summary['false_flag_rate_by_group'] = {
                str(kind): float(np.mean(flagged[kinds == kind])) for kind in np.unique(groups)}
        if confidence is not None:
            summary['target_rate_by_group'] = {str(k): v for k, v in targets.items()}
        return summary

    def ood_score(self, cutouts, *, bands=None, unit=None):
        """
        The out-of-distribution score ``highz_ood`` of each cutout.

        Parameters
        ----------
        cutouts, bands, unit
            As in `classify`.

        Returns
        -------
        score : `~numpy.ndarray`
            ``(N,)``; above `ood_threshold` the source is unlike the
            training data. NaN for sources that cannot be classified.
        """
        if self.metadata.get('ood') is None:
            msg = (f'the model {self.name!r} has no out-of-distribution statistics; fit '
                   'them on in-distribution cutouts with fit_ood')
            raise ValueError(msg)
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        return self._evaluate(values, self._flags(values, given))[1]

    def _priors_option(self, target):
        """The class mix of the returned probabilities, for the provenance."""
        return self.training_priors if target is None else self._mix_dict(target)

    def _check_data(self, values):
        if values.size and not np.isfinite(values).any():
            msg = ('the cutouts contain no finite value (all NaN, inf or '
                   'masked); expected image data')
            raise ValueError(msg)

    def predict_proba(self, cutouts, *, bands=None, unit=None, priors=None, progress=False):
        """
        Class probabilities, for use with scikit-learn style code.

        Parameters
        ----------
        cutouts : array, `~astropy.units.Quantity`, `~astropy.nddata.NDData`, \
dict or sequence of dict
            See `classify`.
        bands : sequence of str, optional
            See `classify`.
        unit : `~astropy.units.Unit` or str, optional
            Unit of unitless data; default nJy per model pixel.
        priors : dict, 'training' or None, optional
            The class mix of your field, class -> expected fraction (any
            positive numbers, normalised): the probabilities become the
            posteriors for that mix (Bayes' rule, `~astro_galclass.nircam.shift_priors`).
            High-z galaxies are a minority of a real field, so the same
            source has a lower ``p_high_z`` there than in a balanced test
            set. ``None`` uses `default_priors`; ``'training'`` the mix the
            network learnt (`training_priors`).
        progress : bool, optional
            Show a progress bar on stderr (only when it is a terminal).

        Returns
        -------
        proba : `~numpy.ndarray`
            ``(N, n_classes)`` in the order of `classes`; rows of sources
            that cannot be classified (see `classify`) are NaN.
        """
        target = self._resolve_priors(priors)
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        return self._probabilities(values, self._flags(values, given), target, progress)

    def predict_proba_samples(self, cutouts, *, n_samples=MC_DROPOUT_SAMPLES, bands=None,
                              unit=None,
                              priors=None):
        """
        Class probabilities of Monte Carlo dropout samples of the dense head.

        The spread of these samples is the ``p_<class>_std`` of
        ``classify(uncertainty=True)``; their mean is an ensemble estimate.
        The dropout masks are seeded, so the result is reproducible for a
        given ``batch_size``.

        Parameters
        ----------
        cutouts : array-like
            As in `predict_proba`.
        n_samples : int, optional
            Number of dropout samples (>= 2).
        bands, unit, priors
            As in `predict_proba`.

        Returns
        -------
        samples : `~numpy.ndarray`
            ``(N, n_samples, n_classes)``; NaN for sources that cannot be
            classified.
        """
        samples = self._uncertainty_samples(n_samples)
        target = self._resolve_priors(priors)
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        return self._evaluate(values, self._flags(values, given), target, uncertainty=samples,
                              ood=False)[2]

    def classify(self, cutouts, *, bands=None, unit=None, priors=None, uncertainty=False):
        """
        Classify cutouts.

        Parameters
        ----------
        cutouts : array, `~astropy.units.Quantity`, `~astropy.nddata.NDData`, \
dict or sequence of dict
            ``(N, n_bands, size, size)`` or ``(n_bands, size, size)``
            arrays in band order `bands`; or, for one source, a dict band ->
            2-D array, Quantity, `~astropy.nddata.NDData` or
            `~astropy.nddata.Cutout2D`; or a sequence of such dicts. Cutouts
            must be at the model's `pixel_scale` and centred on the source.
            Plain arrays are in nJy per pixel unless ``unit`` says
            otherwise; Quantities and NDData carry their unit (nJy, uJy,
            MJy/sr ...). NaN, infinite and masked pixels are set to zero and
            flagged.
        bands : sequence of str, optional
            The bands of the arrays' second axis, in that order (default:
            `bands`, all the model's bands). A model with a
            band-availability input (`band_mask`) takes any `min_bands` or
            more of its bands, e.g. ``('F115W', 'F150W', 'F277W',
            'F444W')`` for COSMOS-Web; other models need all of them. Dicts
            give their bands as keys, and ``bands`` is then taken from them.
        unit : `~astropy.units.Unit` or str, optional
            Unit of unitless data; default nJy per model pixel.
        priors : dict, 'training' or None, optional
            The class mix of your field (class -> expected fraction); see
            `predict_proba`.
        uncertainty : bool or int, optional
            Add ``p_<class>_std``: the standard deviation of each
            probability over Monte Carlo dropout samples of the dense head
            (``True``: `MC_DROPOUT_SAMPLES`; an int: that many). The
            convolutional stages run once, so the cost is small; the
            ``p_<class>`` columns stay the deterministic probabilities.

        Returns
        -------
        table : `~astropy.table.QTable`
            One row per cutout: ``p_<class>`` for each class (masked when the
            source cannot be classified), ``p_<class>_std`` with
            ``uncertainty``, ``highz_class``, ``highz_ood`` (the
            out-of-distribution score, `ood_score`; masked when the model
            has no statistics for it), ``highz_flags``
            (`~astro_galclass.highz.HighZFlag` bits; ``OUT_OF_DISTRIBUTION``
            above `ood_threshold`, ``LITTLE_RED_DOT`` where the published
            selection of little red dots holds,
            `~astro_galclass.highz.little_red_dots`) and, for a model with `band_mask`,
            ``highz_bands_used``: the bands the source was classified from,
            one bit per band of `bands` (bit ``i`` for ``bands[i]``; decode
            with `~astro_galclass.highz.band_names`).
            ``table.meta['astro_galclass_highz']`` holds the provenance,
            with the bands given.
        """
        target = self._resolve_priors(priors)
        samples = self._uncertainty_samples(uncertainty)
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        flags = self._flags(values, given) | self._red_dots(values)
        self._warn_zero_cores((zero_core_bands(values) & given).sum(axis=0), stacklevel=2)
        probs, ood, draws = self._evaluate(values, flags, target, uncertainty=samples)
        std = None if draws is None else draws.std(axis=1)
        used = usable_bands(values) & given if self.band_mask else None
        columns = self._result_columns(probs, flags, ood, std, used)
        options = {'unit': str(unit) if unit is not None else None,
                   'bands_given': [b for b, g in zip(self.bands, given, strict=True) if g],
                   'priors': self._priors_option(target), 'uncertainty': samples}
        return self._output(None, columns, options)

    def classify_catalog(self, catalog, images, *, position_column=None,
                         unit=None, overwrite=False, priors=None, uncertainty=False,
                         progress=True):
        """
        Classify the sources of a catalog from one mosaic per band.

        For every source, each band is resampled onto the model's grid
        (`pixel_scale`, `cutout_size`, north up and east left, the source at
        the centre) with flux conserved; see
        `~astro_galclass.highz.extract_cutouts`.

        Parameters
        ----------
        catalog : `~astropy.coordinates.SkyCoord` or `~astropy.table.Table`
            Source positions: a SkyCoord, or a table with a SkyCoord column
            (photutils' ``sky_centroid`` is found automatically) or RA/Dec
            columns with angle units.
        images : dict
            Band -> `~astropy.nddata.NDData`, `~astropy.nddata.CCDData`,
            FITS HDU or FITS path, each with a celestial WCS and a unit. The
            dict's keys are the bands: a model with a band-availability
            input (`band_mask`) takes any `min_bands` or more of its `bands`
            (COSMOS-Web's F115W, F150W, F277W and F444W, CEERS without
            F090W), classifies each source from those with data at its
            position and says so per row (``highz_bands_used``, flag
            ``BANDS_SUBSET``); for other models a band absent from the dict
            leaves every source unclassified (``BAND_MISSING``) with an
            `~astro_galclass.exceptions.AstroGalclassUserWarning`. A band
            the model does not know is an error. An image that overlaps no
            catalog position, and more than ``UNCLASSIFIED_WARNING_FRACTION``
            (half) of the rows unclassified, also warn.
        position_column : str or tuple of str, optional
            SkyCoord column, or (RA, Dec) column names, to use.
        unit : `~astropy.units.Unit` or str, optional
            Unit of images that carry none (units are all or none).
        overwrite : bool, optional
            Replace existing columns of the same names instead of raising.
        priors : dict, 'training' or None, optional
            The class mix of your field (class -> expected fraction); see
            `predict_proba`.
        uncertainty : bool or int, optional
            Add ``p_<class>_std`` columns; see `classify`.
        progress : bool, optional
            Show a progress bar on stderr (only when it is a terminal).

        Returns
        -------
        table : `~astropy.table.Table` or `~astropy.table.QTable`
            A copy of ``catalog`` (a QTable with a ``sky_centroid`` column
            for a SkyCoord) with the columns described in `classify` added;
            every row is kept in its order.

        See Also
        --------
        astro_galclass.distributed.classify_catalog
            The same table from a Dask cluster, or streamed to Parquet.

        Notes
        -----
        Sources are cut out and classified in chunks of ``4 * batch_size``
        taken in sky order (1-arcmin cells, Z order within a cell), so that
        a chunk reads one small window of each mosaic; mosaics given as FITS
        paths are read window by window, never whole. Memory is bounded by
        the chunk, not by the mosaics; what grows with the catalog is about
        0.4 kB a row (positions, results, the output table). See
        :ref:`survey-scale`.
        """
        job = self._catalog_job(catalog, images, position_column=position_column,
                                unit=unit, priors=priors, uncertainty=uncertainty)
        result = job.empty_result()
        with progress_bar(total=len(job.order), progress=progress, unit='source',
                          desc='classifying') as bar:
            for rows in job.chunks():
                result.put(rows, self._classify_rows(job.prepared, job.ra[rows],
                                                     job.dec[rows], job))
                bar.update(len(rows))
        return self._catalog_table(catalog, job, result, overwrite=overwrite, stacklevel=3)

    def _catalog_job(self, catalog, images, *, position_column, unit, priors,
                     uncertainty):
        """Validate the inputs of `classify_catalog` and plan its chunks."""
        target = self._resolve_priors(priors)
        samples = self._uncertainty_samples(uncertainty)
        if isinstance(images, dict) and images:
            # unknown bands are an error; a seven-band model warns about
            # missing ones (and flags BAND_MISSING) instead
            check_band_subset(list(images), self.bands, what='images',
                              minimum=self.min_bands if self.band_mask else 1)
        coords, valid, source = catalog_positions(catalog, position_column)
        prepared = prepare_images(images, self.bands, unit=unit)
        given = np.array([prepared[b] is not None for b in self.bands])
        n = len(coords)
        missing = [band for band, entry in prepared.items() if entry is None]
        if missing and n and not self.band_mask:
            warnings.warn(f'no image for the band(s) {missing}: the {n} sources cannot be '
                          f'classified (flag BAND_MISSING); the model needs {list(self.bands)}',
                          AstroGalclassUserWarning, stacklevel=3)
        icrs = coords.icrs
        options = {'position_column': source,
                   'unit': str(unit) if unit is not None else None,
                   'bands_given': [b for b in self.bands if b in images],
                   'priors': self._priors_option(target), 'uncertainty': samples}
        return CatalogJob(
            ra=np.asarray(icrs.ra.deg, float), dec=np.asarray(icrs.dec.deg, float),
            valid=valid, order=sky_cell_order(icrs, valid), chunk_size=4 * self.batch_size,
            prepared=prepared, given=given, target=target, samples=samples,
            n_classes=len(self.classes), n_bands=len(self.bands),
            band_mask=self.band_mask, options=options)

    def _classify_rows(self, prepared, ra, dec, job):
        """
        Classify the sources at ``ra``, ``dec`` (deg, ICRS) of one chunk.

        Returns the `RowResults` of those rows: what `classify_catalog`
        computes per source, and the per-band counts behind its warnings.
        """
        from astropy.coordinates import SkyCoord

        coords = SkyCoord(ra * u.deg, dec * u.deg, frame='icrs')
        values, outside = sample_chunk(prepared, coords, size=self.cutout_size,
                                       pixel_scale=self.metadata['pixel_scale'])
        part = RowResults.empty(len(ra), job)
        part.on_band += (~outside.all(axis=(2, 3))).sum(axis=0)
        part.flags |= self._flags(values, job.given, outside) | self._red_dots(values)
        part.zero_cores += (zero_core_bands(values) & job.given).sum(axis=0)
        if part.used is not None:
            part.used[:] = usable_bands(values) & job.given
        part.probs[:], part.ood[:], draws = self._evaluate(
            values, part.flags, job.target, uncertainty=job.samples)
        if job.samples:
            part.std[:] = draws.std(axis=1)
        return part

    def _catalog_table(self, catalog, job, result, *, overwrite, stacklevel):
        """The table of `classify_catalog` from the results of every row."""
        self._warn_zero_cores(result.zero_cores, stacklevel=stacklevel)
        self._warn_coverage(job.prepared, result.on_band, len(job.order), result.flags,
                            stacklevel=stacklevel + 1)
        columns = self._result_columns(result.probs, result.flags, result.ood,
                                       result.std, result.used)
        return self._output(catalog, columns, job.provenance_options(overwrite),
                            overwrite=overwrite)

    def _warn_unusable(self, values, given, what):
        """Say which sources a method without flags computes from zero-filled data."""
        flags = self._flags(values, given)
        bad = np.flatnonzero((flags & UNCLASSIFIED) != 0)
        if len(bad):
            reasons = sorted({flag.name for flag in HighZFlag
                              if flag & UNCLASSIFIED and np.any(flags[bad] & flag)})
            warnings.warn(f'{what}: {len(bad)} source(s) (rows {bad[:5].tolist()}'
                          f"{' ...' if len(bad) > 5 else ''}) cannot be classified ({reasons}); "
                          'their results come from zero-filled data', AstroGalclassUserWarning,
                          stacklevel=3)

    def _warn_zero_cores(self, counts, *, stacklevel):
        """Name the bands whose source cores are exact zeros (unexposed)."""
        named = {b: int(c) for b, c in zip(self.bands, counts, strict=True) if c}
        if named:
            warnings.warn(f'sources per band whose core is exact zeros (no exposure, as '
                          f'mosaics that store unexposed pixels as 0 have it): {named}; '
                          'these bands count as missing there, never as zero flux (flag '
                          'ZERO_CORE, and ' + ('BANDS_SUBSET, or BAND_MISSING with fewer than '
                                               f'{MIN_BANDS} bands left)' if self.band_mask
                                               else 'BAND_MISSING)'), AstroGalclassUserWarning,
                          stacklevel=stacklevel + 1)

    def _warn_coverage(self, prepared, on_band, n_valid, flags, *, stacklevel=3):
        """Warn about mosaics that miss the catalog and about many unclassified rows."""
        if n_valid:
            for band, covered in zip(prepared, on_band, strict=True):
                if prepared[band] is not None and covered == 0:
                    warnings.warn(f'the {band} image does not overlap any of the {n_valid} '
                                  'catalog positions: check its WCS and the catalog '
                                  'coordinates', AstroGalclassUserWarning,
                                  stacklevel=stacklevel)
        bad = (flags & UNCLASSIFIED) != 0
        if len(flags) and bad.mean() > UNCLASSIFIED_WARNING_FRACTION:
            reasons = {flag.name: int(np.sum((flags & flag) != 0)) for flag in HighZFlag
                       if flag & UNCLASSIFIED and np.any(flags & flag)}
            hint = ('; IMPLAUSIBLE_FLUX: check the images\' units (surface brightness '
                    'such as MJy/sr labelled as a flux such as MJy is read as flux per pixel, '
                    'orders of magnitude too bright)' if 'IMPLAUSIBLE_FLUX' in reasons else '')
            warnings.warn(f'{int(bad.sum())} of {len(flags)} rows could not be classified '
                          f'(more than {UNCLASSIFIED_WARNING_FRACTION:.0%}); rows per flag: '
                          f'{reasons}{hint}', AstroGalclassUserWarning, stacklevel=stacklevel)

    def embed(self, cutouts, *, bands=None, unit=None):
        """
        The network's penultimate-layer embedding of each cutout.

        A compact learned description of each source (its colours and
        shape as the network sees them), usable as features for other
        estimators, for instance the semi-supervised pipeline
        (`~astro_galclass.semisupervised.SemiSupervisedClassifier`).

        Parameters
        ----------
        cutouts, bands, unit
            As in `classify`.

        Returns
        -------
        embedding : `~numpy.ndarray`
            ``(N, model.embedding_size)`` float64.

        Examples
        --------
        >>> from astro_galclass import HighZClassifier
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> cutouts, truth = NIRCamSimulator(seed=2).sample(4)
        >>> HighZClassifier.pretrained(device='cpu').embed(cutouts).shape
        (4, 256)
        """
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        self._warn_unusable(values, given, 'embed')
        return self._infer(values, self.model.embed, (0, self.model.embedding_size))

    def feature_maps(self, cutouts, *, bands=None, unit=None):
        """
        Intermediate feature maps of the network.

        Parameters
        ----------
        cutouts, bands, unit
            As in `classify`.

        Returns
        -------
        maps : dict of `~numpy.ndarray`
            ``'stem'``, ``'spectral'``, ``'attention'`` and ``'spatial'``
            stage outputs, each ``(N, channels, height, width)``.
        """
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        self._warn_unusable(values, given, 'feature_maps')
        out = {}
        self.model.eval()
        with torch.inference_mode():
            for x in self._batches(values):
                for key, value in self.model.feature_maps(x).items():
                    out.setdefault(key, []).append(value.float().cpu().numpy())
        if not out:
            return {}
        return {key: np.concatenate(value) for key, value in out.items()}

    def gradcam(self, cutouts, *, class_name='high_z', bands=None, unit=None, stage=-1):
        """
        Grad-CAM maps: where in each cutout the evidence for a class lies.

        The gradient of the class logit (Selvaraju et al. 2017) with respect
        to the output of a spatial residual block weights its feature maps;
        see `astro_galclass.gradcam.grad_cam`.

        Parameters
        ----------
        cutouts
            As in `classify`.
        class_name : str, optional
            One of ``classes`` (default ``'high_z'``).
        bands, unit
            As in `classify`.
        stage : int, optional
            Which spatial residual block (default the last, whose maps are
            16 x 16 pixels for 64-pixel cutouts; 0 gives the first, at full
            resolution).

        Returns
        -------
        maps : `~numpy.ndarray`
            ``(N, cutout_size, cutout_size)`` in [0, 1].
        """
        from astro_galclass.gradcam import grad_cam

        if class_name not in self.classes:
            msg = f'class_name must be one of {self.classes}, got {class_name!r}'
            raise ValueError(msg)
        blocks = [m for m in self.model.spatial if isinstance(m, type(self.model.spatial[0]))]
        try:
            layer = blocks[stage]
        except (IndexError, TypeError):
            msg = f'stage must index one of the {len(blocks)} spatial blocks, got {stage!r}'
            raise ValueError(msg) from None
        c = self.classes.index(class_name)
        values, given = self._prepare(cutouts, bands, unit)
        self._check_data(values)
        self._warn_unusable(values, given, 'gradcam')
        self.model.eval()
        maps = [grad_cam(self.model, x, layer, lambda out: out[:, c])
                for x in self._batches(values)]
        return np.concatenate(maps) if maps else np.empty((0, self.cutout_size,
                                                           self.cutout_size))

    # -- tables -------------------------------------------------------------

    def _result_columns(self, probs, flags, ood=None, std=None, used=None):
        unclassified = np.isnan(probs).any(axis=1)
        flags = flags.astype(np.int32)
        # never a masked row without a flag saying why: probabilities that
        # came out NaN from finite inputs mean values the network cannot use
        silent = unclassified & ((flags & UNCLASSIFIED) == 0)
        flags[silent] |= HighZFlag.IMPLAUSIBLE_FLUX
        columns = {}
        for i, name in enumerate(self.classes):
            columns[f'p_{name}'] = MaskedColumn(
                np.where(unclassified, 0.0, probs[:, i]), mask=unclassified,
                dtype=np.float64, description=f'probability of class {name}')
        if std is not None:
            for i, name in enumerate(self.classes):
                columns[f'p_{name}_std'] = MaskedColumn(
                    np.where(unclassified, 0.0, std[:, i]), mask=unclassified,
                    dtype=np.float64,
                    description=f'Monte Carlo dropout standard deviation of p_{name}')
        best = np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1) \
            if len(probs) else np.zeros(0, int)
        labels = np.array(self.classes)[best] if len(probs) else np.zeros(0, dtype='U1')
        columns['highz_class'] = class_column(labels, unclassified,
                                              description='most probable class')
        ood = np.full(len(probs), np.nan) if ood is None else ood
        no_score = ~np.isfinite(ood)
        columns['highz_ood'] = MaskedColumn(
            np.where(no_score, 0.0, ood), mask=no_score, dtype=np.float64,
            description='out-of-distribution score (larger: less like the training data)')
        if self.ood_threshold is not None:
            flags[~no_score & (ood > self.ood_threshold)] |= HighZFlag.OUT_OF_DISTRIBUTION
        columns['highz_flags'] = Column(
            flags, description='astro_galclass.highz.HighZFlag bits')
        if used is not None:
            bits = (used.astype(np.int64) << np.arange(len(self.bands))).sum(axis=1)
            bits[unclassified] = 0
            columns['highz_bands_used'] = Column(
                bits.astype(np.int16),
                description=f'bands used, bit i for band i of {list(self.bands)}')
        return columns
