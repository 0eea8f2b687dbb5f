# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.table import QTable
from classifier_contract import ClassifierContract
from PIL import Image

from astro_galclass.morphology import GZ2_TREE, MorphFlag, MorphologyClassifier, ParallelCNN
from astro_galclass.simulate import make_tan_wcs


@pytest.fixture(scope='module')
def clf():
    torch.manual_seed(0)
    return MorphologyClassifier(ParallelCNN(), device='cpu', batch_size=4, name='untrained')


def _check_tree(table):
    cum = GZ2_TREE.from_kaggle_table(MorphologyClassifier.to_kaggle(table))
    assert GZ2_TREE.identity_residuals(cum).max() < 1e-6


def test_array_forms_agree(clf):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    t1 = clf.classify(rgb)
    t2 = clf.classify(np.moveaxis(rgb, -1, 1).astype(np.float32) / 255)
    assert len(t1) == 3 and t1.colnames[-1] == 'morph_flags'
    for name in GZ2_TREE.gz2_columns():
        assert np.allclose(t1[name], t2[name], atol=1e-5)
    _check_tree(t1)
    # per-question fractions sum to one
    s = GZ2_TREE.slice(8)
    q8 = np.stack([np.asarray(t1[c]) for c in GZ2_TREE.gz2_columns()[s]], axis=1)
    assert np.allclose(q8.sum(axis=1), 1)
    assert t1.meta['astro_galclass_morphology']['model'] == 'untrained'


def test_files_and_crop(clf, tmp_path):
    img = np.zeros((424, 424, 3), np.uint8)
    img[150:274, 150:274] = 200
    paths = []
    for i in range(2):
        paths.append(tmp_path / f'g{i}.png')
        Image.fromarray(img).save(paths[-1])
    t = clf.classify(paths, crop=210 / 424)
    assert len(t) == 2
    assert np.allclose(t[GZ2_TREE.gz2_columns()[0]][0], t[GZ2_TREE.gz2_columns()[0]][1])
    assert clf.prepare(str(paths[0])).shape == (1, 3, 64, 64)


def test_flux_bands(clf):
    rng = np.random.default_rng(1)
    bands = [NDData(rng.normal(0, 1, (80, 80)) + 20 * np.exp(-((np.arange(80) - 40) ** 2)
                                                              / 50)[None]) for _ in range(3)]
    assert clf.prepare(bands).shape == (1, 3, 64, 64)
    assert clf.prepare(bands[0]).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError, match='same shape'):
        clf.prepare([bands[0], bands[1], NDData(np.zeros((10, 10)))])


def test_classify_catalog_keeps_rows_and_flags(clf):
    wcs = make_tan_wcs(SkyCoord(150, 2, unit='deg'), 0.4 * u.arcsec / u.pix, (200, 200))
    rng = np.random.default_rng(2)
    bands = [NDData(rng.normal(0, 1, (200, 200)), wcs=wcs) for _ in range(3)]
    inside = wcs.pixel_to_world(100, 100)
    edge = wcs.pixel_to_world(2, 100)
    outside = wcs.pixel_to_world(600, 600)
    cat = QTable({'id': [1, 2, 3, 4],
                  'sky_centroid': SkyCoord([inside, edge, outside, inside]),
                  'r_petro': [8, 8, 8, np.nan] * u.arcsec})
    before = cat.copy()
    out = clf.classify_catalog(cat, bands, size='r_petro', reframe=False)
    assert list(out['id']) == [1, 2, 3, 4]
    flags = np.asarray(out['morph_flags'])
    assert flags[0] == 0
    # pure noise has no galaxy to reframe: classified as given, and flagged so
    reframed = clf.classify_catalog(cat, bands, size='r_petro')
    assert reframed['morph_flags'][0] == MorphFlag.REFRAME_FAILED
    assert list(reframed[GZ2_TREE.gz2_columns()[0]].mask) == [False, False, True, True]
    assert flags[1] & MorphFlag.PARTIAL_OVERLAP
    assert flags[2] & MorphFlag.OFF_IMAGE
    assert flags[3] & MorphFlag.BAD_POSITION
    col = out[GZ2_TREE.gz2_columns()[0]]
    assert list(col.mask) == [False, False, True, True]
    assert np.array_equal(cat['id'], before['id'])
    assert np.array_equal(cat['r_petro'].value, before['r_petro'].value, equal_nan=True)
    with pytest.raises(ValueError, match='already has columns'):
        clf.classify_catalog(out, bands, size=5 * u.arcsec)
    again = clf.classify_catalog(out, bands, size=5 * u.arcsec, overwrite=True)
    assert len(again) == 4
    with pytest.raises(u.UnitsError, match='angle'):
        clf.classify_catalog(cat, bands, size=5 * u.m)


def test_rgb_nddata_catalog(clf):
    wcs = make_tan_wcs(SkyCoord(10, -5, unit='deg'), 0.4 * u.arcsec / u.pix, (100, 100))
    img = NDData(np.random.default_rng(3).integers(0, 255, (100, 100, 3)).astype(np.uint8),
                 wcs=wcs)
    out = clf.classify_catalog(wcs.pixel_to_world([50], [50]), img, size=10 * u.arcsec,
                               reframe=False)
    assert out['morph_flags'][0] == 0 and 'sky_centroid' in out.colnames


def test_gradcam_and_save(clf, tmp_path):
    x = np.random.default_rng(4).uniform(0, 1, (2, 3, 64, 64)).astype(np.float32)
    maps, answers = clf.gradcam(x, question='t03_bar')
    assert maps.shape == (2, 64, 64)
    assert set(answers) <= {'bar', 'no_bar'}
    path = tmp_path / 'm.pt'
    clf.save(path)
    again = MorphologyClassifier(path, device='cpu')
    assert again.weights_sha256 == clf.weights_sha256
    t1, t2 = clf.classify(x), again.classify(x)
    assert np.allclose(t1[GZ2_TREE.gz2_columns()[5]], t2[GZ2_TREE.gz2_columns()[5]])


