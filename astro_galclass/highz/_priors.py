# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The class mix of a `~astro_galclass.HighZClassifier`'s probabilities.

The network's probabilities assume the class mix it was trained on
(``training_priors``); the ``priors`` option of the classifier's methods
turns them into the posteriors of another mix (Bayes' rule,
`~astro_galclass.nircam.shift_priors`). These helpers read the recorded mixes
and resolve the option, from the classifier's public attributes only.
"""

import numpy as np

from astro_galclass.nircam import check_priors

__all__ = ['mix_dict', 'priors_option', 'recorded_mix', 'resolve_priors']


def mix_dict(classes, fractions):
    """
    Class -> fraction, from fractions in the order of ``classes``.

    Parameters
    ----------
    classes : sequence of str
        The class names.
    fractions : array-like
        One fraction per class.

    Returns
    -------
    mix : dict
    """
    return dict(zip(classes, np.asarray(fractions, float).tolist(), strict=True))


def recorded_mix(metadata, key, classes):
    """
    A class mix recorded in the weights metadata, checked; None when absent.

    Parameters
    ----------
    metadata : dict
        The classifier's metadata.
    key : str
        ``'training_priors'`` or ``'default_priors'``.
    classes : sequence of str
        The class names.

    Returns
    -------
    mix : dict or None
    """
    recorded = metadata.get(key)
    if recorded is None:
        return None
    return mix_dict(classes, check_priors(recorded, tuple(classes)))


def resolve_priors(classifier, priors):
    """
    The target class mix of the ``priors`` option, or None for the training mix.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        Its `classes`, `training_priors`, `default_priors` and metadata are used.
    priors : dict, 'training' or None
        The option: None is the classifier's `default_priors`.

    Returns
    -------
    target : `~numpy.ndarray` or None
        Fractions in the order of `classes`; None when they are the training mix
        (the probabilities are then the network's).
    """
    if priors is None:
        if classifier.metadata.get('default_priors') is None:
            return None
        priors = classifier.default_priors
    elif isinstance(priors, str):
        if priors != 'training':
            msg = (f"priors must be a dict class -> fraction, 'training' or None, "
                   f'got {priors!r}')
            raise ValueError(msg)
        return None
    target = check_priors(priors, classifier.classes)
    trained = check_priors(classifier.training_priors, classifier.classes)
    return None if np.array_equal(target, trained) else target


def priors_option(classifier, target):
    """
    The class mix of the returned probabilities, as the provenance records it.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
        The classifier.
    target : `~numpy.ndarray` or None
        From `resolve_priors`.

    Returns
    -------
    mix : dict
    """
    return classifier.training_priors if target is None else mix_dict(classifier.classes,
                                                                       target)
