# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch
from astropy.table import QTable

from astro_galclass import HighZClassifier
from astro_galclass.cli import main
from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator

TINY = {'stem_channels': 4, 'spectral_channels': 8, 'n_spectral_blocks': 1,
        'spatial_channels': (8,), 'head_units': (16,), 'head_dropout': (0.0,)}


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('w') / 'tiny.pt'
    HighZClassifier(LymanBreakCNN(**TINY), device='cpu', name='tiny').save(path)
    return path


def test_train_highz_from_npz(tmp_path, capsys):
    cutouts, truth = NIRCamSimulator(seed=21).sample(60)
    np.savez(tmp_path / 'mine.npz', cutouts=cutouts.value, labels=np.asarray(truth['label']))
    out = tmp_path / 'mine.pt'
    assert main(['train-highz', '--data', str(tmp_path / 'mine.npz'), '--output', str(out),
                 '--max-epochs', '1', '--batch-size', '16', '--device', 'cpu']) == 0
    clf = HighZClassifier(out)
    assert clf.metadata['recipe']['n_train'] == 48
    assert 'temperature' in capsys.readouterr().out
    np.savez(tmp_path / 'bad.npz', images=cutouts.value)
    with pytest.raises(SystemExit, match='"cutouts"'):
        main(['train-highz', '--data', str(tmp_path / 'bad.npz'), '--output', str(out)])


def test_evaluate_highz(tiny_weights, tmp_path, capsys):
    assert main(['evaluate-highz', '--weights', str(tiny_weights), '--n-test', '300',
                 '--n-train-baseline', '300', '--output', str(tmp_path), '--device',
                 'cpu', '--priors', 'low_z=0.8,high_z=0.15,brown_dwarf=0.05']) == 0
    text = capsys.readouterr().out
    assert 'random forest' in text and 'colour cuts' in text and 'CNN vs' in text
    assert 'weight the test set to the class mix' in text
    table = QTable.read(tmp_path / 'evaluation.ecsv')
    assert set(table['model']) == {'CNN', 'random forest', 'colour cuts'}
    assert set(table['mix']) == {'test set', 'priors'}
    assert len(table) == 12
    with pytest.raises(SystemExit):
        main(['evaluate-highz', '--priors', 'high_z:0.1'])
    assert (tmp_path / 'evaluation.png').stat().st_size > 10000


def test_evaluate_highz_on_the_sky_population(tiny_weights, tmp_path, capsys):
    assert main(['evaluate-highz', '--weights', str(tiny_weights), '--n-test', '240',
                 '--n-train-baseline', '240', '--output', str(tmp_path), '--device',
                 'cpu', '--population', 'sky', '--select-completeness', '0.5']) == 0
    text = capsys.readouterr().out
    assert 'sky population' in text and "targets at the sky's mix" in text
    # the paired test is also run on the decisions at the sky's mix, and on the
    # two models' selections at one completeness
    assert 'at the mix "sky" (paired counts' in text
    at_sky, at_selection = text.split('at the mix "sky"')[1].split('at the mix "sky, selection"')
    assert at_sky.count('CNN vs random forest') == 2
    assert at_selection.count('CNN vs random forest') == 2
    assert 'on the high-z decision' in at_selection and 'p_low_z_rejection' in at_selection
    assert 'min completeness 0.5, measured on seed 9' in text
    assert '  CNN: p_high_z >= ' in text
    assert "the CNN's selection against the issue-13 goals" in text
    for bad in (['--select-contamination', '3'],
                ['--select-contamination', '0.1', '--select-completeness', '0.9']):
        with pytest.raises(SystemExit):
            main(['evaluate-highz', *bad])
    table = QTable.read(tmp_path / 'evaluation.ecsv')
    assert set(table['mix']) == {'test set', 'sky', 'sky, selection'}
    assert table.meta['selection']['CNN']['calibration_completeness'] >= 0.5
    assert table.meta['population'] == 'sky'
    mix = table.meta['priors']
    expected = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    assert mix['high_z'] == pytest.approx(expected['high_z'])
    # the faint slice has no brown dwarf: scored on the other two classes
    faint = table[(table['mix'] == 'sky') & (table['snr_slice'] == '5 <= S/N < 10')]
    assert len(faint) == 3


def test_evaluate_highz_on_the_cosmos_web_bands(tiny_weights, tmp_path, capsys):
    masked = HighZClassifier(tiny_weights, device='cpu')
    masked = HighZClassifier(masked.model.with_band_mask(), device='cpu', name='masked')
    masked.save(tmp_path / 'masked.pt')
    assert main(['evaluate-highz', '--weights', str(tmp_path / 'masked.pt'), '--n-test',
                 '300', '--n-train-baseline', '300', '--output', str(tmp_path), '--device',
                 'cpu', '--depth', 'cosmos-web', '--bands', 'cosmos-web',
                 '--select-contamination', '0.99']) == 0
    text = capsys.readouterr().out
    assert 'bands F115W F150W F277W F444W' in text and 'colour cuts' not in text
    # the threshold is measured on the same four bands
    assert '  CNN: p_high_z >= ' in text
    table = QTable.read(tmp_path / 'evaluation.ecsv')
    assert set(table['model']) == {'CNN', 'random forest'}
    assert table.meta['bands'] == ['F115W', 'F150W', 'F277W', 'F444W']
    assert table.meta['depth'] == 'cosmos-web'
    # a seven-band network cannot be evaluated on four bands
    assert main(['evaluate-highz', '--weights', str(tiny_weights), '--n-test', '30',
                 '--no-baselines', '--device', 'cpu', '--bands',
                 'F115W,F150W,F277W,F444W']) == 1
    assert 'needs all its bands' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(['evaluate-highz', '--bands', 'F115W,F410M'])


