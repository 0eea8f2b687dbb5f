# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
One-call fine-tuning of a trained classifier on the user's own labels.

`~astro_galclass.morphology.MorphologyClassifier.fine_tune` and
`~astro_galclass.HighZClassifier.fine_tune` call these: they copy the
network (the original classifier is never changed), optionally freeze all
but its head, hold out a validation part, train with early stopping that
restores the best epoch, and record in the new classifier's metadata the
validation metrics before and after.
"""

import copy

import numpy as np
import torch
from astropy import units as u
from sklearn.model_selection import train_test_split

from astro_galclass.morphology.tree import GZ2_TREE

__all__ = ['FREEZE', 'head_modules', 'kaggle_targets']

#: Accepted ``freeze`` values: train every layer, or only the head.
FREEZE = ('none', 'features')


def head_modules(model):
    """
    The head of a network: what ``freeze='features'`` leaves trainable.

    The dense layers and output of `~astro_galclass.morphology.ParallelCNN`
    and of `~astro_galclass.highz.LymanBreakCNN`; the final norm and output
    of `~astro_galclass.morphology.CompactViT`; the output layer of a
    `~astro_galclass.morphology.TorchvisionBackbone`.

    Parameters
    ----------
    model : `torch.nn.Module`
    """
    names = [n for n in ('dense', 'head', 'norm', 'out', 'classifier')
             if isinstance(getattr(model, n, None), torch.nn.Module)]
    if not names or not any(n in names for n in ('out', 'classifier')):
        msg = f'{type(model).__name__} has no known head to train alone; use freeze="none"'
        raise ValueError(msg)
    return [getattr(model, n) for n in names]


def _freeze(model, freeze):
    if freeze not in FREEZE:
        msg = f'freeze must be one of {FREEZE}, got {freeze!r}'
        raise ValueError(msg)
    if freeze == 'features':
        heads = head_modules(model)
        for p in model.parameters():
            p.requires_grad_(False)
        for module in heads:
            for p in module.parameters():
                p.requires_grad_(True)
    return model


def _unfreeze(model):
    """Make every parameter trainable again (after `_freeze`)."""
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def _check_epochs(epochs, patience):
    for name, value in (('epochs', epochs), ('patience', patience)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            msg = f'{name} must be a positive int, got {value!r}'
            raise ValueError(msg)


def _check_options(freeze, validation):
    """Refuse bad options before any image is prepared."""
    if freeze not in FREEZE:
        msg = f'freeze must be one of {FREEZE}, got {freeze!r}'
        raise ValueError(msg)
    if isinstance(validation, tuple):
        return
    if isinstance(validation, bool) or not isinstance(validation, (float, int)) or not (
            0 < validation < 1):
        msg = ('validation must be a fraction in (0, 1) or an (inputs, labels) pair, '
               f'got {validation!r}')
        raise ValueError(msg)


def _split(n, validation, seed, stratify=None):
    if n < 4:
        msg = f'fine-tuning needs at least 4 labelled examples, got {n}'
        raise ValueError(msg)
    return train_test_split(np.arange(n), test_size=float(validation), random_state=int(seed),
                            stratify=stratify)


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
    pred = clf._forward(x)
    rmse = float(np.sqrt(np.mean((pred - targets) ** 2)))
    clear = np.abs(targets[:, 0] - targets[:, 1]) >= 0.6       # 80:20 or clearer
    agree = (np.mean((pred[clear, 0] > pred[clear, 1]) == (targets[clear, 0] > targets[clear, 1]))
             if clear.any() else float('nan'))
    return {'rmse': rmse, 'smooth_featured_agreement': float(agree), 'n': len(x),
            'n_clear': int(clear.sum())}


def _fine_tune_morphology(clf, images, labels, *, epochs, freeze, validation, lr, batch_size,
                         patience, crop, reframe, seed, progress, time_budget, name):
    """`~astro_galclass.morphology.MorphologyClassifier.fine_tune` (see there)."""
    from astro_galclass.morphology.framing import training_framing
    from astro_galclass.training.morphology import train_morphology

    _check_epochs(epochs, patience)
    _check_options(freeze, validation)
    x, _ = clf._prepare(images, crop, reframe)
    targets = kaggle_targets(labels, len(x))
    if isinstance(validation, tuple):
        if len(validation) != 2:
            msg = f'validation must be an (images, labels) pair, got {len(validation)} items'
            raise ValueError(msg)
        x_val, _ = clf._prepare(validation[0], crop, reframe)
        y_val = kaggle_targets(validation[1], len(x_val))
        x_train, y_train = x, targets
    else:
        train, val = _split(len(x), validation, seed)
        x_train, y_train, x_val, y_val = x[train], targets[train], x[val], targets[val]
    before = _morphology_scores(clf, x_val, y_val)
    # the inputs were reframed to the base model's framing, or else are framed as given
    if reframe:
        framing = {'frame_r90': clf.framing['frame_r90'],
                   'frame_r90_range': list(clf.framing['frame_r90_range'])}
    else:
        framing = training_framing(x_train[:300])
    model = _freeze(copy.deepcopy(clf.model), freeze)
    new, history = train_morphology(
        x_train, y_train, model=model, val_images=x_val, val_targets=y_val, lr=lr,
        batch_size=batch_size or clf.batch_size, schedule='plateau', max_epochs=epochs,
        patience=patience, device=clf.device, seed=seed, progress=progress,
        time_budget=time_budget, name=name or f'{clf.name}-finetuned', framing=framing)
    _unfreeze(new.model)
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


def _fine_tune_highz(clf, cutouts, labels, *, epochs, freeze, validation, lr, batch_size,
                    patience, calibrate, seed, progress, time_budget, name):
    """`~astro_galclass.HighZClassifier.fine_tune` (see there)."""
    from sklearn.metrics import log_loss

    from astro_galclass.training.highz import train_highz

    _check_epochs(epochs, patience)
    _check_options(freeze, validation)
    flux = np.asarray(clf.prepare(cutouts))
    y = _class_indices(labels, clf.classes, len(flux))
    if isinstance(validation, tuple):
        if len(validation) != 2:
            msg = f'validation must be a (cutouts, labels) pair, got {len(validation)} items'
            raise ValueError(msg)
        val_flux = np.asarray(clf.prepare(validation[0]))
        val_y = _class_indices(validation[1], clf.classes, len(val_flux))
        train_flux, train_y = flux, y
    else:
        counts = np.bincount(y, minlength=len(clf.classes))
        stratify = y if counts[counts > 0].min() >= 2 else None
        train, val = _split(len(flux), validation, seed, stratify)
        train_flux, train_y, val_flux, val_y = flux[train], y[train], flux[val], y[val]

    def scores(c):
        p = np.asarray(c.predict_proba(val_flux, priors='training'), float)
        return {'accuracy': float(np.mean(np.argmax(p, axis=1) == val_y)),
                'log_loss': float(log_loss(val_y, np.clip(p, 1e-12, 1),
                                           labels=np.arange(len(c.classes)))),
                'n': len(val_y)}

    before = scores(clf)
    model = _freeze(copy.deepcopy(clf.model), freeze)
    new, history = train_highz(
        train_flux, train_y, val_cutouts=val_flux, val_labels=val_y, model=model,
        bands=clf.bands, classes=clf.classes,
        pixel_scale=clf.metadata['pixel_scale'] * u.arcsec / u.pix,
        normalization=clf.normalization, batch_size=batch_size or clf.batch_size, lr=lr,
        schedule='plateau', max_epochs=epochs, patience=patience, calibrate=calibrate,
        device=clf.device, seed=seed, progress=progress, time_budget=time_budget,
        name=name or f'{clf.name}-finetuned',
        training=f'fine-tuned from {clf.name} on {len(train_y)} user-labelled cutouts')
    _unfreeze(new.model)
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


def _class_indices(labels, classes, n):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        msg = f'labels must be one per cutout ({n}), got shape {labels.shape}'
        raise ValueError(msg)
    if labels.dtype.kind in 'USO':
        unknown = sorted(set(map(str, labels)) - set(classes))
        if unknown:
            msg = f'unknown class names {unknown[:5]}; the classes are {tuple(classes)}'
            raise ValueError(msg)
        return np.array([list(classes).index(str(v)) for v in labels], np.int64)
    if labels.dtype.kind not in 'iu':
        msg = f'labels must be class indices (int) or class names, got dtype {labels.dtype}'
        raise TypeError(msg)
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        msg = f'class indices must be in 0-{len(classes) - 1}, got {labels.min()}-{labels.max()}'
        raise ValueError(msg)
    return labels.astype(np.int64)
