# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from astropy.table import QTable

from astro_galclass.training import binned_completeness, evaluate_highz, plot_highz_evaluation
from astro_galclass.training.benchmark import check_targets, improvement_table


@pytest.fixture
def case():
    truth = QTable({'label': [0, 0, 1, 1, 1, 2, 2, 1],
                    'redshift': [1.0, 2.0, 5.0, 9.0, 12.0, np.nan, np.nan, 7.0],
                    'snr_F444W': [50., 20., 30., 15., 12., 40., 11., 6.]})
    pred = np.array([0, 1, 1, 1, 0, 2, 2, 1])
    probs = np.eye(3)[pred] * 0.8 + 0.2 / 3
    return truth, pred, probs


def test_metrics_by_hand(case):
    truth, pred, probs = case
    t = evaluate_highz({'net': probs, 'cuts': pred}, truth)
    row = t[(t['model'] == 'net') & (t['snr_slice'] == 'S/N >= 10')][0]
    assert row['n'] == 7
    assert row['accuracy'] == pytest.approx(5 / 7)
    assert row['highz_completeness'] == pytest.approx(2 / 3)       # 3 true high-z, 2 found
    assert row['highz_contamination'] == pytest.approx(1 / 3)      # 3 selected, 1 low-z
    assert row['recall_brown_dwarf'] == 1.0
    assert 0 <= row['ece'] <= 1
    faint = t[(t['model'] == 'net') & (t['snr_slice'] == '5 <= S/N < 10')][0]
    assert faint['n'] == 1 and faint['accuracy'] == 1.0
    cuts = t[(t['model'] == 'cuts') & (t['snr_slice'] == 'S/N >= 10')][0]
    assert np.isnan(cuts['ece'])                 # hard labels: no calibration
    assert cuts['accuracy'] == row['accuracy']


def test_unclassified_rows_count_as_wrong(case):
    truth, _, probs = case
    probs = probs.copy()
    probs[0] = np.nan
    t = evaluate_highz({'net': probs}, truth)
    assert t['unclassified'][0] == 1
    assert t['accuracy'][0] == pytest.approx(4 / 7)


def test_binned_completeness(case):
    truth, pred, _ = case
    t = binned_completeness(pred, truth, by='redshift', bins=[4, 8, 16])
    assert list(t['n_true']) == [2, 2]
    assert list(t['completeness']) == [1.0, 0.5]
    with pytest.raises(ValueError, match='by must be'):
        binned_completeness(pred, truth, by='mass')


def test_improvement_and_targets(case):
    truth, pred, probs = case
    worse = pred.copy()
    worse[2] = 0
    t = evaluate_highz({'CNN': probs, 'cuts': worse}, truth)
    imp = improvement_table(t)
    assert imp['d_accuracy'][0] == pytest.approx(1 / 7)
    lines = check_targets(t)
    assert any(line.startswith('accuracy') and 'NOT met' in line for line in lines)


def test_improvement_paired_test(case):
    # McNemar: only the sources one model gets right and the other wrong count
    truth, pred, probs = case
    other = pred.copy()
    other[[1, 4]] = [0, 1]          # fixes the CNN's two bright mistakes
    other[[0, 2, 5]] = [1, 0, 0]    # and makes three new ones
    probs = probs.copy()
    probs[3] = np.nan               # unclassified by the CNN: counts as wrong
    t = evaluate_highz({'CNN': probs, 'other': other}, truth)
    imp = improvement_table(t, results={'CNN': probs, 'other': other}, truth=truth)
    bright = imp[imp['snr_slice'] == 'S/N >= 10'][0]
    assert (bright['n_only_reference'], bright['n_only_other']) == (3, 3)
    assert bright['p_accuracy'] == pytest.approx(1.0)
    assert bright['d_accuracy'] == pytest.approx(0.0)
    faint = imp[imp['snr_slice'] == '5 <= S/N < 10'][0]
    assert (faint['n_only_reference'], faint['n_only_other'], faint['p_accuracy']) == (0, 0, 1.0)
    # 12 sources only one model gets right, all the same one: p = 2 / 2**12
    truth = QTable({'label': np.zeros(12, int), 'snr_F444W': np.full(12, 20.0)})
    good, bad = np.zeros(12, int), np.ones(12, int)
    t = evaluate_highz({'CNN': good, 'bad': bad}, truth)
    imp = improvement_table(t, results={'CNN': good, 'bad': bad}, truth=truth)
    assert imp['p_accuracy'][0] == pytest.approx(2 / 2 ** 12)
    assert 'p_accuracy' not in improvement_table(t).colnames


def test_improvement_paired_on_the_high_z_decision():
    # two selections compared on the high-z decision, within the high-z and
    # the low-z galaxies; brown dwarfs and the other classes' labels do not count
    truth = QTable({'label': np.array([0, 0, 2, 2, 1, 1, 0, 1, 1, 2]),
                    'snr_F444W': np.full(10, 20.0)})
    cnn = np.array([0, 0, 2, 2, 1, 1, 1, 0, 1, 1])     # a contaminant, a miss, a dwarf
    forest = np.array([2, 2, 0, 0, 1, 1, 0, 1, 0, 0])  # other classes wrong, a miss
    t = evaluate_highz({'CNN': cnn, 'forest': forest}, truth)
    by_class = improvement_table(t, results={'CNN': cnn, 'forest': forest}, truth=truth)
    assert (by_class['n_only_reference'][0], by_class['n_only_other'][0]) == (5, 2)
    on_high_z = improvement_table(t, results={'CNN': cnn, 'forest': forest}, truth=truth,
                                  paired_on='high_z')
    row = on_high_z[0]
    assert (row['n_high_z_only_reference'], row['n_high_z_only_other']) == (1, 1)
    assert row['p_completeness'] == pytest.approx(1.0)
    assert (row['n_low_z_only_reference'], row['n_low_z_only_other']) == (0, 1)
    assert row['p_low_z_rejection'] == pytest.approx(1.0)
    assert 'p_accuracy' not in on_high_z.colnames
    with pytest.raises(ValueError, match="paired_on must be 'class' or 'high_z'"):
        improvement_table(t, results={'CNN': cnn}, truth=truth, paired_on='purity')


