# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from astropy.table import Table

from astro_galclass.morphology import GZ2_TREE


def test_structure():
    assert GZ2_TREE.n_answers == 37
    assert [len(q.answers) for q in GZ2_TREE.questions] == [3, 2, 2, 2, 4, 2, 3, 7, 3, 3, 6]
    # parents from the Kaggle rules (science notes, section 5)
    parents = {q.number: None if q.parent is None else GZ2_TREE.kaggle_columns[
        GZ2_TREE.parent_column(q.number)] for q in GZ2_TREE.questions}
    assert parents == {1: None, 2: 'Class1.2', 3: 'Class2.2', 4: 'Class2.2', 5: 'Class2.2',
                       6: None, 7: 'Class1.1', 8: 'Class6.1', 9: 'Class2.1',
                       10: 'Class4.1', 11: 'Class4.1'}


def test_gz2_names_follow_the_catalogue_numbering():
    cols = GZ2_TREE.gz2_columns()
    assert cols[0] == 't01_smooth_or_features_a01_smooth_fraction'
    assert 't08_odd_feature_a38_dust_lane_fraction' in cols
    assert 't11_arms_number_a36_more_than_4_fraction' in cols
    assert not any('_a35_' in c for c in cols)
    assert GZ2_TREE.gz2_columns('debiased')[3] == 't02_edgeon_a04_yes_debiased'
    with pytest.raises(ValueError, match='kind must be'):
        GZ2_TREE.gz2_columns('votes')


def test_round_trip_and_identities(random_fractions):
    rng = np.random.default_rng(0)
    q = random_fractions(500, rng)
    cum = GZ2_TREE.to_kaggle(q)
    assert np.all(GZ2_TREE.identity_residuals(cum) < 1e-12)
    back = GZ2_TREE.from_kaggle(cum)
    assert np.allclose(back, q, atol=1e-12)
    assert np.allclose(GZ2_TREE.to_kaggle(back), cum, atol=1e-12)


def test_kaggle_rules_by_hand(random_fractions):
    q = random_fractions(1, np.random.default_rng(1))[0]
    cum = GZ2_TREE.to_kaggle(q)
    s = GZ2_TREE.slice
    assert np.allclose(cum[s(7)], q[0] * q[s(7)])                     # Class7 = 1.1 x q7
    assert np.allclose(cum[s(3)], q[1] * q[s(2)][1] * q[s(3)])        # 1.2 x 2.2 x q3
    assert np.allclose(cum[s(6)], q[s(6)])                            # renormalised
    assert np.allclose(cum[s(8)], q[s(6)][0] * q[s(8)])               # 6.1 x q8
    assert np.allclose(cum[s(11)], q[1] * q[s(2)][1] * q[s(4)][0] * q[s(11)])


def test_unreached_questions_are_nan(random_fractions):
    q = random_fractions(1, np.random.default_rng(2))[0]
    q[GZ2_TREE.slice(1)] = [1.0, 0.0, 0.0]          # all smooth: disk branch never reached
    back = GZ2_TREE.from_kaggle(GZ2_TREE.to_kaggle(q))
    assert np.all(np.isnan(back[GZ2_TREE.slice(2)]))
    assert np.all(np.isnan(back[GZ2_TREE.slice(11)]))
    assert np.allclose(back[GZ2_TREE.slice(7)], q[GZ2_TREE.slice(7)])


def test_tables_and_counts():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 20, (4, 37)).astype(float)
    counts[0, GZ2_TREE.slice(9)] = 0
    t = Table(list(counts.T), names=GZ2_TREE.gz2_columns('count'))
    frac = GZ2_TREE.from_gz2_table(t, kind='count')
    assert np.all(np.isnan(frac[0, GZ2_TREE.slice(9)]))
    s = GZ2_TREE.slice(1)
    assert np.allclose(frac[1, s], counts[1, s] / counts[1, s].sum())
    kt = GZ2_TREE.to_table(GZ2_TREE.to_kaggle(np.nan_to_num(frac)), convention='kaggle')
    assert kt.colnames[0] == 'Class1.1'
    assert np.allclose(GZ2_TREE.from_kaggle_table(kt), GZ2_TREE.to_kaggle(np.nan_to_num(frac)))
    with pytest.raises(KeyError, match='lacks'):
        GZ2_TREE.from_gz2_table(t[GZ2_TREE.gz2_columns('count')[:5]])


@pytest.mark.parametrize(('given', 'number'), [(3, 3), ('t03_bar', 3), ('bar', 3),
                                               ('Class11', 11), ('t07', 7)])
def test_resolve_question(given, number):
    assert GZ2_TREE.resolve_question(given) == number


def test_bad_input():
    with pytest.raises(ValueError, match='37 columns'):
        GZ2_TREE.to_kaggle(np.zeros((2, 36)))
    with pytest.raises(ValueError, match='unknown question'):
        GZ2_TREE.resolve_question('spirality')
    with pytest.raises(ValueError, match='question must be'):
        GZ2_TREE.question(12)
