# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The one place where training runs are recorded in a model's metadata.

Every training function writes ``metadata['recipe']`` with `fit_record`; the
shipped-model recipes add `run_record` per stage. Recipes are overridden,
checked and saved with the helpers below.
"""

import time
from pathlib import Path

import torch

__all__ = []


def fit_record(function, history, **settings):
    """
    ``metadata['recipe']`` of one call of a training function.

    Parameters
    ----------
    function : str
        Public name of the function (``'astro_galclass.training.train_highz'``).
    history : `~astropy.table.QTable`
        The trainer's history (epochs run, best epoch).
    **settings
        The options the function was called with (plain Python values).
    """
    return {'function': function, **settings, 'epochs_run': len(history),
            'best_epoch': int(history['epoch'][history['best']][0])
            if len(history) and history['best'].any() else None}


def run_record(clf, start):
    """
    Wall-clock seconds since ``start``, device and torch version of a run.

    Parameters
    ----------
    clf : `~astro_galclass.HighZClassifier` or `~astro_galclass.morphology.MorphologyClassifier`
        The trained classifier, whose ``device`` is recorded (with the GPU's
        name on CUDA).
    start : float
        `time.perf_counter` value at the start of the run.
    """
    return {'seconds': round(time.perf_counter() - start), 'device': str(clf.device),
            'gpu': (torch.cuda.get_device_name(clf.device) if clf.device.type == 'cuda'
                    else None),
            'torch_version': str(torch.__version__)}


def override_recipe(recipe, **values):
    """
    A copy of ``recipe`` with the integer ``values`` that are not None.

    Parameters
    ----------
    recipe : dict
        The recipe; it is not modified.
    **values
        Recipe keys -> new values, each stored as an `int`; `None` leaves
        the recipe's value.
    """
    recipe = dict(recipe)
    for key, value in values.items():
        if value is not None:
            recipe[key] = int(value)
    return recipe


def check_stage2_epochs(epochs, init):
    """
    Stage-2 epochs: >= 0, and > 0 when stage 2 starts from ``init``.

    Parameters
    ----------
    epochs : int
        The stage-2 ``max_epochs``.
    init : path-like or None
        The weights file stage 2 starts from, skipping stage 1, or `None`.

    Raises
    ------
    ValueError
        If ``epochs`` is negative, or 0 with ``init``.
    """
    if epochs < 0 or (epochs == 0 and init is not None):
        msg = ('stage2_epochs must be >= 0, and > 0 with init (0 means stage 1 only), '
               f'got {epochs} with init={init}')
        raise ValueError(msg)


def stage_budgets(time_budget, *stages):
    """
    Split a run's time budget over its stages in proportion to their work.

    A stage's work is ``max_epochs`` times its ``batches_per_epoch`` or
    ``n_images`` (whichever the recipe has); stages with no epochs get None.

    Parameters
    ----------
    time_budget : float or None
        Wall-clock seconds for the whole run (positive); `None` gives every
        stage `None` (no budget).
    *stages : dict
        The recipe of each stage, with ``max_epochs`` and
        ``batches_per_epoch`` or ``n_images``.

    Returns
    -------
    list
        One budget in seconds (or `None`) per stage, in order.
    """
    if time_budget is None:
        return [None] * len(stages)
    if not float(time_budget) > 0:
        msg = f'time_budget must be a positive number of seconds, got {time_budget}'
        raise ValueError(msg)
    work = [s['max_epochs'] * s.get('batches_per_epoch', s.get('n_images', 1))
            for s in stages]
    total = sum(work)
    return [float(time_budget) * w / total if w else None for w in work]


def save_classifier(clf, output):
    """
    Save ``clf`` to ``output``, creating its folder; return ``clf``.

    Parameters
    ----------
    clf : `~astro_galclass.HighZClassifier` or `~astro_galclass.morphology.MorphologyClassifier`
        The classifier, saved with its ``save`` method.
    output : path-like
        The weights file to write; missing parent folders are created.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    clf.save(output)
    return clf
