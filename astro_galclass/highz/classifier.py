# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The Astropy-facing high-redshift classifier.

`HighZClassifier` is the public face; its jobs live in private modules of
`astro_galclass.highz` that read only its public attributes: the metadata
checks (``_metadata``), the class mixes (``_priors``), the inputs
(``_inputs``), the inference engine (``_engine``), the output columns
(``_columns``), the warnings about the data (``_warn``), the catalog run
(``_catalog``) and the explanations (``_explain``); the out-of-distribution
fit is `astro_galclass.highz.ood`'s.
"""

from types import MappingProxyType

import astropy.units as u

from astro_galclass.highz._catalog import CatalogRun
from astro_galclass.highz._columns import result_columns
from astro_galclass.highz._engine import MC_DROPOUT_SAMPLES, InferenceEngine, uncertainty_samples
from astro_galclass.highz._explain import embeddings, feature_maps, gradcam_layer, gradcam_maps
from astro_galclass.highz._inputs import check_data, prepare_cutouts
from astro_galclass.highz._metadata import check_file_metadata, model_metadata
from astro_galclass.highz._priors import priors_option, recorded_mix, resolve_priors
from astro_galclass.highz._warn import warn_unusable, warn_zero_cores
from astro_galclass.highz.bands import MIN_BANDS, usable_bands
from astro_galclass.highz.flags import zero_core_bands
from astro_galclass.highz.model import LymanBreakCNN
from astro_galclass.highz.ood import (
    check_fit_options,
    fit_ood_statistics,
    split_for_ood,
)
from astro_galclass.utils._classifier import ClassifierBase
from astro_galclass.utils._validation import check_class_labels, check_positive_float

__all__ = ['HighZClassifier']


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

        ``astro_galclass/data/highz_default.pt``, made by ``galclass
        train-highz --recipe shipped`` and ``--recipe head`` (the recipe,
        simulator settings and seeds are in ``metadata``). Its default
        probabilities are a JADES-deep field's posteriors (`default_priors`);
        ``priors='training'`` gives equal thirds. It has never seen a real
        JWST image: read :ref:`its model card <highz-model-card>`, and
        validate it on sources of your field with known classes.

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

    def _metadata_for_model(self, model, **options):
        metadata, self.normalization = model_metadata(model, **options)
        return metadata

    def _check_file_metadata(self, path, metadata, *, bands, classes):
        self.normalization = check_file_metadata(path, metadata, self.model, bands=bands,
                                                 classes=classes)

    @property
    def _engine(self):
        """The inference engine: flags, probabilities and scores of prepared cutouts."""
        return InferenceEngine(self)

    def _input_tensor(self, chunk):
        return self._engine.input_tensor(chunk)

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
        recorded = recorded_mix(self.metadata, 'training_priors', self.classes)
        return dict.fromkeys(self.classes, 1 / len(self.classes)) if recorded is None \
            else recorded

    @property
    def default_priors(self):
        """
        The class mix of the probabilities returned when ``priors`` is not given.

        The weights metadata's ``default_priors`` when present, otherwise
        `training_priors` (the probabilities as the network gives them).
        """
        recorded = recorded_mix(self.metadata, 'default_priors', self.classes)
        return self.training_priors if recorded is None else recorded

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

    def prepare(self, cutouts, *, bands=None, unit=None):
        """
        Cutouts in any accepted form as the network's flux array.

        This is what `classify` and the training functions feed the network
        (before its `normalization`): band order `bands`, nJy per pixel.

        Parameters
        ----------
        cutouts, bands, unit
            As in `classify`.

        Returns
        -------
        flux : `~numpy.ndarray`
            ``(N, n_bands, cutout_size, cutout_size)`` in nJy per pixel, in
            the order of `bands`; NaN where pixels are missing or masked and
            in bands not given.
        """
        return prepare_cutouts(self, cutouts, bands, unit)[0]

    @property
    def ood_threshold(self):
        """
        ``highz_ood`` above which a source is flagged ``OUT_OF_DISTRIBUTION``.

        ``highz_ood`` is in units of its thresholds (see `fit_ood`), so this
        is 1.0; None when the model has no out-of-distribution statistics.
        """
        return None if self.metadata.get('ood') is None else 1.0

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
        labels : array-like of int or str, optional
            True classes, as class indices or names (`classes`); by default
            the network's own predictions.
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
            is; no kind gets more than ``false_flag_rate`` of its held-out
            sources flagged (`~astro_galclass.highz.ood.split_for_ood`).
            Default: one kind.
        confidence : float, optional
            E.g. 0.95: thresholds such that fresh sources are flagged at most
            at ``false_flag_rate`` with this probability (Clopper-Pearson;
            `~astro_galclass.highz.ood.split_for_ood`). Default: the
            empirical quantile.

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
        check_fit_options(false_flag_rate=false_flag_rate, confidence=confidence,
                          features=features)
        values, _ = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        if labels is not None:
            labels = check_class_labels(labels, self.classes, len(values))
        split = split_for_ood(len(values), groups=groups, seed=seed,
                              false_flag_rate=false_flag_rate, confidence=confidence)
        engine = self._engine
        embedding, own = engine.ood_features(values, features)
        single = engine.single_band(values[split.hold]) if engine.has_pixel_score() else None
        self.metadata['ood'], summary = fit_ood_statistics(
            split, embedding, own if labels is None else labels, single,
            n_classes=len(self.classes), feature_name=features, description=description)
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
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        return engine.evaluate(values, engine.flags(values, given))[1]

    def predict_proba(self, cutouts, *, bands=None, unit=None, priors=None, progress=False):
        """
        Class probabilities, for use with scikit-learn style code.

        Parameters
        ----------
        cutouts, bands, unit
            As in `classify`.
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
        target = resolve_priors(self, priors)
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        return engine.evaluate(values, engine.flags(values, given), target, progress=progress,
                               ood=False)[0]

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
        samples = uncertainty_samples(n_samples)
        target = resolve_priors(self, priors)
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        return engine.evaluate(values, engine.flags(values, given), target,
                               uncertainty=samples, ood=False)[2]

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
        target = resolve_priors(self, priors)
        samples = uncertainty_samples(uncertainty)
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        flags = engine.flags(values, given) | engine.red_dots(values)
        warn_zero_cores((zero_core_bands(values) & given).sum(axis=0), self.bands,
                        self.band_mask, stacklevel=2)
        probs, ood, draws = engine.evaluate(values, flags, target, uncertainty=samples)
        std = None if draws is None else draws.std(axis=1)
        used = usable_bands(values) & given if self.band_mask else None
        columns = result_columns(self, probs, flags, ood, std, used)
        options = {'unit': str(unit) if unit is not None else None,
                   'bands_given': [b for b, g in zip(self.bands, given, strict=True) if g],
                   'priors': priors_option(self, target), 'uncertainty': samples}
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
        Sources are classified in chunks of ``4 * batch_size`` in sky order,
        reading one small window of each mosaic at a time: memory is bounded
        by the chunk, not by the mosaics (:ref:`survey-scale`).
        """
        run = CatalogRun.plan(self, catalog, images, position_column=position_column,
                              unit=unit, priors=priors, uncertainty=uncertainty)
        return run.finish(catalog, run.run(progress=progress), overwrite=overwrite,
                          stacklevel=2)

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
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        warn_unusable(engine.flags(values, given), 'embed', stacklevel=2)
        return embeddings(engine, values)

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
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        warn_unusable(engine.flags(values, given), 'feature_maps', stacklevel=2)
        return feature_maps(engine, values)

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
        if class_name not in self.classes:
            msg = f'class_name must be one of {self.classes}, got {class_name!r}'
            raise ValueError(msg)
        layer = gradcam_layer(self.model, stage)
        values, given = prepare_cutouts(self, cutouts, bands, unit)
        check_data(values)
        engine = self._engine
        warn_unusable(engine.flags(values, given), 'gradcam', stacklevel=2)
        return gradcam_maps(engine, values, layer, self.classes.index(class_name))
