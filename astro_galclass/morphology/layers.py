# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""A network output layer that respects the Galaxy Zoo 2 decision tree."""

import torch
from torch import nn

from astro_galclass.morphology.tree import GZ2_TREE

__all__ = ['TreeOutput']


class TreeOutput(nn.Module):
    """
    37 raw outputs -> Kaggle cumulative fractions that satisfy the tree.

    Each question's outputs are normalised to sum to one (a softmax), then
    multiplied by the cumulative fraction of the parent answer, parents
    first (the construction of Dieleman, Willett & Dambre 2015, MNRAS 450,
    1441, which used rectified outputs and divisive normalisation; the
    softmax is the smooth version of the same idea). Every output therefore
    obeys the tree's identities — each question's answers sum to its
    parent's value, questions 1 and 6 to one — to float precision, whatever
    the weights.

    The raw outputs are also the logarithms of Dirichlet concentrations for
    `~astro_galclass.morphology.losses.dirichlet_multinomial_nll`: the
    softmax of a question's logits is the mean of that Dirichlet.

    Parameters
    ----------
    tree : `~astro_galclass.morphology.GZ2Tree`, optional

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.morphology import GZ2_TREE, TreeOutput
    >>> out = TreeOutput()(torch.randn(5, 37))
    >>> bool((torch.from_numpy(GZ2_TREE.identity_residuals(out.double().numpy())) < 1e-6).all())
    True
    """

    def __init__(self, tree=GZ2_TREE):
        super().__init__()
        self.tree = tree
        self._plan = [(tree.slice(n), tree.parent_column(n)) for n in tree.order]

    def per_question(self, logits):
        """
        Per-question fractions (each question sums to 1), ``(B, 37)``.

        Parameters
        ----------
        logits : `torch.Tensor`
            ``(B, 37)`` raw outputs; each question's slice is passed through
            a softmax.
        """
        parts = torch.empty_like(logits)
        for s, _ in self._plan:
            parts[:, s] = torch.softmax(logits[:, s], dim=1)
        return parts

    def forward(self, logits):
        if logits.ndim != 2 or logits.shape[1] != self.tree.n_answers:
            msg = f'expected logits (B, {self.tree.n_answers}), got {tuple(logits.shape)}'
            raise ValueError(msg)
        parts = self.per_question(logits)
        columns = [None] * self.tree.n_answers
        for s, parent in self._plan:
            scale = 1.0 if parent is None else columns[parent]
            for j in range(s.start, s.stop):
                columns[j] = parts[:, j] * scale
        return torch.stack(columns, dim=1)
