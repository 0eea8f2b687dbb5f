# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest

from astro_galclass.morphology import GZ2_TREE, MorphologyClassifier


def test_reproduce_morphology_smoke_run(tmp_path, capsys):
    from astro_galclass.cli import main as galclass
    from astro_galclass.training.recipes.morphology import (
        MORPHOLOGY_STAGE1_RECIPE,
        MORPHOLOGY_STAGE2_RECIPE,
    )

    out = tmp_path / 'sub' / 'morph.pt'
    assert galclass(['train-morphology', '--recipe', 'shipped', '--n-images', '40',
                     '--max-epochs', '1', '--stage2-epochs', '1', '--output', str(out),
                     '--no-progress', '--device', 'cpu']) == 0
    clf = MorphologyClassifier(out, device='cpu')
    recipe = clf.metadata['recipe']
    assert recipe['reproduce'] == 'galclass train-morphology --recipe shipped'
    first, second = recipe['stage1'], recipe['stage2']
    assert first['n_images'] == second['n_images'] == 40
    assert first['max_epochs'] == second['max_epochs'] == 1
    assert first['width'] == MORPHOLOGY_STAGE1_RECIPE['width']
    assert first['simulator_seed'] == MORPHOLOGY_STAGE1_RECIPE['simulator_seed']
    assert second['simulator_seed'] == MORPHOLOGY_STAGE2_RECIPE['simulator_seed']
    assert second['schedule'] == 'cosine'
    assert clf.metadata['simulator']['seed'] == MORPHOLOGY_STAGE2_RECIPE['simulator_seed']
    # v3 was trained on the 'clean' images: its recipe says so, whatever the default
    assert clf.metadata['simulator']['realism'] == 'clean' == second['realism']
    assert clf.frame_r90 == 3.6 or 'framing' in clf.metadata
    assert clf.name == 'morphology-sim-parallelcnn-v3'
    assert clf.metadata['architecture_kwargs'] == {'head': 'tree', 'width': 1.0}
    pred = clf.predict_kaggle(np.random.default_rng(0).uniform(size=(2, 3, 64, 64)))
    assert GZ2_TREE.identity_residuals(pred).max() < 1e-6

    capsys.readouterr()
    assert galclass(['evaluate-morphology', '--weights', str(out), '--n-test', '30',
                     '--device', 'cpu']) == 0
    printed = capsys.readouterr().out
    assert 't11_arms_number' in printed
    assert 'largest tree-identity residual' in printed and 'goal <= 1e-6: met' in printed
    assert '(vote noise)' in printed


def test_reproduce_morphology_stage1_only_and_init(tmp_path):

    from astro_galclass.training import RunOptions
    from astro_galclass.training.recipes.morphology import reproduce_morphology

    run = RunOptions(device='cpu', progress=False)
    first = tmp_path / 'stage1.pt'
    reproduce_morphology(first, max_epochs=1, stage2_epochs=0, n_images=30, run=run)
    recipe = MorphologyClassifier(first, device='cpu').metadata['recipe']
    assert recipe['reproduce'].endswith('--stage2-epochs 0') and 'stage2' not in recipe
    second = tmp_path / 'stage2.pt'
    reproduce_morphology(second, init=first, stage2_epochs=1, n_images=30, run=run)
    recipe = MorphologyClassifier(second, device='cpu').metadata['recipe']
    assert recipe['stage1']['loaded_from'] == 'stage1.pt'
    assert recipe['stage2']['max_epochs'] == 1
    with pytest.raises(ValueError, match='stage2_epochs'):
        reproduce_morphology(second, init=first, stage2_epochs=0)


