# Licensed under a 3-clause BSD style license - see LICENSE.rst
import pytest
import torch

from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator

TINY = {'stem_channels': 4, 'spectral_channels': 8, 'n_spectral_blocks': 1,
        'spatial_channels': (8,), 'head_units': (16,), 'head_dropout': (0.0,)}


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return LymanBreakCNN(**TINY)


@pytest.fixture(scope='module')
def simulated():
    """300 simulated JADES-deep cutouts and their truth."""
    return NIRCamSimulator(depth='jades-deep', seed=11).sample(300)
