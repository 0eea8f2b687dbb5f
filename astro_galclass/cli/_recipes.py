# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
``--recipe`` of ``train-highz`` and ``train-morphology``, read from the
recipe table (`astro_galclass.training.recipes.RECIPES`): which options go
with which recipe, the help text, and running one.
"""

import time

from astro_galclass.cli._args import init_path, run_options
from astro_galclass.training.recipes import RECIPES, get_recipe

#: The options every recipe takes besides ``--init`` and its overrides.
RUN_OPTIONS = ('--device', '--time-budget', '--checkpoint-dir', '--no-progress')


def option(dest):
    """``'n_sky'`` -> ``'--n-sky'``."""
    return '--' + dest.replace('_', '-')


def recipe_names(task):
    """The ``--recipe`` choices of ``task``."""
    return tuple(name for t, name in RECIPES if t == task)


def recipes_help(task):
    """What each recipe of ``task`` does, for ``--recipe``'s help."""
    return '; '.join(f"'{r.name}': {r.summary}" for (t, _), r in RECIPES.items() if t == task)


def init_help(task):
    """What ``--init`` is to each recipe of ``task``, for its help."""
    return '; '.join(f'{r.name}: {r.init}' for (t, _), r in RECIPES.items() if t == task)


def _where(task, dest, user_options):
    """Where an option applies, for messages: the recipes that take it, or none."""
    names = [r.name for (t, _), r in RECIPES.items() if t == task and dest in r.overrides]
    places = [f"--recipe {' or '.join(names)}"] if names else []
    if dest in user_options:
        places.append('training without --recipe')
    return ' and '.join(places)


def check_options(args, task, checked, user_options):
    """
    Refuse the options that do not go with the chosen ``--recipe`` (or with none).

    ``checked`` are the options (argparse ``dest``) that apply to some ways of
    training only, `None` when not given; ``user_options`` those that
    training without ``--recipe`` takes. What a recipe takes comes from its
    `~astro_galclass.training.recipes.Recipe`: ``--init``, its overrides and
    the run options.
    """
    given = [dest for dest in checked if getattr(args, dest) is not None]
    if args.recipe is None:
        wrong = [dest for dest in given if dest not in user_options]
        if wrong:
            msg = '; '.join(f'{option(d)} applies only with {_where(task, d, ())}'
                            for d in wrong)
            raise SystemExit(msg)
        return
    recipe = get_recipe(task, args.recipe)
    wrong = [dest for dest in given if dest not in ('init', *recipe.overrides)]
    if wrong:
        takes = [option('init'), *map(option, recipe.overrides), *RUN_OPTIONS]
        where = ', '.join(f'{option(d)} (for {_where(task, d, user_options)})' for d in wrong)
        msg = (f'--recipe {recipe.name} cannot be combined with {where}; --recipe '
               f'{recipe.name} ({recipe.summary}) takes {", ".join(takes)}')
        raise SystemExit(msg)


def run_recipe(args, task):
    """Run ``--recipe`` with the options given; print its history and what was written."""
    recipe = get_recipe(task, args.recipe)
    start = time.perf_counter()
    clf, history = recipe.train(
        args.output, init=init_path(args.init, task), run=run_options(args),
        **{dest: getattr(args, dest) for dest in recipe.overrides})
    history.pprint(max_lines=-1, max_width=-1)
    parts = [f'\nstopped by {history.meta.get("stopped_by")}']
    if task == 'highz':
        parts.append(f'temperature {clf.temperature:.3f}')
        if 'default_priors_source' in clf.metadata:
            parts.append(f'default priors {clf.default_priors}')
    parts.append(f'wrote {args.output} in {time.perf_counter() - start:.0f} s')
    print('; '.join(parts))
    return 0
