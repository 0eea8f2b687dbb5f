# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from astropy import units as u

from astro_galclass.nircam import aperture_fluxes
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import ApertureRandomForest, LymanBreakSelection


def test_aperture_fluxes_of_a_flat_image():
    flat = np.ones((2, 7, 64, 64), np.float32)
    f = aperture_fluxes(flat * u.nJy, [0.1, 0.3] * u.arcsec)
    area = np.pi * (np.array([0.1, 0.3]) / 0.03) ** 2
    assert np.allclose(f, area, rtol=1e-6)



def test_colour_cuts_find_dropouts_and_cold_dwarfs():
    sim = NIRCamSimulator(seed=3, depth='jades-deep')
    truth = sim.draw_sources(3000)
    images = sim.render(truth)                         # noiseless
    pred = LymanBreakSelection().predict(images * u.nJy)
    z = np.asarray(truth['redshift'])
    label = np.asarray(truth['label'])
    bright = np.asarray(truth['mag_F444W'].value) < 27.5
    dropouts = (label == 1) & (z > 7.5) & (z < 14) & bright
    assert np.mean(pred[dropouts] == 1) > 0.8
    cold = (label == 2) & (np.asarray(truth['teff'].value) < 900) & bright
    assert np.mean(pred[cold] == 2) > 0.5
    # by construction the cuts cannot see z = 4-5.5 galaxies (break below F090W)
    mild = (label == 1) & (z < 5.5) & bright
    assert np.mean(pred[mild] == 1) < 0.3


def test_random_forest_learns(simulated):
    cutouts, truth = simulated
    rf = ApertureRandomForest(n_estimators=50, seed=0)
    rf.fit(cutouts[:200], truth['label'][:200])
    pred = rf.predict(cutouts[200:])
    assert np.mean(pred == np.asarray(truth['label'][200:])) > 0.7
    assert rf.predict_proba(cutouts[200:]).shape == (100, 3)
    assert rf.features(cutouts[:3]).shape == (3, 7 * 3 + 6)


def test_bad_input():
    with pytest.raises(ValueError, match='numeric array of shape'):
        aperture_fluxes(np.zeros((7, 64, 64)), 0.1 * u.arcsec)
    with pytest.raises(ValueError, match='needs the bands'):
        LymanBreakSelection(bands=('F090W', 'F444W'), depth={'F090W': 29, 'F444W': 29})
