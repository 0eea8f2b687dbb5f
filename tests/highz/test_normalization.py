# Licensed under a 3-clause BSD style license - see LICENSE.rst
import astropy.units as u
import numpy as np
import pytest
import torch

from astro_galclass.highz import AsinhNormalization
from astro_galclass.highz.normalization import normalization_from_dict


def test_same_transform_in_every_band():
    norm = AsinhNormalization(softening=0.05)
    flux = torch.tensor([2.0, 2.0, 7.0]).reshape(1, 3, 1, 1)
    x = norm(flux).flatten()
    assert x[0] == x[1]                      # equal fluxes stay equal
    assert x[2] > x[1]


def test_band_differences_become_colours_for_bright_sources():
    norm = AsinhNormalization(softening=0.05)
    # the same colour (a factor 10, 2.5 mag) at two brightnesses
    faint = torch.tensor([50.0, 5.0])
    bright = faint * 100
    d_faint = np.diff(norm(faint).numpy())[0]
    d_bright = np.diff(norm(bright).numpy())[0]
    assert d_faint == pytest.approx(-np.log(10), rel=1e-3)
    assert d_bright == pytest.approx(d_faint, rel=1e-4)


def test_linear_near_zero_and_odd():
    norm = AsinhNormalization(softening=0.1)
    small = torch.tensor([1e-4, -1e-4])
    np.testing.assert_allclose(norm(small).numpy(), [1e-3, -1e-3], rtol=1e-6)


def test_round_trip_and_quantity():
    norm = AsinhNormalization(softening=0.5 * u.uJy)
    assert norm.softening == pytest.approx(500.0)
    assert normalization_from_dict(norm.to_dict()) == norm


@pytest.mark.parametrize(('value', 'error', 'match'), [
    (0.0, ValueError, 'positive and finite'),
    (np.nan, ValueError, 'positive and finite'),
    ('1', TypeError, 'softening must be a positive float'),
    (1 * u.arcsec, ValueError, 'flux per pixel'),
])
def test_invalid_softening(value, error, match):
    with pytest.raises(error, match=match):
        AsinhNormalization(softening=value)


def test_unknown_kind():
    with pytest.raises(ValueError, match=r"unknown normalisation 'zscale'; known "
                                         r"kinds: \['asinh'\]"):
        normalization_from_dict({'kind': 'zscale'})