def test_bad_input(clf):
    with pytest.raises(ValueError, match='RGB arrays'):
        clf.classify(np.zeros((2, 5, 64, 64)))
    with pytest.raises(TypeError, match='weights file path'):
        MorphologyClassifier(42)
    with pytest.raises(TypeError, match='must be one of'):
        MorphologyClassifier(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match='unknown question'):
        clf.gradcam(np.zeros((1, 3, 64, 64), np.float32), question='spirality')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu(clf, tmp_path):
    # the same weights on the GPU give the same fractions and Grad-CAM maps
    path = tmp_path / 'm.pt'
    clf.save(path)
    gpu = MorphologyClassifier(path, device='cuda')
    assert gpu.device.type == 'cuda'
    x = np.random.default_rng(5).uniform(0, 1, (5, 3, 64, 64)).astype(np.float32)
    t_cpu, t_gpu = clf.classify(x), gpu.classify(x)
    for name in GZ2_TREE.gz2_columns():
        np.testing.assert_allclose(t_gpu[name], t_cpu[name], atol=1e-4)
    _check_tree(t_gpu)
    m_cpu, _ = clf.gradcam(x[:2], question='t01_smooth_or_features')
    m_gpu, _ = gpu.gradcam(x[:2], question='t01_smooth_or_features')
    np.testing.assert_allclose(m_gpu, m_cpu, atol=1e-3)


class TestMorphologyClassifierContract(ClassifierContract):
    """The safety and integrity tests shared with the high-z classifier."""

    classifier_class = MorphologyClassifier
    flag_column = 'morph_flags'
    off_image_flag = MorphFlag.OFF_IMAGE

    @pytest.fixture
    def contract_classifier(self, clf):
        return clf

    @pytest.fixture
    def contract_inputs(self):
        return np.random.default_rng(6).uniform(0, 1, (5, 3, 64, 64)).astype(np.float32)

    @pytest.fixture
    def contract_field(self):
        wcs = make_tan_wcs(SkyCoord(150, 2, unit='deg'), 0.4 * u.arcsec / u.pix, (120, 120))
        rng = np.random.default_rng(7)
        bands = [NDData(rng.normal(0, 1, (120, 120)), wcs=wcs) for _ in range(3)]
        x = np.array([30, 60, 90, 45])
        y = np.array([30, 60, 90, 80])
        catalog = QTable({'id': [1, 2, 3, 4], 'sky_centroid': wcs.pixel_to_world(x, y)})
        return catalog, bands

    def outputs(self, clf, inputs):
        return clf.predict_kaggle(inputs)

    def classify_catalog(self, clf, catalog, images, **kwargs):
        return clf.classify_catalog(catalog, images, size=8 * u.arcsec, **kwargs)


# -- issue 18: morphology inputs -------------------------------------------------------

def test_sixteen_bit_png_is_scaled_not_saturated(clf, tmp_path):
    from astro_galclass.morphology import read_rgb_image

    ramp = np.tile(np.linspace(0, 60000, 64).astype(np.uint16), (64, 1))
    Image.fromarray(ramp).save(tmp_path / 'deep.png')
    rgb = read_rgb_image(tmp_path / 'deep.png')
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb[0, :, 0], ramp[0] / 65535, atol=1e-6)
    assert np.mean(rgb >= 0.999) < 0.01                       # not saturated
    assert clf.classify(tmp_path / 'deep.png', reframe=False)['morph_flags'][0] == 0


@pytest.mark.parametrize(('crop', 'error', 'match'), [
    (0, ValueError, 'at least 8 are needed'),
    (3, ValueError, 'at least 8 are needed'),
    (0.01, ValueError, 'at least 8 are needed'),
    (True, TypeError, 'crop must be a number'),
    ('half', TypeError, 'crop must be a number'),
])
def test_crop_is_validated(clf, crop, error, match):
    with pytest.raises(error, match=match):
        clf.classify(np.zeros((1, 3, 128, 128), np.float32), crop=crop)


def test_nan_pixels_are_filled_and_flagged_not_masked(clf):
    images = np.random.default_rng(3).uniform(0, 1, (2, 3, 64, 64)).astype(np.float32)
    images[1, :, 10:14, 10:14] = np.nan
    table = clf.classify(images, reframe=False)
    assert table['morph_flags'][0] == 0
    assert table['morph_flags'][1] == MorphFlag.BAD_PIXELS
    assert not table['t01_smooth_or_features_a01_smooth_fraction'].mask.any()
    assert np.isfinite(clf.predict_kaggle(images)).all()


def test_misaligned_bands_are_refused(clf):
    centre = SkyCoord(150, 2, unit='deg')
    wcs = make_tan_wcs(centre, 0.4 * u.arcsec / u.pix, (100, 100))
    shifted = make_tan_wcs(centre.spherical_offsets_by(1 * u.arcsec, 0 * u.arcsec),
                           0.4 * u.arcsec / u.pix, (100, 100))
    data = np.zeros((100, 100))
    with pytest.raises(ValueError, match='not on the pixel grid of band 0'):
        clf.classify_catalog(centre, [NDData(data, wcs=wcs), NDData(data, wcs=shifted),
                                      NDData(data, wcs=wcs)])
    with pytest.raises(ValueError, match='their shapes differ'):
        clf.classify_catalog(centre, [NDData(data, wcs=wcs), NDData(data[:90], wcs=wcs),
                                      NDData(data, wcs=wcs)])
