# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest

from astro_galclass.morphology import GZ2_TREE


@pytest.fixture
def random_fractions():
    """A function (n, rng) -> random per-question fractions (each question sums to 1)."""

    def draw(n, rng):
        out = np.empty((n, 37))
        for q in GZ2_TREE.questions:
            s = GZ2_TREE.slice(q.number)
            out[:, s] = rng.dirichlet(np.ones(s.stop - s.start), size=n)
        return out

    return draw