def test_train_morphology_needs_one_source(tmp_path):
    with pytest.raises(SystemExit, match='exactly one data source'):
        main(['train-morphology', '--output', str(tmp_path / 'm.pt')])


def test_demo(tiny_weights, tmp_path):
    from regions import Regions

    from astro_galclass.demo import run_demo

    lines = []
    catalog, summary = run_demo(tmp_path, n_sources=60, shape=(600, 600), seed=1,
                                classifier=HighZClassifier(tiny_weights, device='cpu'),
                                say=lines.append)
    for name in ('catalog.ecsv', 'classes.reg', 'field.png', 'mosaic_f090w.fits',
                 'mosaic_f444w.fits'):
        assert (tmp_path / name).exists()
    written = QTable.read(tmp_path / 'catalog.ecsv')
    assert len(written) == summary['detections'] == len(catalog) > 10
    assert {'p_high_z', 'highz_class', 'highz_flags', 'true_class'} <= set(written.colnames)
    regions = Regions.read(str(tmp_path / 'classes.reg'), format='ds9')
    assert len(regions) == len(catalog)
    assert {r.visual['edgecolor'] for r in regions} <= {'cyan', 'red', 'yellow', 'white'}
    assert 0 <= summary['accuracy'] <= 1
    assert any('accuracy' in line for line in lines)
    # the field is drawn, and classified, at the sky's class mix
    sky = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    assert summary['priors']['high_z'] == pytest.approx(sky['high_z'])
    assert any('completeness' in line and "sky's mix" in line for line in lines)
    assert catalog.meta['astro_galclass_highz']['options']['priors']['high_z'] == pytest.approx(
        sky['high_z'])
    # the figure's legend counts every source, the unclassified ones too
    from astro_galclass.demo import class_counts

    counts = class_counts(catalog)
    assert sum(counts.values()) == len(catalog)
    assert counts['unclassified'] == int(catalog['highz_class'].mask.sum())


def test_train_highz_recipe_options(tmp_path):
    # which options go with which recipe comes from the recipe table
    with pytest.raises(SystemExit, match='--workers applies only with --recipe shipped or sky '
                       'or bands'):
        main(['train-highz', '--output', str(tmp_path / 'm.pt'), '--workers', '2'])
    with pytest.raises(SystemExit, match='cannot be combined with --data'):
        main(['train-highz', '--recipe', 'shipped', '--output', str(tmp_path / 'm.pt'),
              '--data', str(tmp_path / 'x.npz')])
    with pytest.raises(SystemExit, match=r'--recipe sky cannot be combined with --n-sky '
                       r'\(for --recipe head or top\)'):
        main(['train-highz', '--recipe', 'sky', '--output', str(tmp_path / 'm.pt'),
              '--n-sky', '100'])
    with pytest.raises(SystemExit, match='--n-balanced applies only with --recipe head or top'):
        main(['train-highz', '--output', str(tmp_path / 'm.pt'), '--n-balanced', '100'])
    with pytest.raises(SystemExit, match=r'cannot be combined with --batch-size \(for training '
                       r'without --recipe\), --lr .*; --recipe head \(retrain the dense head'):
        main(['train-highz', '--recipe', 'head', '--output', str(tmp_path / 'm.pt'),
              '--lr', '0.1', '--batch-size', '8'])
    with pytest.raises(SystemExit, match='takes --init, --stage2-epochs, --max-epochs'):
        main(['train-highz', '--recipe', 'shipped', '--output', str(tmp_path / 'm.pt'),
              '--stage2-epochs', '1', '--seed', '1'])
    with pytest.raises(SystemExit, match='--resume needs --checkpoint-dir'):
        main(['train-highz', '--recipe', 'v5', '--output', str(tmp_path / 'm.pt'),
              '--resume'])


def test_every_recipe_option_is_an_option_of_its_command():
    from astro_galclass.cli import _parser, train_highz, train_morphology
    from astro_galclass.training.recipes import RECIPES

    parser = _parser()
    for (task, name), recipe in RECIPES.items():
        command = {'highz': train_highz, 'morphology': train_morphology}[task]
        assert set(recipe.overrides) <= set(command.CHECKED), name
        args = parser.parse_args([f'train-{task}', '--output', 'x.pt', '--recipe', name])
        assert all(hasattr(args, dest) for dest in recipe.overrides)


def test_train_highz_head_recipe_from_the_shell(tiny_model, tmp_path):
    from astro_galclass import HighZClassifier

    HighZClassifier(tiny_model, device='cpu').save(tmp_path / 'v3.pt')
    out = tmp_path / 'v4.pt'
    assert main(['train-highz', '--recipe', 'head', '--init', str(tmp_path / 'v3.pt'),
                 '--output', str(out), '--n-sky', '60', '--n-balanced', '30',
                 '--max-epochs', '1', '--device', 'cpu', '--no-progress',
                 '--name', 'my-head']) == 0
    clf = HighZClassifier(out)
    assert clf.name == 'my-head'
    assert clf.metadata['recipe']['head']['n_sky'] == 60
    out = tmp_path / 'v5.pt'
    assert main(['train-highz', '--recipe', 'top', '--init', str(tmp_path / 'v3.pt'),
                 '--output', str(out), '--n-sky', '30', '--n-balanced', '30',
                 '--max-epochs', '1', '--device', 'cpu', '--no-progress']) == 0
    assert HighZClassifier(out).metadata['recipe']['top']['n_balanced'] == 30
