# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Fine-tuning a trained classifier on your own labels, in one call.

`fine_tune_highz` and `fine_tune_morphology` copy the network (the original
classifier is never changed), optionally freeze all but its head, hold out
a validation part, train with early stopping that restores the best epoch,
and record in the new classifier's metadata the validation metrics before
and after. (The recipes that made the shipped models, some of which
continue a network on simulations, are in `astro_galclass.training.recipes`.)
"""

import copy

import numpy as np
from astropy import units as u
from sklearn.model_selection import train_test_split

from astro_galclass.morphology.tree import GZ2_TREE
from astro_galclass.training.freezing import check_freeze, freeze_layers, unfreeze_layers
from astro_galclass.training.highz import train_highz
from astro_galclass.training.morphology import train_morphology
from astro_galclass.training.options import RunOptions
from astro_galclass.utils._validation import check_class_labels

__all__ = ['fine_tune_highz', 'fine_tune_morphology', 'kaggle_targets']


def _check_epochs(epochs, patience):
    for name, value in (('epochs', epochs), ('patience', patience)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            msg = f'{name} must be a positive int, got {value!r}'
            raise ValueError(msg)


def _check_options(freeze, validation):
    """Refuse bad options before any image is prepared."""
    check_freeze(freeze)
    if isinstance(validation, tuple):
        return
    if isinstance(validation, bool) or not isinstance(validation, (float, int)) or not (
            0 < validation < 1):
        msg = ('validation must be a fraction in (0, 1) or an (inputs, labels) pair, '
               f'got {validation!r}')
        raise ValueError(msg)


def _check_pair(validation, what):
    if len(validation) != 2:
        msg = f'validation must be a ({what}, labels) pair, got {len(validation)} items'
        raise ValueError(msg)


def _split(n, validation, seed, stratify=None):
    if n < 4:
        msg = f'fine-tuning needs at least 4 labelled examples, got {n}'
        raise ValueError(msg)
    return train_test_split(np.arange(n), test_size=float(validation), random_state=int(seed),
                            stratify=stratify)


def _device(clf, run):
    """The device of the new classifier: the base's unless ``run`` names one."""
    return clf.device if isinstance(run.device, str) and run.device == 'auto' else run.device


def kaggle_targets(labels, n):
    """
    Galaxy Zoo labels in any usual form -> ``(N, 37)`` Kaggle cumulative targets.

    Parameters
    ----------
    labels : array-like or `~astropy.table.Table`
        ``(N, 37)`` Kaggle cumulative fractions; or a table with the Kaggle
        ``Class1.1`` ... columns, or with the 37 GZ2 ``..._fraction``
        columns (per question), or with the 37 GZ2 ``..._count`` columns
        (votes); as the loaders of `astro_galclass.morphology` and the
        simulator return them.
    n : int
        Number of images the labels go with.

    Returns
    -------
    targets : `~numpy.ndarray`
        ``(n, 37)`` float32, checked against the decision tree.

    Examples
    --------
    >>> from astro_galclass.simulate import MorphologySimulator
    >>> _, truth = MorphologySimulator(seed=1).sample(3)
    >>> kaggle_targets(truth, 3).shape
    (3, 37)
    """
    from astro_galclass.morphology.datasets import check_gz2_labels

    if hasattr(labels, 'colnames'):
        names = set(labels.colnames)
        ids = np.arange(len(labels))
        if set(GZ2_TREE.kaggle_columns) <= names:
            values = GZ2_TREE.from_kaggle_table(labels)
            check_gz2_labels(values, ids, kind='cumulative')
        else:
            kind = next((k for k in ('fraction', 'count')
                         if set(GZ2_TREE.gz2_columns(k)) <= names), None)
            if kind is None:
                msg = ('the label table has neither the Kaggle Class1.1 ... columns nor the 37 '
                       f'GZ2 _fraction or _count columns; its columns: {labels.colnames[:8]}')
                raise ValueError(msg)
            raw = np.stack([np.asarray(labels[c], float) for c in GZ2_TREE.gz2_columns(kind)],
                           axis=1)
            check_gz2_labels(raw, ids, kind=kind)
            # questions nobody reached (NaN) count as 0 in the cumulative form
            values = GZ2_TREE.to_kaggle(GZ2_TREE.from_gz2_table(labels, kind=kind))
    else:
        values = np.asarray(labels, float)
        check_gz2_labels(values, np.arange(len(values)) if values.ndim else [],
                         kind='cumulative')
    if len(values) != n:
        msg = f'{len(values)} label rows for {n} images'
        raise ValueError(msg)
    return np.asarray(values, np.float32)


