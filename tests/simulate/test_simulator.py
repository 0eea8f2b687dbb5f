# Licensed under a 3-clause BSD style license - see LICENSE.rst
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.wcs.utils import proj_plane_pixel_scales

from astro_galclass.highz import HighZFlag
from astro_galclass.nircam import NIRCAM_BANDS, resolve_depths
from astro_galclass.simulate import NIRCamSimulator


@pytest.fixture(scope='module')
def sample():
    sim = NIRCamSimulator(depth='jades-deep', seed=11)
    cutouts, truth = sim.sample(600)
    return sim, cutouts, truth


def test_sample_shapes_units_and_truth(sample):
    _, cutouts, truth = sample
    assert cutouts.shape == (600, 7, 64, 64)
    assert cutouts.unit == u.nJy
    assert cutouts.dtype == np.float32
    for name in ('class', 'redshift', 'template', 'teff', 're', 'sersic_n',
                 'mag_F090W', 'flux_F444W', 'snr_F444W', 'dx', 'dy'):
        assert name in truth.colnames
    counts = {c: np.sum(truth['class'] == c) for c in ('low_z', 'high_z', 'brown_dwarf')}
    assert all(150 < n < 250 for n in counts.values())
    lowz = truth['class'] == 'low_z'
    assert np.all(truth['redshift'][lowz] < 4)
    assert np.all(truth['redshift'][truth['class'] == 'high_z'] >= 4)
    bd = truth['class'] == 'brown_dwarf'
    assert np.all(np.isnan(truth['redshift'][bd]))
    assert np.all(truth['re'][bd] == 0)
    assert np.all(truth['teff'][bd] > 0 * u.K)


def test_same_seed_same_data():
    a, ta = NIRCamSimulator(seed=3).sample(20)
    b, tb = NIRCamSimulator(seed=3).sample(20)
    c, _ = NIRCamSimulator(seed=4).sample(20)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ta['redshift'], tb['redshift'])
    assert not np.array_equal(a, c)


def test_rendering_conserves_flux(sample):
    sim, _, truth = sample
    # a large canvas, so that no galaxy's wings leave it
    clean = sim.render(truth[:100], size=256)
    flux = np.stack([truth[f'flux_{b}'][:100].value for b in NIRCAM_BANDS], axis=1)
    small = truth['re'][:100] < 0.3 * u.arcsec
    got = clean.sum(axis=(2, 3))[small]
    np.testing.assert_allclose(got, flux[small], rtol=0.02,
                               atol=1e-4 * flux[small].max())


def test_noise_matches_the_survey_depth():
    sim = NIRCamSimulator(depth='jades-medium', seed=5)
    truth = sim.draw_sources(800)
    for band in NIRCAM_BANDS:
        truth[f'flux_{band}'] = 0 * truth[f'flux_{band}']        # blank sky
    images = sim._images(truth, np.zeros((800, 2)), 0.03, 64, noise=True)
    yy, xx = np.mgrid[:64, :64]
    aperture = (xx - 31.5) ** 2 + (yy - 31.5) ** 2 <= (0.16 / 0.03) ** 2
    sigma = images[..., aperture].sum(axis=-1).std(axis=0)
    depth = 31.4 - 2.5 * np.log10(5 * sigma)
    expected = np.array(list(resolve_depths('jades-medium').values()))
    np.testing.assert_allclose(depth, expected, atol=0.08)
    # long-wave noise is correlated between pixels, as in drizzled mosaics
    lag1 = [np.corrcoef(images[:, b, :, :-1].ravel(), images[:, b, :, 1:].ravel())[0, 1]
            for b in (0, 6)]
    assert lag1[0] < 0.1 < lag1[1]


def test_physics_of_the_populations(sample):
    _, _, truth = sample
    young = (truth['class'] == 'high_z') & (truth['kind'] == 'young')
    beta = np.asarray(truth['beta'][young])
    z = np.asarray(truth['redshift'][young])
    # Cullen+23: median beta -2.29 at z = 8-16 (0.3 scatter drawn here)
    assert np.median(beta[z > 8]) == pytest.approx(-2.3, abs=0.2)
    assert beta.min() > -3.05
    # high-z sources drop out blueward of Lyman-alpha: at z > 9.5 F090W and
    # F115W are essentially empty
    drop = young & (truth['redshift'] > 9.5)
    ratio = truth['flux_F115W'][drop] / truth['flux_F200W'][drop]
    assert np.all(ratio < 0.05)
    # sizes: compact at high z (Ono+25, ~0.03") and larger at low z
    assert np.median(truth['re'][truth['redshift'] > 10]) < 0.06 * u.arcsec
    lowz = truth['class'] == 'low_z'
    assert np.median(truth['re'][lowz]) > 0.1 * u.arcsec
    # the hard negatives are there
    assert set(truth['kind'][lowz]) == {'ordinary', 'dusty', 'balmer_break'}
    # faint sources near the detection limit exist in every class
    for cls in ('low_z', 'high_z', 'brown_dwarf'):
        snr = truth['snr_F444W'][truth['class'] == cls]
        assert np.mean(snr < 10) > 0.05