def test_shipped_morphology_model():
    clf = MorphologyClassifier.pretrained(device='cpu')
    assert clf.name == 'morphology-sim-parallelcnn-v4'
    assert clf.metadata['recipe']['reproduce'].startswith(
        'galclass train-morphology --recipe photograph-stars')
    assert clf.metadata['architecture_kwargs']['width'] == 1.0
    assert clf.metadata['simulator']['realism'] == 'photograph'
    from astro_galclass.simulate import MorphologySimulator

    images, truth = MorphologySimulator(seed=77).sample(150)
    pred = clf.predict_kaggle(images)
    assert GZ2_TREE.identity_residuals(pred).max() < 1e-6
    target = GZ2_TREE.from_kaggle_table(truth)
    # a trained model, not a constant: better than predicting the mean (on
    # photographs, where vote noise and hard questions weigh more), and right on
    # the galaxies whose smooth-or-featured vote is clear (0.95 on 941 of them
    # in the model card)
    rmse = np.sqrt(np.mean((pred - target) ** 2))
    rmse_mean = np.sqrt(np.mean((target - target.mean(axis=0)) ** 2))
    assert rmse < 0.9 * rmse_mean
    clear = np.asarray(truth['smooth_truth']) >= 0
    assert clear.sum() >= 50
    smooth = pred[clear, 0] > pred[clear, 1]
    assert np.mean(smooth == (np.asarray(truth['smooth_truth'])[clear] == 1)) >= 0.85


def test_recipe_options_need_the_recipe(tmp_path):

    from astro_galclass.cli import main as galclass

    with pytest.raises(SystemExit, match='--n-images applies only with --recipe shipped or '
                       'photograph or photograph-stars'):
        galclass(['train-morphology', '--output', str(tmp_path / 'm.pt'), '--n-images', '5',
                  '--simulate', '10'])
    with pytest.raises(SystemExit, match=r'--recipe shipped cannot be combined with --simulate '
                       r'\(for training without --recipe\)'):
        galclass(['train-morphology', '--recipe', 'shipped', '--output',
                  str(tmp_path / 'm.pt'), '--simulate', '10'])
    # the seeds of a recipe are the recipe's; --stage2-epochs is the shipped recipe's only
    with pytest.raises(SystemExit, match='cannot be combined with --seed'):
        galclass(['train-morphology', '--recipe', 'photograph', '--output',
                  str(tmp_path / 'm.pt'), '--seed', '3'])
    with pytest.raises(SystemExit, match=r'--stage2-epochs \(for --recipe shipped\)'):
        galclass(['train-morphology', '--recipe', 'photograph', '--output',
                  str(tmp_path / 'm.pt'), '--stage2-epochs', '3'])


def test_photograph_recipe_smoke_run(tmp_path):
    from astro_galclass.cli import main as galclass
    from astro_galclass.training.recipes.morphology import MORPHOLOGY_PHOTOGRAPH_RECIPE

    out = tmp_path / 'photo.pt'
    assert galclass(['train-morphology', '--recipe', 'photograph', '--n-images', '40',
                     '--max-epochs', '1', '--output', str(out), '--no-progress',
                     '--device', 'cpu']) == 0
    clf = MorphologyClassifier(out, device='cpu')
    assert clf.metadata['simulator']['realism'] == 'photograph'
    assert clf.metadata['simulator']['seed'] == MORPHOLOGY_PHOTOGRAPH_RECIPE['simulator_seed']
    assert clf.metadata['recipe']['reproduce'] == 'galclass train-morphology --recipe photograph'
    # without --init it continues the shipped network
    assert clf.metadata['recipe']['base'] == MorphologyClassifier.pretrained().name
    # the second stage continues the first on a mix with more stars
    second = tmp_path / 'stars.pt'
    assert galclass(['train-morphology', '--recipe', 'photograph-stars', '--init', str(out),
                     '--n-images', '40', '--max-epochs', '1', '--output', str(second),
                     '--no-progress', '--device', 'cpu']) == 0
    clf = MorphologyClassifier(second, device='cpu')
    assert clf.metadata['simulator']['kinds']['star'] == pytest.approx(0.25)
    assert clf.metadata['recipe']['reproduce'].endswith('photograph-stars --init FILE')
    assert clf.metadata['recipe']['base'] == 'morphology-sim-parallelcnn-v4-stage1'
    assert clf.name == 'morphology-sim-parallelcnn-v4'
