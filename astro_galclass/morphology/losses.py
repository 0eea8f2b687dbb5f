# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Losses for Galaxy Zoo vote fractions."""

import torch

from astro_galclass.morphology.tree import GZ2_TREE

__all__ = ['dirichlet_multinomial_nll', 'kaggle_rmse', 'tree_constraint_penalty']


def kaggle_rmse(predicted, target):
    """
    Root-mean-square error over all 37 cumulative targets (the Kaggle score).

    Parameters
    ----------
    predicted, target : `torch.Tensor`
        ``(B, 37)`` Kaggle cumulative fractions.
    """
    if predicted.shape != target.shape:
        msg = f'predicted {tuple(predicted.shape)} and target {tuple(target.shape)} differ'
        raise ValueError(msg)
    return torch.sqrt(torch.mean((predicted - target) ** 2))


def tree_constraint_penalty(predicted, *, tree=GZ2_TREE):
    """
    The seed project's tree penalty, with its question-7 bug fixed.

    The sum over the 11 questions of the batch-mean absolute deviation
    ``|sum of the question's cumulative answers - parent answer|`` (the
    parent is 1 for questions 1 and 6). The seed project compared question 7
    (roundness of smooth galaxies) with Class5.2 instead of Class1.1
    ("smooth"). Use it as ``loss = mse + lam * penalty`` with heads that do
    not enforce the tree; outputs of `~astro_galclass.morphology.TreeOutput`
    satisfy the identities exactly, so for them the penalty is zero.

    Parameters
    ----------
    predicted : `torch.Tensor`
        ``(B, 37)`` predicted Kaggle cumulative fractions.
    tree : `~astro_galclass.morphology.GZ2Tree`, optional
        The decision tree whose identities are checked (default
        `~astro_galclass.morphology.GZ2_TREE`).

    Returns
    -------
    penalty : `torch.Tensor`
        A scalar.
    """
    total = predicted.new_zeros(())
    for q in tree.questions:
        s = tree.slice(q.number)
        parent = tree.parent_column(q.number)
        target = 1.0 if parent is None else predicted[:, parent]
        total = total + torch.mean(torch.abs(predicted[:, s].sum(dim=1) - target))
    return total


def dirichlet_multinomial_nll(logits, counts, *, tree=GZ2_TREE, max_log_concentration=8.0):
    """
    Negative log-likelihood of vote counts under per-question Dirichlet-multinomials.

    When the number of volunteers who answered each question is known, the
    counts are more informative than fractions: 3 of 4 votes and 30 of 40
    votes are the same fraction but not the same evidence. Each question's
    votes ``n_k`` are modelled as Dirichlet-multinomial with concentrations
    ``alpha_k = exp(logit_k)`` (Walmsley et al. 2022, MNRAS 509, 3966, used
    this for Galaxy Zoo DECaLS):

    .. math::

        -\\log p = -\\log\\Gamma(A) + \\log\\Gamma(N + A)
                   - \\sum_k [\\log\\Gamma(n_k + \\alpha_k) - \\log\\Gamma(\\alpha_k)]

    up to the multinomial coefficient, which does not depend on the model;
    ``A = sum alpha_k``, ``N = sum n_k``. Questions with no votes contribute
    nothing. The predicted fractions are the Dirichlet means, the
    per-question softmax of the same logits
    (`~astro_galclass.morphology.TreeOutput`).

    Parameters
    ----------
    logits : `torch.Tensor`
        ``(B, 37)`` raw network outputs.
    counts : `torch.Tensor`
        ``(B, 37)`` vote counts per answer.
    tree : `~astro_galclass.morphology.GZ2Tree`, optional
        The decision tree that groups the 37 answers into questions (default
        `~astro_galclass.morphology.GZ2_TREE`).
    max_log_concentration : float, optional
        Logits are clamped to +-this value for numerical stability.

    Returns
    -------
    loss : `torch.Tensor`
        Mean over galaxies of the summed per-question NLL.
    """
    if logits.shape != counts.shape:
        msg = f'logits {tuple(logits.shape)} and counts {tuple(counts.shape)} differ'
        raise ValueError(msg)
    if torch.any(counts < 0):
        msg = 'vote counts must be non-negative'
        raise ValueError(msg)
    alpha = torch.exp(logits.clamp(-max_log_concentration, max_log_concentration))
    counts = counts.to(alpha.dtype)
    total = alpha.new_zeros(len(alpha))
    for q in tree.questions:
        s = tree.slice(q.number)
        a, n = alpha[:, s], counts[:, s]
        big_a, big_n = a.sum(dim=1), n.sum(dim=1)
        nll = (-torch.lgamma(big_a) + torch.lgamma(big_n + big_a)
               - torch.sum(torch.lgamma(n + a) - torch.lgamma(a), dim=1))
        total = total + torch.where(big_n > 0, nll, torch.zeros_like(nll))
    return total.mean()
