# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Shared fixtures: small untrained models and toy mosaics."""

import astropy.units as u
import numpy as np
import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import make_toy_field


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
