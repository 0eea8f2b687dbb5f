# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The recipe table of the shipped models and the run options (issue 30)."""

import inspect
from pathlib import Path

import pytest
import torch

from astro_galclass.training import RunOptions
from astro_galclass.training.recipes import RECIPES, Recipe, get_recipe
from astro_galclass.training.recipes.highz import HIGHZ_STAGE1_RECIPE, HIGHZ_STAGE2_RECIPE
from astro_galclass.training.recipes.highz_head import HIGHZ_HEAD_RECIPE


def test_every_recipe_is_data_plus_one_function():
    assert {name for task, name in RECIPES if task == 'highz'} == {
        'shipped', 'head', 'top', 'sky', 'bands', 'v5'}
    assert {name for task, name in RECIPES if task == 'morphology'} == {
        'shipped', 'photograph', 'photograph-stars'}
    shipped = get_recipe('highz', 'shipped')
    assert shipped.stages == {'stage1': HIGHZ_STAGE1_RECIPE, 'stage2': HIGHZ_STAGE2_RECIPE}
    assert get_recipe('highz', 'head').stages['head'] == HIGHZ_HEAD_RECIPE
    with pytest.raises(TypeError):
        shipped.stages['stage1']['lr'] = 1.0                # read-only
    for recipe in RECIPES.values():
        assert isinstance(recipe, Recipe)
        # every override is a keyword of the function, and so are init and run
        params = inspect.signature(recipe.function).parameters
        assert {'init', 'run', *recipe.overrides} <= set(params), recipe.name


def test_recipe_refuses_options_it_does_not_take(tmp_path):
    with pytest.raises(TypeError, match=r"recipe 'sky' does not take \['n_sky'\]"):
        get_recipe('highz', 'sky').train(tmp_path / 'x.pt', n_sky=10)
    with pytest.raises(ValueError, match=r"no highz recipe 'fast'; the highz recipes are"):
        get_recipe('highz', 'fast')


def test_run_options_are_checked_once():
    run = RunOptions(device='cpu', seed=3, checkpoint_dir='ckpt', time_budget=60)
    assert run.checkpoint_dir == Path('ckpt') and run.time_budget == 60.0
    assert run.trainer_options() == {'seed': 3, 'progress': True,
                                     'checkpoint_dir': Path('ckpt'), 'time_budget': 60.0,
                                     'precision': 'fp32'}
    assert RunOptions(precision='bf16').precision == 'bf16'
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16', got 'fp16'"):
        RunOptions(precision='fp16')
    with pytest.raises(ValueError, match='resume=True needs a checkpoint_dir'):
        RunOptions(resume=True)
    with pytest.raises(TypeError, match='resume must be True or False'):
        RunOptions(resume='yes', checkpoint_dir='ckpt')
    assert RunOptions(device=torch.device('cpu')).device == torch.device('cpu')
    assert RunOptions.check(None) == RunOptions()
    with pytest.raises(TypeError, match='seed must be an int'):
        RunOptions(seed=True)
    with pytest.raises(TypeError, match='progress must be True or False'):
        RunOptions(progress='no')
    with pytest.raises(ValueError, match='time_budget must be a finite positive'):
        RunOptions(time_budget=0)
    with pytest.raises(TypeError, match='device must be'):
        RunOptions(device=0)
    with pytest.raises(TypeError, match='run must be a RunOptions or None'):
        RunOptions.check({'device': 'cpu'})
    with pytest.raises(AttributeError):
        run.seed = 4                                         # frozen
