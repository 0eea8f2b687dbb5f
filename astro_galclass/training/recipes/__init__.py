# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The recipes that made the shipped models: their settings and the one
function that runs each.

Every recipe is a `Recipe`: its name (the ``--recipe`` of ``galclass
train-highz`` or ``train-morphology``), what it does, its hyperparameters
per stage, the options that may override them, and the function that runs
it. `RECIPES` is the table of all of them; the command line reads it, so
that an option a recipe does not take is refused with the list of those it
does. The hyperparameter dicts and the functions live in
`astro_galclass.training.recipes.highz`,
`astro_galclass.training.recipes.highz_head`,
`astro_galclass.training.recipes.highz_v5` (the candidate version 5,
trained on two CPU cores) and `astro_galclass.training.recipes.morphology`.
"""

import dataclasses
import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

from astro_galclass.training.recipes import highz, highz_head, highz_v5, morphology

__all__ = ['RECIPES', 'Recipe', 'get_recipe']


@dataclasses.dataclass(frozen=True)
class Recipe:
    """
    A recipe of a shipped model: settings plus the one function that runs it.

    Parameters
    ----------
    task : {'highz', 'morphology'}
        The classifier it trains.
    name : str
        Its name, the ``--recipe`` value of ``galclass train-<task>``.
    summary : str
        What it does, in one sentence.
    stages : mapping
        Stage name -> the hyperparameter dict of that stage (read-only).
    function : callable
        ``function(output, *, init=None, run=None, **overrides)`` ->
        ``(classifier, history)``: runs the recipe and saves the result to
        ``output``.
    overrides : tuple of str
        The keyword arguments of ``function`` that may override the
        recipe (besides ``init`` and ``run``), e.g. ``'max_epochs'``.
    init : str
        What ``init`` (a weights file) is to this recipe.
    """

    task: str
    name: str
    summary: str
    stages: Mapping
    function: Callable
    overrides: tuple = ()
    init: str = 'the network to continue (default: the shipped one)'

    def __post_init__(self):
        object.__setattr__(self, 'stages', MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.stages.items()}))
        object.__setattr__(self, 'overrides', tuple(self.overrides))

    def train(self, output, *, init=None, run=None, **overrides):
        """
        Run the recipe; save the trained classifier to ``output``.

        Parameters
        ----------
        output : path-like
            Weights file to write.
        init : path-like, optional
            See `init`.
        run : `~astro_galclass.training.RunOptions`, optional
            Device, progress bars, checkpoints and time budget.
        **overrides
            Settings that override the recipe's (`overrides`); `None`
            values are left out.

        Returns
        -------
        classifier : HighZClassifier or MorphologyClassifier
            The trained classifier, also saved to ``output``.
        history : `~astropy.table.QTable`
            The training history of the last stage run.
        """
        unknown = sorted(set(overrides) - set(self.overrides))
        if unknown:
            msg = (f'the {self.task} recipe {self.name!r} does not take {unknown}; it takes '
                   f'{sorted(self.overrides)}')
            raise TypeError(msg)
        given = {k: v for k, v in overrides.items() if v is not None}
        return self.function(output, init=init, run=run, **given)


_SIMULATED = ('max_epochs', 'batches_per_epoch', 'n_val', 'workers')
_FROZEN = ('max_epochs', 'n_sky', 'n_balanced', 'name')

#: Every recipe of the shipped models: ``(task, name)`` -> `Recipe`.
RECIPES = MappingProxyType({(r.task, r.name): r for r in (
    Recipe('highz', 'shipped',
           'train version 3 of the shipped high-z model from scratch in two stages on '
           'simulated cutouts',
           {'stage1': highz.HIGHZ_STAGE1_RECIPE, 'stage2': highz.HIGHZ_STAGE2_RECIPE},
           highz.reproduce_highz, ('stage2_epochs', *_SIMULATED),
           init='a stage-1 result to start stage 2 from (skips stage 1)'),
    Recipe('highz', 'v5',
           'train the candidate version 5 of the high-z model from random weights on two CPU '
           'cores: sky and balanced populations, varied rendering, mosaic cutouts, random '
           'band subsets',
           {'v5': highz_v5.HIGHZ_V5_RECIPE}, highz_v5.train_highz_v5,
           ('max_epochs', 'batches_per_epoch', 'n_val', 'name'),
           init='a band-masked network to continue (default: random weights)'),
    Recipe('highz', 'head',
           'retrain the dense head of a seven-band network on both populations, '
           'convolutional layers frozen (how version 4 was made from version 3)',
           {'head': highz_head.HIGHZ_HEAD_RECIPE}, highz_head.retrain_highz_head, _FROZEN),
    Recipe('highz', 'top',
           'retrain the last spatial block and the dense head of a seven-band network on '
           'both populations (an experiment)',
           {'top': highz_head.HIGHZ_TOP_RECIPE}, highz_head.retrain_highz_top, _FROZEN),
    Recipe('highz', 'sky',
           'continue a network on the sky population (an experiment, not the shipped '
           'recipe)',
           {'sky': highz.HIGHZ_SKY_RECIPE}, highz.continue_highz_sky, (*_SIMULATED, 'name')),
    Recipe('highz', 'bands',
           'give a seven-band network a band-availability input and continue it on random '
           'band subsets',
           {'bands': highz.HIGHZ_BANDS_RECIPE}, highz.continue_highz_bands,
           (*_SIMULATED, 'name')),
    Recipe('morphology', 'shipped',
           'train version 3 of the shipped morphology model from scratch in two stages on '
           'simulated galaxies',
           {'stage1': morphology.MORPHOLOGY_STAGE1_RECIPE,
            'stage2': morphology.MORPHOLOGY_STAGE2_RECIPE},
           morphology.reproduce_morphology, ('max_epochs', 'stage2_epochs', 'n_images'),
           init='a stage-1 result to start stage 2 from (skips stage 1)'),
    Recipe('morphology', 'photograph',
           'continue a network on simulated photographs (stage 1 of version 4)',
           {'photograph': morphology.MORPHOLOGY_PHOTOGRAPH_RECIPE},
           functools.partial(morphology.continue_morphology_photograph, stage='photograph'),
           ('max_epochs', 'n_images')),
    Recipe('morphology', 'photograph-stars',
           'then one epoch on photographs with more stars and artifacts (stage 2 of '
           'version 4)',
           {'stars': morphology.MORPHOLOGY_STARS_RECIPE},
           functools.partial(morphology.continue_morphology_photograph, stage='stars'),
           ('max_epochs', 'n_images'),
           init='the result of --recipe photograph (default: the shipped network)'),
)})


def get_recipe(task, name):
    """
    The `Recipe` of ``task`` called ``name``.

    Parameters
    ----------
    task : {'highz', 'morphology'}
        The classifier.
    name : str
        The recipe's name (``'shipped'``, ``'head'``, ...).

    Returns
    -------
    recipe : `Recipe`
        The recipe.

    Examples
    --------
    >>> from astro_galclass.training.recipes import get_recipe
    >>> recipe = get_recipe('highz', 'head')
    >>> recipe.stages['head']['n_sky'], 'n_sky' in recipe.overrides
    (24000, True)
    """
    try:
        return RECIPES[task, name]
    except KeyError:
        names = sorted(n for t, n in RECIPES if t == task)
        msg = f'no {task} recipe {name!r}; the {task} recipes are {names}'
        raise ValueError(msg) from None