def _morphology_scores(clf, x, targets):
    """Validation RMSE and smooth-vs-featured agreement of a classifier on inputs ``x``."""
    pred = clf.infer(x, empty_shape=(0, len(GZ2_TREE.kaggle_columns)))
    rmse = float(np.sqrt(np.mean((pred - targets) ** 2)))
    clear = np.abs(targets[:, 0] - targets[:, 1]) >= 0.6       # 80:20 or clearer
    agree = (np.mean((pred[clear, 0] > pred[clear, 1]) == (targets[clear, 0] > targets[clear, 1]))
             if clear.any() else float('nan'))
    return {'rmse': rmse, 'smooth_featured_agreement': float(agree), 'n': len(x),
            'n_clear': int(clear.sum())}


def fine_tune_morphology(classifier, images, labels, *, epochs=10, freeze='none',
                         validation=0.2, lr=1e-4, batch_size=None, patience=3, crop=None,
                         reframe=True, name=None, run=None):
    """
    A copy of a morphology classifier trained further on your labelled images.

    Parameters
    ----------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The classifier to start from (unchanged), e.g. the shipped one.
    images
        Any form `~astro_galclass.morphology.MorphologyClassifier.prepare`
        accepts (arrays, a list of arrays of any sizes, image files, NDData
        bands), e.g. the images of
        `~astro_galclass.morphology.load_kaggle_galaxy_zoo` or
        `~astro_galclass.morphology.load_gz2_catalogue`.
    labels : array-like or `~astropy.table.Table`
        ``(N, 37)`` Kaggle cumulative fractions, or a table with the
        Kaggle ``Class1.1`` ... columns, the 37 GZ2 ``..._fraction``
        columns or the 37 GZ2 ``..._count`` columns (vote counts), as the
        loaders return them. Checked against the decision tree
        (`kaggle_targets`).
    epochs : int, optional
        Most epochs (default 10); early stopping with ``patience``
        restores the epoch of lowest validation loss.
    freeze : {'none', 'features'}, optional
        ``'features'`` trains only the head (the dense layers and output;
        see `~astro_galclass.training.freezing.head_modules`), which
        suits a few hundred labels; ``'none'`` (default) trains all.
    validation : float or (images, labels), optional
        Fraction held out (random, with ``run.seed``; default 0.2), or a
        separate validation set.
    lr : float, optional
        Adam learning rate (default 1e-4, a tenth of training from
        scratch), halved when the validation loss stalls.
    batch_size : int, optional
        Default the classifier's.
    patience : int, optional
        Epochs without improvement before stopping (default 3).
    crop, reframe
        As in `~astro_galclass.morphology.MorphologyClassifier.prepare`:
        the images are framed as the base model's training images, and the
        new classifier records that framing.
    name : str, optional
        Name of the new model (default the base's plus ``-finetuned``).
    run : `~astro_galclass.training.RunOptions`, optional
        Device (``'auto'``: the base classifier's), seed (the split, the
        augmentation and the initial state), progress bars, checkpoints
        and time budget.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The fine-tuned classifier. Its ``metadata['fine_tune']`` holds the
        validation RMSE and smooth-vs-featured agreement before and after,
        its ``history`` attribute the losses per epoch; ``save`` it like
        any other.

    Examples
    --------
    >>> from astro_galclass.morphology import MorphologyClassifier
    >>> from astro_galclass.simulate import MorphologySimulator
    >>> from astro_galclass.training import RunOptions, fine_tune_morphology
    >>> images, truth = MorphologySimulator(seed=1).sample(24)
    >>> base = MorphologyClassifier.pretrained(device='cpu')
    >>> tuned = fine_tune_morphology(base, images, truth, epochs=1, freeze='features',
    ...                              run=RunOptions(progress=False))
    >>> sorted(tuned.metadata['fine_tune']['validation_after'])
    ['n', 'n_clear', 'rmse', 'smooth_featured_agreement']
    """
    from astro_galclass.morphology.framing import training_framing

    run = RunOptions.check(run)
    clf = classifier
    _check_epochs(epochs, patience)
    _check_options(freeze, validation)
    x = clf.prepare(images, crop=crop, reframe=reframe)
    targets = kaggle_targets(labels, len(x))
    if isinstance(validation, tuple):
        _check_pair(validation, 'images')
        x_val = clf.prepare(validation[0], crop=crop, reframe=reframe)
        y_val = kaggle_targets(validation[1], len(x_val))
        x_train, y_train = x, targets
    else:
        train, val = _split(len(x), validation, run.seed)
        x_train, y_train, x_val, y_val = x[train], targets[train], x[val], targets[val]
    before = _morphology_scores(clf, x_val, y_val)
    # the inputs were reframed to the base model's framing, or else are framed as given
    if reframe:
        framing = {'frame_r90': clf.framing['frame_r90'],
                   'frame_r90_range': list(clf.framing['frame_r90_range'])}
    else:
        framing = training_framing(x_train[:300])
    model = freeze_layers(copy.deepcopy(clf.model), freeze)
    new, history = train_morphology(
        x_train, y_train, model=model, validation=(x_val, y_val), lr=lr,
        batch_size=batch_size or clf.batch_size, schedule='plateau', max_epochs=epochs,
        patience=patience, name=name or f'{clf.name}-finetuned', framing=framing,
        run=run.replace(device=_device(clf, run)))
    unfreeze_layers(new.model)
    for key in ('simulator', 'recipe', 'training'):
        if key in clf.metadata:
            new.metadata[f'base_{key}'] = copy.deepcopy(clf.metadata[key])
    after = _morphology_scores(new, x_val, y_val)
    new.metadata['fine_tune'] = {'base': clf.name, 'freeze': freeze, 'epochs': int(epochs),
                                 'n_train': len(x_train), 'reframe': bool(reframe),
                                 'validation_before': before, 'validation_after': after}
    new.model_changed()
    new.history = history
    return new