def test_plot(case):
    import matplotlib

    matplotlib.use('Agg')
    truth, pred, probs = case
    import matplotlib.pyplot as plt

    fig = plot_highz_evaluation(probs, truth, baselines={'cuts': pred})
    assert len(fig.axes) == 6
    plt.close(fig)


def test_bad_results(case):
    truth, pred, _ = case
    with pytest.raises(TypeError, match='non-empty dict'):
        evaluate_highz(pred, truth)
    with pytest.raises(ValueError, match='8 test sources'):
        evaluate_highz({'x': pred[:3]}, truth)
    with pytest.raises(ValueError, match='3 columns'):
        evaluate_highz({'x': np.zeros((8, 2))}, truth)


def test_benchmark_scores_the_network_at_its_own_mix(tiny_model):
    # a model whose default priors are a field's (version 4) is scored on the
    # equal-thirds test set with its training-mix probabilities, and at the
    # field's mix with probabilities shifted from those: the default does not
    # leak into either
    from astro_galclass import HighZClassifier
    from astro_galclass.training import benchmark_highz

    plain = HighZClassifier(tiny_model, device='cpu', name='tiny')
    field = HighZClassifier(tiny_model, device='cpu', name='tiny')
    field.metadata['default_priors'] = {'low_z': 0.8, 'high_z': 0.19, 'brown_dwarf': 0.01}
    mix = {'low_z': 0.7, 'high_z': 0.2, 'brown_dwarf': 0.1}
    a, pa, _, _ = benchmark_highz(plain, n_test=90, baselines=False, priors=mix)
    b, pb, _, _ = benchmark_highz(field, n_test=90, baselines=False, priors=mix)
    np.testing.assert_array_equal(pa, pb)
    for col in ('accuracy', 'highz_completeness', 'ece'):
        np.testing.assert_array_equal(np.asarray(a[col]), np.asarray(b[col]))


def test_benchmark_returns_the_decisions_at_the_mix(tiny_model):
    from astro_galclass import HighZClassifier
    from astro_galclass.nircam import check_priors, shift_priors
    from astro_galclass.training import benchmark_highz

    clf = HighZClassifier(tiny_model, device='cpu', name='tiny')
    mix = {'low_z': 0.7, 'high_z': 0.2, 'brown_dwarf': 0.1}
    _, probs, _, predictions = benchmark_highz(clf, n_test=90, n_train_baseline=90,
                                               priors=mix, mix='field')
    assert set(predictions) == {'colour cuts', 'random forest', 'CNN @ field',
                                'random forest @ field', 'colour cuts @ field'}
    expected = shift_priors(probs, [1 / 3] * 3, check_priors(mix)).argmax(axis=1)
    np.testing.assert_array_equal(predictions['CNN @ field'], expected)
    np.testing.assert_array_equal(predictions['colour cuts @ field'], predictions['colour cuts'])


def test_selection_compares_the_models_at_one_operating_point(tiny_model):
    from astro_galclass import HighZClassifier
    from astro_galclass.nircam import check_priors, shift_priors
    from astro_galclass.training import benchmark_highz

    clf = HighZClassifier(tiny_model, device='cpu', name='tiny')
    mix = {'low_z': 0.6, 'high_z': 0.3, 'brown_dwarf': 0.1}
    table, probs, _, predictions = benchmark_highz(
        clf, n_test=150, n_train_baseline=150, priors=mix, mix='field',
        selection={'min_completeness': 0.6}, n_calibration=120)
    chosen = table.meta['selection']
    assert chosen['goal'] == {'min_completeness': 0.6}
    for name in ('CNN', 'random forest'):
        # the goal is met on the calibration set, where the threshold was set
        assert chosen[name]['calibration_completeness'] >= 0.6
        # one row per S/N slice, as at the mix itself
        rows = table[(table['mix'] == 'field, selection') & (table['model'] == name)]
        assert len(rows) == np.sum((table['mix'] == 'field') & (table['model'] == name)) > 0
    # the network's selection is its p_high_z at the mix against its threshold,
    # and the likelier of the two other classes below it
    p = shift_priors(probs, [1 / 3] * 3, check_priors(mix))
    labels = predictions['CNN @ field, selection']
    high = p[:, 1] >= chosen['CNN']['threshold']
    np.testing.assert_array_equal(labels == 1, high)
    np.testing.assert_array_equal(labels[~high], np.where(p[~high, 0] >= p[~high, 2], 0, 2))
    assert 'random forest @ field, selection' in predictions
    assert 'colour cuts @ field, selection' not in predictions   # it has no probabilities


@pytest.mark.parametrize('selection', [{'max_contamination': 3}, {'purity': 0.9},
                                       {'max_contamination': 0.1, 'min_completeness': 0.5},
                                       {'min_completeness': True}, 0.03])
def test_selection_goal_is_validated_before_any_work(tiny_model, selection):
    from astro_galclass import HighZClassifier
    from astro_galclass.training import benchmark_highz

    clf = HighZClassifier(tiny_model, device='cpu', name='tiny')
    with pytest.raises(ValueError, match='selection'):
        benchmark_highz(clf, n_test=10 ** 9, selection=selection)
