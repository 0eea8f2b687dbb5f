# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch

from astro_galclass.morphology import (
    GZ2_TREE,
    TreeOutput,
    dirichlet_multinomial_nll,
    kaggle_rmse,
    tree_constraint_penalty,
)


def test_tree_output_satisfies_the_identities_for_any_weights():
    torch.manual_seed(0)
    logits = torch.randn(256, 37, dtype=torch.float64) * 5
    out = TreeOutput()(logits)
    assert GZ2_TREE.identity_residuals(out.numpy()).max() < 1e-12
    out32 = TreeOutput()(logits.float())
    assert GZ2_TREE.identity_residuals(out32.double().numpy()).max() < 1e-6
    assert tree_constraint_penalty(out).item() < 1e-10
    # the per-question fractions are the same as the tree conversion's
    per_q = TreeOutput().per_question(logits).numpy()
    assert np.allclose(GZ2_TREE.to_kaggle(per_q), out.numpy())


def test_tree_output_gradients_flow():
    logits = torch.randn(4, 37, requires_grad=True)
    TreeOutput()(logits)[:, GZ2_TREE.slice(11)].sum().backward()
    # arm number depends on questions 1, 2, 4 and 11 only
    touched = logits.grad.abs().sum(dim=0) > 0
    for q in (1, 2, 4, 11):
        assert touched[GZ2_TREE.slice(q)].all()
    for q in (3, 5, 6, 7, 8, 9, 10):
        assert not touched[GZ2_TREE.slice(q)].any()


def test_penalty_uses_the_right_parent_for_question_7():
    rng = np.random.default_rng(0)
    q = np.concatenate([rng.dirichlet(np.ones(s.stop - s.start))
                        for s in (GZ2_TREE.slice(n) for n in range(1, 12))])
    cum = torch.from_numpy(GZ2_TREE.to_kaggle(q)[None])
    assert tree_constraint_penalty(cum).item() < 1e-10
    broken = cum.clone()
    broken[0, GZ2_TREE.slice(7)] *= 1.5        # no longer sums to Class1.1
    excess = 0.5 * cum[0, GZ2_TREE.slice(7)].sum().item()
    assert tree_constraint_penalty(broken).item() == pytest.approx(excess)


def test_rmse():
    a = torch.zeros(2, 37)
    b = torch.full((2, 37), 0.1)
    assert kaggle_rmse(a, b).item() == pytest.approx(0.1)
    with pytest.raises(ValueError, match='differ'):
        kaggle_rmse(a, b[:, :36])


def test_dirichlet_multinomial_prefers_the_true_fractions():
    counts = torch.zeros(1, 37)
    counts[0, GZ2_TREE.slice(1)] = torch.tensor([30.0, 10.0, 0.0])
    good = torch.zeros(1, 37)
    good[0, GZ2_TREE.slice(1)] = torch.log(torch.tensor([30.0, 10.0, 0.5]))
    bad = torch.zeros(1, 37)
    bad[0, GZ2_TREE.slice(1)] = torch.log(torch.tensor([10.0, 30.0, 0.5]))
    assert dirichlet_multinomial_nll(good, counts) < dirichlet_multinomial_nll(bad, counts)
    # only question 1 has votes: other questions do not change the loss
    other = good.clone()
    other[0, GZ2_TREE.slice(8)] = 3.0
    assert torch.isclose(dirichlet_multinomial_nll(other, counts),
                         dirichlet_multinomial_nll(good, counts))


def test_dirichlet_multinomial_matches_scipy():
    from scipy.special import gammaln

    alpha = np.array([2.0, 0.5, 1.5])
    n = np.array([4.0, 1.0, 0.0])
    expected = -(gammaln(alpha.sum()) - gammaln(n.sum() + alpha.sum())
                 + np.sum(gammaln(n + alpha) - gammaln(alpha)))
    logits = torch.zeros(1, 37, dtype=torch.float64)
    counts = torch.zeros(1, 37, dtype=torch.float64)
    logits[0, GZ2_TREE.slice(1)] = torch.log(torch.from_numpy(alpha))
    counts[0, GZ2_TREE.slice(1)] = torch.from_numpy(n)
    assert dirichlet_multinomial_nll(logits, counts).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match='non-negative'):
        dirichlet_multinomial_nll(logits, -counts - 1)
