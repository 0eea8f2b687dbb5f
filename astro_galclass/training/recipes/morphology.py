# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The recipes of the shipped morphology model.

`reproduce_morphology` trains version 3 from scratch on simulated galaxies
in two stages (`MORPHOLOGY_STAGE1_RECIPE`, `MORPHOLOGY_STAGE2_RECIPE`);
`continue_morphology_photograph` continues a network on simulated
photographs (`MORPHOLOGY_PHOTOGRAPH_RECIPE`, then
`MORPHOLOGY_STARS_RECIPE`), which made version 4. From the shell:
``galclass train-morphology --recipe shipped|photograph|photograph-stars``.
"""

import os
import time
from pathlib import Path

import torch

from astro_galclass.morphology.classifier import MorphologyClassifier
from astro_galclass.morphology.models import ParallelCNN
from astro_galclass.training._records import (
    check_stage2_epochs,
    override_recipe,
    run_record,
    save_classifier,
    stage_budgets,
)
from astro_galclass.training.morphology import train_morphology
from astro_galclass.training.options import RunOptions

__all__ = ['MORPHOLOGY_PHOTOGRAPH_RECIPE', 'MORPHOLOGY_STAGE1_RECIPE',
           'MORPHOLOGY_STAGE2_RECIPE', 'MORPHOLOGY_STARS_RECIPE',
           'continue_morphology_photograph', 'reproduce_morphology']


#: Stage 1 of the shipped morphology model: the seed's Parallel CNN at its
#: full width, from scratch, on 120,000 simulated galaxies.
MORPHOLOGY_STAGE1_RECIPE = {
    'simulator_seed': 20261203,
    'realism': 'clean',
    'n_images': 120000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 128,
    'lr': 1e-3,
    'schedule': 'cosine',
    'max_epochs': 2,
    'patience': 2,
    'seed': 3,
}

#: Stage 2 of the shipped morphology model: continued training from the
#: stage-1 network on 120,000 other simulated galaxies, learning rate
#: decaying from half the stage-1 rate.
MORPHOLOGY_STAGE2_RECIPE = {
    'simulator_seed': 20261204,
    'realism': 'clean',
    'n_images': 120000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 128,
    'lr': 5e-4,
    'schedule': 'cosine',
    'max_epochs': 10,
    'patience': 10,
    'seed': 3,
}

#: Continue a network on simulated photographs (``realism='photograph'``):
#: fields with stars and neighbours, any framing, random stretches, colour
#: balance, monochrome and JPEG (``galclass train-morphology --recipe
#: photograph``). Sized for two CPU cores (about 45 minutes); a lent GPU
#: should run it with ``--n-images`` 100000 or more and more epochs.
MORPHOLOGY_PHOTOGRAPH_RECIPE = {
    'simulator_seed': 20261210,
    'realism': 'photograph',
    'n_images': 10000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 64,
    'lr': 3e-4,
    'schedule': 'cosine',
    'max_epochs': 2,
    'patience': 2,
    'seed': 5,
}

#: Then one epoch on photographs with four times more stars and twice more
#: artifacts than the default mix (``galclass train-morphology --recipe
#: photograph-stars --init FILE``): the first stage alone learns too few of
#: Galaxy Zoo's "star or artifact" answers.
MORPHOLOGY_STARS_RECIPE = {
    'simulator_seed': 20261211,
    'realism': 'photograph',
    'kinds': {'elliptical': 0.30, 'disk': 0.25, 'irregular': 0.05, 'merger': 0.05,
              'star': 0.25, 'artifact': 0.10},
    'n_images': 5000,
    'voters': 40.0,
    'width': 1.0,
    'val_fraction': 0.1,
    'batch_size': 64,
    'lr': 1e-4,
    'schedule': 'cosine',
    'max_epochs': 1,
    'patience': 1,
    'seed': 6,
}



def _morphology_stage(recipe, model, name, *, run):
    """One training stage of the morphology recipe, on freshly simulated galaxies."""
    from astro_galclass.simulate import MorphologySimulator

    start = time.perf_counter()
    torch.manual_seed(recipe['seed'])
    sim = MorphologySimulator(seed=recipe['simulator_seed'], voters=recipe['voters'],
                              realism=recipe.get('realism', 'clean'), kinds=recipe.get('kinds'))
    images, truth = sim.sample(recipe['n_images'], workers=os.cpu_count() or 1)
    clf, history = train_morphology(
        images, truth, model=model, loss='rmse', validation=recipe['val_fraction'],
        batch_size=recipe['batch_size'], lr=recipe['lr'], schedule=recipe['schedule'],
        max_epochs=recipe['max_epochs'], patience=recipe['patience'], name=name,
        run=run.replace(seed=recipe['seed']))
    clf.metadata['simulator'] = sim.settings()
    clf.metadata['training'] = (f'simulated galaxies (astro_galclass MorphologySimulator, seed '
                                f'{recipe["simulator_seed"]}); {clf.metadata["training"]}')
    clf.metadata['recipe'] = {**clf.metadata['recipe'], **recipe, **run_record(clf, start)}
    return clf, history


def reproduce_morphology(output, *, init=None, max_epochs=None, stage2_epochs=None,
                         n_images=None, run=None):
    """
    Train the shipped morphology model with its recipe; save it to ``output``.

    Stage 1 (`MORPHOLOGY_STAGE1_RECIPE`): `~astro_galclass.simulate.MorphologySimulator`
    draws 120,000 galaxies with vote fractions from about 40 simulated
    volunteers (in parallel chunks of
    `~astro_galclass.simulate.MorphologySimulator.PARALLEL_CHUNK`, using every
    CPU core; the galaxies do not depend on the number of cores); the seed's
    `~astro_galclass.morphology.ParallelCNN` at full width with the tree
    output layer is trained on them with `train_morphology` (RMSE on the
    Kaggle targets, rotations and flips, a held-out tenth for validation).
    Stage 2 (`MORPHOLOGY_STAGE2_RECIPE`) continues on 120,000 other
    simulated galaxies. Both stages use a cosine-decaying learning rate. The
    shipped weights were trained on a GPU (an H100, about 13 minutes); on two
    CPU cores the same recipe takes about a day. From the shell:
    ``galclass train-morphology --recipe shipped``.

    Parameters
    ----------
    output : path-like
        Weights file to write (its folder is created).
    init : path-like, optional
        A weights file (a stage-1 result or the shipped model): skip stage 1
        and run stage 2 from its network.
    max_epochs, stage2_epochs, n_images : int, optional
        Override the recipes (for a quick smoke run): ``max_epochs`` is
        stage 1's, ``stage2_epochs`` stage 2's (0 stops after stage 1),
        ``n_images`` applies to both stages; the weights metadata records
        what was used.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars and checkpoints (stage 2's in ``stage2/``);
        its ``time_budget`` (not counting the simulation) is split over the
        stages in proportion to their work. The recipes fix the seeds.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The trained classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The history of the last stage run.
    """
    run = RunOptions.check(run)
    stage1 = override_recipe(MORPHOLOGY_STAGE1_RECIPE, max_epochs=max_epochs, n_images=n_images)
    stage2 = override_recipe(MORPHOLOGY_STAGE2_RECIPE, max_epochs=stage2_epochs,
                             n_images=n_images)
    check_stage2_epochs(stage2['max_epochs'], init)
    budget1, budget2 = stage_budgets(run.time_budget, {**stage1, 'max_epochs': 0}
                                     if init is not None else stage1, stage2)
    command = 'galclass train-morphology --recipe shipped'
    if init is None:
        torch.manual_seed(stage1['seed'])
        clf, history = _morphology_stage(
            stage1, ParallelCNN(width=stage1['width']), 'morphology-sim-parallelcnn-v3-stage1',
            run=run.replace(time_budget=budget1))
        clf.metadata['recipe']['reproduce'] = command
        if stage2['max_epochs'] == 0:
            clf.metadata['recipe']['reproduce'] = f'{command} --stage2-epochs 0'
            return save_classifier(clf, output), history
        first = clf.metadata
        record1 = first['recipe']
    else:
        clf = MorphologyClassifier(init, device=run.device)
        first = clf.metadata
        record1 = {**first.get('recipe', {}), 'loaded_from': Path(init).name}
    clf, history = _morphology_stage(
        stage2, clf.model, 'morphology-sim-parallelcnn-v3',
        run=run.replace(time_budget=budget2, checkpoint_dir=None if run.checkpoint_dir is None
                        else run.checkpoint_dir / 'stage2'))
    clf.metadata['training'] = f'{first.get("training", "not recorded")}; then ' \
                               f'{clf.metadata["training"]}'
    clf.metadata['recipe'] = {
        'reproduce': command, 'stage1': record1, 'stage2': clf.metadata['recipe'],
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    return save_classifier(clf, output), history


def continue_morphology_photograph(output, *, init=None, max_epochs=None, n_images=None,
                                   stage='photograph', run=None):
    """
    Continue a morphology network on simulated photographs; save it to ``output``.

    `MORPHOLOGY_PHOTOGRAPH_RECIPE`: `~astro_galclass.simulate.MorphologySimulator`
    with ``realism='photograph'`` draws the galaxies (in parallel, on every
    core), and `train_morphology` continues the network on them (RMSE on
    the Kaggle targets, rotations and flips, a tenth held out). From the
    shell: ``galclass train-morphology --recipe photograph``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The network to continue (default: the shipped one). The shipped
        version 4 is version 3 (`reproduce_morphology`) continued by stage
        ``'photograph'`` and then stage ``'stars'``.
    max_epochs, n_images : int, optional
        Override the recipe (for a quick smoke run).
    stage : {'photograph', 'stars'}, optional
        `MORPHOLOGY_PHOTOGRAPH_RECIPE`, or `MORPHOLOGY_STARS_RECIPE` (its
        second stage, from the first stage's result as ``init``).
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints and time budget; the recipe
        fixes the seeds.

    Returns
    -------
    classifier : `~astro_galclass.morphology.MorphologyClassifier`
        The trained classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        Its training history.
    """
    run = RunOptions.check(run)
    recipes = {'photograph': MORPHOLOGY_PHOTOGRAPH_RECIPE, 'stars': MORPHOLOGY_STARS_RECIPE}
    if stage not in recipes:
        msg = f'stage must be one of {sorted(recipes)}, got {stage!r}'
        raise ValueError(msg)
    recipe = override_recipe(recipes[stage], max_epochs=max_epochs, n_images=n_images)
    base = (MorphologyClassifier.pretrained(device=run.device) if init is None
            else MorphologyClassifier(init, device=run.device))
    clf, history = _morphology_stage(
        recipe, base.model, 'morphology-sim-parallelcnn-v4' + (
            '-stage1' if stage == 'photograph' else ''), run=run)
    clf.metadata['training'] = (f'{base.metadata.get("training", "not recorded")}; then '
                                f'{clf.metadata["training"]}')
    command = 'galclass train-morphology --recipe ' + (
        'photograph' if stage == 'photograph' else 'photograph-stars --init FILE')
    clf.metadata['recipe'] = {'reproduce': command,
                              'base': base.name, 'base_recipe': base.metadata.get('recipe'),
                              'stage': clf.metadata['recipe']}
    return save_classifier(clf, output), history