def fine_tune_highz(classifier, cutouts, labels, *, epochs=10, freeze='none', validation=0.2,
                    lr=1e-4, batch_size=None, patience=3, calibrate=True, name=None, run=None):
    """
    A copy of a high-z classifier trained further on your labelled cutouts.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        The classifier to start from (unchanged), e.g. the shipped one.
    cutouts
        Any form `~astro_galclass.HighZClassifier.classify` accepts, in all
        of the model's bands (e.g. from
        `~astro_galclass.highz.extract_cutouts` around sources with
        spectroscopic redshifts or confirmed brown dwarfs).
    labels : array-like
        One per cutout: a class index or a class name (the classifier's
        ``classes``).
    epochs : int, optional
        Most epochs (default 10); early stopping with ``patience``
        restores the epoch of lowest validation loss.
    freeze : {'none', 'features'}, optional
        ``'features'`` trains only the dense head and output layer;
        ``'none'`` (default) trains all.
    validation : float or (cutouts, labels), optional
        Fraction held out (stratified by class, with ``run.seed``; default
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
    name : str, optional
        Name of the new model (default the base's plus ``-finetuned``).
    run : `~astro_galclass.training.RunOptions`, optional
        Device (``'auto'``: the base classifier's), seed, progress bars,
        checkpoints and time budget.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The fine-tuned classifier, with the base's bands, classes, pixel
        scale, normalisation and priors. Its ``metadata['fine_tune']``
        holds the validation accuracy and log loss before and after (at the
        training priors), its ``history`` attribute the losses per epoch.
        The out-of-distribution statistics described the old network and
        are not carried over: ``highz_ood`` is masked until you call
        ``fit_ood`` on the new one.

    Examples
    --------
    >>> from astro_galclass import HighZClassifier
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> from astro_galclass.training import RunOptions, fine_tune_highz
    >>> cutouts, truth = NIRCamSimulator(seed=1).sample(30)
    >>> base = HighZClassifier.pretrained(device='cpu')
    >>> tuned = fine_tune_highz(base, cutouts, truth['label'], epochs=1,
    ...                         run=RunOptions(progress=False))
    >>> tuned.classes == base.classes, 'ood' in tuned.metadata
    (True, False)
    """
    from sklearn.metrics import log_loss

    run = RunOptions.check(run)
    clf = classifier
    _check_epochs(epochs, patience)
    _check_options(freeze, validation)
    flux = np.asarray(clf.prepare(cutouts))
    y = check_class_labels(labels, clf.classes, len(flux))
    if isinstance(validation, tuple):
        _check_pair(validation, 'cutouts')
        val_flux = np.asarray(clf.prepare(validation[0]))
        val_y = check_class_labels(validation[1], clf.classes, len(val_flux),
                                   name='validation labels')
        train_flux, train_y = flux, y
    else:
        counts = np.bincount(y, minlength=len(clf.classes))
        stratify = y if counts[counts > 0].min() >= 2 else None
        train, val = _split(len(flux), validation, run.seed, stratify)
        train_flux, train_y, val_flux, val_y = flux[train], y[train], flux[val], y[val]

    def scores(c):
        p = np.asarray(c.predict_proba(val_flux, priors='training'), float)
        return {'accuracy': float(np.mean(np.argmax(p, axis=1) == val_y)),
                'log_loss': float(log_loss(val_y, np.clip(p, 1e-12, 1),
                                           labels=np.arange(len(c.classes)))),
                'n': len(val_y)}

    before = scores(clf)
    model = freeze_layers(copy.deepcopy(clf.model), freeze)
    new, history = train_highz(
        train_flux, train_y, validation=(val_flux, val_y), model=model,
        bands=clf.bands, classes=clf.classes,
        pixel_scale=clf.metadata['pixel_scale'] * u.arcsec / u.pix,
        normalization=clf.normalization, batch_size=batch_size or clf.batch_size, lr=lr,
        schedule='plateau', max_epochs=epochs, patience=patience, calibrate=calibrate,
        name=name or f'{clf.name}-finetuned',
        training=f'fine-tuned from {clf.name} on {len(train_y)} user-labelled cutouts',
        run=run.replace(device=_device(clf, run)))
    unfreeze_layers(new.model)
    # what the network's outputs mean is unchanged: keep the base model's priors
    # and simulator record; its out-of-distribution statistics describe the old
    # embedding and are dropped (refit them with fit_ood)
    for key, value in clf.metadata.items():
        if key not in new.metadata and key not in ('ood',):
            new.metadata[key] = copy.deepcopy(value)
    after = scores(new)
    new.metadata['fine_tune'] = {'base': clf.name, 'freeze': freeze, 'epochs': int(epochs),
                                 'n_train': len(train_y), 'validation_before': before,
                                 'validation_after': after,
                                 'ood': 'dropped: refit with fit_ood' if 'ood' in clf.metadata
                                 else 'none'}
    new.model_changed()
    new.history = history
    return new