def test_brown_dwarfs_are_blue_then_red(sample):
    _, _, truth = sample
    bd = truth['class'] == 'brown_dwarf'
    blue = truth['mag_F115W'][bd] - truth['mag_F277W'][bd]
    red = truth['mag_F277W'][bd] - truth['mag_F444W'][bd]
    cold = truth['teff'][bd] < 1000 * u.K
    # Wang+23 cut for 500-1300 K dwarfs: F115W-F277W < -0.8, F277W-F444W > 1.1
    assert np.mean((blue.value[cold] < -0.8) & (red.value[cold] > 1.1)) > 0.6


def test_class_fractions_and_errors():
    sim = NIRCamSimulator(seed=1, class_fractions={'high_z': 1})
    assert set(sim.draw_sources(30)['class']) == {'high_z'}
    with pytest.raises(ValueError, match="unknown depth preset 'hudf'"):
        NIRCamSimulator(depth='hudf')
    with pytest.raises(ValueError, match='one 5-sigma depth per band'):
        NIRCamSimulator(depth=[29.0, 29.0])
    with pytest.raises(ValueError, match=r"unknown classes \['star'\]"):
        NIRCamSimulator(class_fractions={'star': 1})
    with pytest.raises(TypeError, match='seed must be an int'):
        NIRCamSimulator(seed=1.5)
    with pytest.raises(ValueError, match='n must be a non-negative int'):
        NIRCamSimulator(seed=1).sample(-1)


def test_make_field_mosaics(classifier):
    sim = NIRCamSimulator(seed=2)
    images, catalog = sim.make_field(n_sources=40, shape=(400, 400))
    assert list(images) == list(NIRCAM_BANDS)
    for band, image in images.items():
        assert isinstance(image, NDData)
        assert image.unit == u.MJy / u.sr
        scale = proj_plane_pixel_scales(image.wcs)[0] * 3600
        assert scale == pytest.approx(0.031 if band in NIRCAM_BANDS[:4] else 0.063)
        assert np.isnan(image.data).any()                 # NaN border
        assert np.isfinite(image.data).mean() > 0.5
    assert images['F444W'].data.shape == (197, 197)      # same area as 400 SW pixels
    assert isinstance(catalog['sky_centroid'], SkyCoord)
    assert len(catalog) == 40
    # the catalog runs through the classifier, sources in the NaN border flagged
    out = classifier.classify_catalog(catalog, images)
    assert len(out) == 40
    assert np.any(out['highz_flags'] & (HighZFlag.BAD_PIXELS | HighZFlag.BAND_MISSING))
    assert np.any(out['highz_flags'] == 0)


def test_field_flux_scale():
    # total flux of an isolated bright source in the F200W mosaic
    sim = NIRCamSimulator(seed=9, class_fractions={'brown_dwarf': 1})
    images, catalog = sim.make_field(n_sources=4, shape=(300, 300), nan_border=False)
    image = images['F200W']
    x, y = image.wcs.world_to_pixel(catalog['sky_centroid'])
    best = np.argmin(np.hypot(x - 150, y - 150))
    ix, iy = round(float(x[best])), round(float(y[best]))
    assert 20 <= ix < 280
    assert 20 <= iy < 280
    pixel_area = (0.031 * u.arcsec) ** 2
    stamp = image.data[iy - 15:iy + 16, ix - 15:ix + 16] * image.unit * pixel_area
    total = stamp.sum().to_value(u.nJy)
    expected = catalog['flux_F200W'][best].to_value(u.nJy)
    noise = sim.sigma_aperture['F200W'] * 31 / (2 * 0.16 / 0.031)
    assert abs(total - expected) < 0.03 * expected + 5 * noise


def test_undersampled_point_sources_do_not_ring():
    # F090W's PSF (0.033" FWHM) is undersampled by 0.03" pixels: without the
    # Fourier aliases, a point source would show negative ringing along the
    # axes
    sim = NIRCamSimulator(seed=6, class_fractions={'brown_dwarf': 1})
    truth = sim.draw_sources(5)
    images = sim.render(truth, offsets=np.full((5, 2), 0.3))
    peak = images.max(axis=(2, 3))
    assert np.all(images.min(axis=(2, 3)) > -1e-4 * peak)
    # and the peak pixel holds the fraction of flux a pixel-integrated
    # Gaussian of that FWHM puts there (about 0.3 in F090W)
    flux = truth['flux_F090W'].value
    assert np.all((peak[:, 0] / flux > 0.15) & (peak[:, 0] / flux < 0.5))
