# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Shared fixtures: small untrained models and toy mosaics."""

import astropy.units as u
import numpy as np
import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.highz import LymanBreakCNN
from astro_galclass.morphology import GZ2_TREE
from astro_galclass.simulate import NIRCamSimulator, make_toy_field

#: Widths of a tiny LymanBreakCNN for training tests.
TINY = {'stem_channels': 4, 'spectral_channels': 8, 'n_spectral_blocks': 1,
        'spatial_channels': (8,), 'head_units': (16,), 'head_dropout': (0.0,)}


@pytest.fixture(scope='session')
def model():
    """A seeded, untrained LymanBreakCNN with non-trivial BatchNorm statistics."""
    torch.manual_seed(1234)
    net = LymanBreakCNN()
    # give the BatchNorm layers non-default running statistics so that the
    # outputs depend on the input (a freshly initialised net is nearly flat)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.asinh(torch.randn(16, 7, 64, 64) * 5))
    return net.eval()


@pytest.fixture(scope='session')
def classifier(model):
    return HighZClassifier(model, device='cpu', batch_size=8, name='test-model')


@pytest.fixture(scope='session')
def toy_field():
    return make_toy_field(n_sources=12, seed=3, lw_offset=2 * u.arcsec)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.fixture
def tiny_model():
    """A seeded, untrained LymanBreakCNN of widths `TINY` (fast to train)."""
    torch.manual_seed(0)
    return LymanBreakCNN(**TINY)


@pytest.fixture(scope='module')
def simulated():
    """300 simulated JADES-deep cutouts and their truth."""
    return NIRCamSimulator(depth='jades-deep', seed=11).sample(300)


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
