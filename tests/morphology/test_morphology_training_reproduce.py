# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np

from astro_galclass.morphology import GZ2_TREE, MorphologyClassifier


def test_reproduce_morphology_smoke_run(tmp_path, capsys):
    from astro_galclass.training.reproduce import MORPHOLOGY_RECIPE, main

    out = tmp_path / 'morph.pt'
    assert main(['morphology', '--n-images', '40', '--max-epochs', '1', '--output', str(out),
                 '--no-progress', '--device', 'cpu']) == 0
    clf = MorphologyClassifier(out, device='cpu')
    recipe = clf.metadata['recipe']
    assert recipe['n_images'] == 40 and recipe['max_epochs'] == 1
    assert recipe['width'] == MORPHOLOGY_RECIPE['width']
    assert recipe['reproduce'] == 'python -m astro_galclass.training.reproduce morphology'
    assert clf.metadata['simulator']['seed'] == MORPHOLOGY_RECIPE['simulator_seed']
    assert clf.metadata['architecture_kwargs'] == {'head': 'tree', 'width': 0.25}
    pred = clf.predict_kaggle(np.random.default_rng(0).uniform(size=(2, 3, 64, 64)))
    assert GZ2_TREE.identity_residuals(pred).max() < 1e-6

    from astro_galclass.cli import main as galclass

    capsys.readouterr()
    assert galclass(['evaluate-morphology', '--weights', str(out), '--n-test', '30',
                     '--device', 'cpu']) == 0
    printed = capsys.readouterr().out
    assert 't11_arms_number' in printed
    assert 'largest tree-identity residual' in printed and 'goal <= 1e-6: met' in printed
    assert '(vote noise)' in printed


def test_shipped_morphology_model():
    clf = MorphologyClassifier.pretrained(device='cpu')
    assert clf.metadata['recipe']['reproduce'].endswith('reproduce morphology')
    assert clf.metadata['architecture_kwargs']['width'] == 0.25
    from astro_galclass.simulate import MorphologySimulator

    images, truth = MorphologySimulator(seed=77).sample(64)
    pred = clf.predict_kaggle(images)
    assert GZ2_TREE.identity_residuals(pred).max() < 1e-6
    target = GZ2_TREE.from_kaggle_table(truth)
    # a trained model, not a constant: far better than predicting the mean
    rmse = np.sqrt(np.mean((pred - target) ** 2))
    rmse_mean = np.sqrt(np.mean((target - target.mean(axis=0)) ** 2))
    assert rmse < 0.75 * rmse_mean
