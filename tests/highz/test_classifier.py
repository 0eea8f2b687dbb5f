# Licensed under a 3-clause BSD style license - see LICENSE.rst
import astropy.units as u
import numpy as np
import pytest
import torch
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D, NDData
from astropy.table import MaskedColumn, QTable, Table
from classifier_contract import ClassifierContract

from astro_galclass import HighZClassifier
from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz import HighZFlag, LymanBreakCNN, extract_cutouts
from astro_galclass.simulate import make_tan_wcs
from astro_galclass.utils._weights import payload_checksum

BANDS = ('F090W', 'F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W')
PROB_COLUMNS = ['p_low_z', 'p_high_z', 'p_brown_dwarf']


def probabilities(table, rows=slice(None)):
    """(N, 3) array of the probability columns, NaN where masked."""
    return np.stack([table[c].filled(np.nan)[rows] for c in PROB_COLUMNS], axis=1)


@pytest.fixture
def cutouts(rng):
    """Four noisy cutouts with a bright central source whose SED differs."""
    yy, xx = np.mgrid[:64, :64]
    blob = np.exp(-((xx - 31.5) ** 2 + (yy - 31.5) ** 2) / (2 * 2.0**2))
    seds = np.array([[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 2, 2, 2, 2],
                     [0.2, 3, 2, 1, 0.5, 2, 6], [5, 4, 3, 2, 1, 1, 1]])
    return seds[:, :, None, None] * blob + rng.normal(0, 0.05, (4, 7, 64, 64))


def test_properties(classifier):
    assert classifier.bands == BANDS
    assert classifier.classes == ('low_z', 'high_z', 'brown_dwarf')
    assert classifier.pixel_scale == 0.03 * u.arcsec / u.pix
    assert classifier.cutout_size == 64
    assert classifier.device == torch.device('cpu')
    assert 'test-model' in repr(classifier)


def test_classify_returns_table(classifier, cutouts):
    table = classifier.classify(cutouts)
    assert isinstance(table, QTable)
    assert table.colnames == PROB_COLUMNS + ['highz_class', 'highz_ood', 'highz_flags']
    assert len(table) == 4
    probs = probabilities(table)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_array_equal(table['highz_class'],
                                  np.array(classifier.classes)[probs.argmax(1)])
    # the sources differ, so do their probabilities
    assert np.ptp(probs[:, 0]) > 1e-4
    meta = table.meta['astro_galclass_highz']
    assert meta['model'] == 'test-model'
    assert meta['weights_sha256'] == classifier.weights_sha256
    assert len(meta['weights_sha256']) == 64
    assert meta['options']['device'] == 'cpu'


def test_predict_proba_matches_classify(classifier, cutouts):
    proba = classifier.predict_proba(cutouts)
    table = classifier.classify(cutouts)
    assert proba.shape == (4, 3)
    np.testing.assert_array_equal(proba, probabilities(table))


def test_reproducible_and_independent_of_batching(classifier, model, cutouts):
    a = classifier.predict_proba(cutouts)
    b = classifier.predict_proba(cutouts)
    np.testing.assert_array_equal(a, b)
    other = HighZClassifier(model, device='cpu', batch_size=1)
    np.testing.assert_allclose(other.predict_proba(cutouts), a, atol=1e-6)


def test_single_cutout_and_lists(classifier, cutouts):
    full = classifier.predict_proba(cutouts)
    np.testing.assert_allclose(classifier.predict_proba(cutouts[1]), full[1:2],
                               atol=1e-6)
    np.testing.assert_allclose(classifier.predict_proba(list(cutouts)), full)


def test_units_are_converted(classifier, cutouts):
    reference = classifier.predict_proba(cutouts)
    in_ujy = classifier.predict_proba(cutouts / 1000 * u.uJy)
    np.testing.assert_allclose(in_ujy, reference, rtol=1e-5)
    area = (0.03 * u.arcsec) ** 2
    sb = (cutouts * u.nJy / area).to(u.MJy / u.sr)
    np.testing.assert_allclose(classifier.predict_proba(sb), reference, rtol=1e-5)
    np.testing.assert_allclose(classifier.predict_proba(sb.value, unit='MJy/sr'),
                               reference, rtol=1e-5)
    nd = NDData(cutouts / 1000, unit=u.uJy)
    np.testing.assert_allclose(classifier.predict_proba(nd), reference, rtol=1e-5)


def test_dict_input_uses_band_names_not_order(classifier, cutouts):
    reference = classifier.predict_proba(cutouts[2])
    source = {band: cutouts[2, i] for i, band in enumerate(BANDS)}
    shuffled = {band: source[band] for band in reversed(BANDS)}
    np.testing.assert_array_equal(classifier.predict_proba(shuffled), reference)
    with_units = {b: v * u.nJy for b, v in shuffled.items()}
    np.testing.assert_allclose(classifier.predict_proba(with_units), reference,
                               rtol=1e-6)
    many = classifier.classify([source, shuffled])
    assert len(many) == 2


def test_cutout2d_and_nddata_with_mask(classifier, cutouts):
    wcs = make_tan_wcs(SkyCoord(150 * u.deg, 2 * u.deg), 0.03 * u.arcsec / u.pix,
                       (200, 200))
    big = np.zeros((200, 200))
    big[68:132, 68:132] = cutouts[0, 0]
    cut = Cutout2D(big, (99.5, 99.5), (64, 64), wcs=wcs)
    np.testing.assert_array_equal(cut.data, cutouts[0, 0])
    source = {b: cutouts[0, i] for i, b in enumerate(BANDS)}
    source['F090W'] = cut
    np.testing.assert_array_equal(classifier.predict_proba(source),
                                  classifier.predict_proba(cutouts[0]))

    mask = np.zeros((64, 64), bool)
    mask[:5] = True
    source['F115W'] = NDData(cutouts[0, 1], mask=mask)
    table = classifier.classify(source)
    assert table['highz_flags'][0] == HighZFlag.BAD_PIXELS
    filled = cutouts[0].copy()
    filled[1, :5] = 0
    np.testing.assert_allclose(classifier.predict_proba(filled),
                               probabilities(table), atol=1e-12)


def test_cutout_with_wrong_pixel_scale_is_refused(classifier, cutouts):
    wcs = make_tan_wcs(SkyCoord(150 * u.deg, 2 * u.deg), 0.063 * u.arcsec / u.pix,
                       (64, 64))
    source = {b: cutouts[0, i] for i, b in enumerate(BANDS)}
    source['F444W'] = NDData(cutouts[0, 6], wcs=wcs)
    with pytest.raises(ValueError, match=r'pixel scale of 0.0630 arcsec/pix but the '
                                         r'model expects 0.0300'):
        classifier.classify(source)


def test_bad_pixels_and_missing_core(classifier, cutouts):
    data = cutouts.copy()
    data[0, 3, :10, :10] = np.nan           # corner: flagged, still classified
    data[1, 5, 28:36, 28:36] = np.inf       # core of F356W gone: not classified
    before = data.copy()
    table = classifier.classify(data)
    np.testing.assert_array_equal(data, before)
    assert table['highz_flags'][0] == HighZFlag.BAD_PIXELS
    assert not table['p_high_z'].mask[0]
    assert table['highz_flags'][1] == HighZFlag.BAD_PIXELS | HighZFlag.BAND_MISSING
    assert table['p_high_z'].mask[1] and table['highz_class'].mask[1]
    assert np.isnan(classifier.predict_proba(data)[1]).all()
    assert table['highz_flags'][2] == 0


def test_feature_maps(classifier, cutouts):
    maps = classifier.feature_maps(cutouts[:2])
    assert {k: v.shape for k, v in maps.items()} == {
        'stem': (2, 32, 64, 64), 'spectral': (2, 64, 64, 64),
        'attention': (2, 64, 64, 64), 'spatial': (2, 256, 8, 8)}
    assert all(isinstance(v, np.ndarray) for v in maps.values())


def test_empty_input(classifier):
    table = classifier.classify(np.zeros((0, 7, 64, 64)))
    assert len(table) == 0
    assert table.colnames == PROB_COLUMNS + ['highz_class', 'highz_ood', 'highz_flags']
    assert classifier.predict_proba(np.zeros((0, 7, 64, 64))).shape == (0, 3)


# -- weights files ------------------------------------------------------------

def test_save_and_load_round_trip(classifier, cutouts, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    loaded = HighZClassifier(path, device='cpu')
    assert loaded.bands == classifier.bands
    assert loaded.classes == classifier.classes
    assert loaded.pixel_scale == classifier.pixel_scale
    assert loaded.normalization == classifier.normalization
    assert loaded.weights_sha256 == classifier.weights_sha256
    assert loaded.name == 'test-model'
    np.testing.assert_array_equal(loaded.predict_proba(cutouts),
                                  classifier.predict_proba(cutouts))
    payload = torch.load(path, weights_only=True)
    meta = payload['metadata']
    for key in ('architecture', 'architecture_kwargs', 'bands', 'classes',
                'pixel_scale', 'cutout_size', 'unit', 'normalization',
                'training', 'package_version', 'temperature'):
        assert key in meta
    assert meta['unit'] == 'nJy / pix'


def test_weights_must_match_requested_bands_and_classes(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    with pytest.raises(ValueError, match=r"trained with bands \('F090W'.*but "
                                         r"bands=\('F115W',"):
        HighZClassifier(path, bands=BANDS[1:] + BANDS[:1])
    with pytest.raises(ValueError, match=r'trained with classes'):
        HighZClassifier(path, classes=('star', 'galaxy', 'qso'))
    assert HighZClassifier(path, bands=BANDS).bands == BANDS
    with pytest.raises(ValueError, match=r"\['pixel_scale'\] are read from the "
                                         'weights file'):
        HighZClassifier(path, pixel_scale=0.06 * u.arcsec / u.pix)


def test_damaged_state_dict_is_refused(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    payload = torch.load(path, weights_only=True)
    payload['metadata']['architecture_kwargs']['n_bands'] = 5
    torch.save(payload, path)
    with pytest.raises(ValueError, match='damaged or was altered'):
        HighZClassifier(path)
    # even with a recomputed checksum, the tensors must fit the metadata
    payload['checksum'] = payload_checksum(payload['state_dict'], payload['metadata'])
    torch.save(payload, path)
    with pytest.raises(ValueError, match='do not fit the LymanBreakCNN'):
        HighZClassifier(path)


# -- catalogs and mosaics ---------------------------------------------------------

def test_classify_catalog_matches_classify_on_extracted_cutouts(classifier,
                                                                toy_field):
    images, truth = toy_field
    table = classifier.classify_catalog(truth, images)
    cutouts, flags = extract_cutouts(images, truth['sky_centroid'], bands=BANDS)
    np.testing.assert_array_equal(table['highz_flags'], flags)
    ok = (flags & (HighZFlag.BAND_MISSING | HighZFlag.OFF_IMAGE)) == 0
    assert 0 < ok.sum() < len(truth)       # lw_offset puts some off the LW images
    expected = classifier.predict_proba(np.nan_to_num(cutouts.value[ok]))
    got = probabilities(table, ok)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_classify_catalog_keeps_user_table(classifier, toy_field):
    images, truth = toy_field
    catalog = Table(truth)          # plain Table, as a user might have
    catalog['note'] = ['x'] * len(catalog)
    catalog = catalog[::-1]         # the user's order, not the simulator's
    before = catalog.copy()
    data_before = {b: np.array(im.data) for b, im in images.items()}
    out = classifier.classify_catalog(catalog, images)
    assert type(out) is Table
    assert out.colnames == catalog.colnames + PROB_COLUMNS + ['highz_class', 'highz_ood',
                                                              'highz_flags']
    np.testing.assert_array_equal(out['id'], catalog['id'])
    assert catalog.colnames == before.colnames          # input untouched
    assert 'astro_galclass_highz' not in catalog.meta
    for band, image in images.items():
        np.testing.assert_array_equal(image.data, data_before[band])
    assert isinstance(out['p_high_z'], MaskedColumn)


def test_catalog_forms(classifier, toy_field):
    images, truth = toy_field
    reference = classifier.classify_catalog(truth, images)
    from_skycoord = classifier.classify_catalog(truth['sky_centroid'], images)
    assert isinstance(from_skycoord, QTable)
    assert from_skycoord.colnames[0] == 'sky_centroid'
    radec = Table({'RA': truth['sky_centroid'].ra.deg * u.deg,
                   'Dec': truth['sky_centroid'].dec.deg * u.deg})
    from_radec = classifier.classify_catalog(radec, images)
    renamed = QTable({'pos': truth['sky_centroid'], 'other': truth['sky_centroid']})
    from_column = classifier.classify_catalog(renamed, images, position_column='pos')
    pair = classifier.classify_catalog(radec, images, position_column=('RA', 'Dec'))
    for table in (from_skycoord, from_radec, from_column, pair):
        np.testing.assert_array_equal(table['highz_flags'], reference['highz_flags'])
        np.testing.assert_allclose(table['p_high_z'].filled(-1),
                                   reference['p_high_z'].filled(-1), atol=1e-6)
    first = np.flatnonzero(~reference['p_high_z'].mask)[0]
    one = classifier.classify_catalog(truth['sky_centroid'][first], images)
    assert len(one) == 1 and not one['p_high_z'].mask[0]


def test_masked_positions_and_off_image_sources(classifier, toy_field):
    images, truth = toy_field
    ra = MaskedColumn(truth['sky_centroid'].ra.deg, unit=u.deg)
    dec = MaskedColumn(truth['sky_centroid'].dec.deg, unit=u.deg)
    ra.mask[0] = True
    dec[1] = np.nan
    ra[2] = 10.0                              # far from the field
    out = classifier.classify_catalog(Table({'ra': ra, 'dec': dec}), images)
    assert len(out) == len(truth)
    assert out['highz_flags'][0] == HighZFlag.BAD_POSITION
    assert out['highz_flags'][1] == HighZFlag.BAD_POSITION
    assert out['highz_flags'][2] == HighZFlag.OFF_IMAGE | HighZFlag.BAND_MISSING
    assert out['p_low_z'].mask[:3].all()


def test_all_sources_off_every_image(classifier, toy_field):
    images, _ = toy_field
    far = SkyCoord([10, 11] * u.deg, [0, 1] * u.deg)
    with pytest.warns(AstroGalclassUserWarning) as record:
        out = classifier.classify_catalog(far, images)
    messages = [str(w.message) for w in record]
    assert sum('does not overlap any of the 2 catalog positions' in m
               for m in messages) == 7
    assert any('2 of 2 rows could not be classified' in m and 'OFF_IMAGE' in m
               for m in messages)
    expected = HighZFlag.OFF_IMAGE | HighZFlag.BAND_MISSING
    assert list(out['highz_flags']) == [expected] * 2
    assert out['p_high_z'].mask.all()


def test_missing_band_image(classifier, toy_field):
    images, truth = toy_field
    partial = {b: im for b, im in images.items() if b != 'F115W'}
    with pytest.warns(AstroGalclassUserWarning) as record:
        out = classifier.classify_catalog(truth, partial)
    assert any(f"no image for the band(s) ['F115W']: the {len(truth)} sources" in
               str(w.message) for w in record)
    assert np.all(out['highz_flags'] & HighZFlag.BAND_MISSING)
    assert out['p_high_z'].mask.all()


def test_overwrite(classifier, toy_field):
    images, truth = toy_field
    first = classifier.classify_catalog(truth, images)
    with pytest.raises(ValueError, match=r"already has columns \['p_low_z', "
                                         r"'p_high_z', 'p_brown_dwarf', "
                                         r"'highz_class', 'highz_ood', 'highz_flags'\]"):
        classifier.classify_catalog(first, images)
    second = classifier.classify_catalog(first, images, overwrite=True)
    assert second.colnames == first.colnames
    np.testing.assert_array_equal(second['highz_flags'], first['highz_flags'])


def test_empty_catalog(classifier, toy_field):
    images, truth = toy_field
    out = classifier.classify_catalog(truth[:0], images)
    assert len(out) == 0
    assert out.colnames[-6:] == PROB_COLUMNS + ['highz_class', 'highz_ood', 'highz_flags']


def test_fits_inputs(classifier, toy_field, tmp_path):
    images, truth = toy_field
    reference = classifier.classify_catalog(truth, images)
    paths = {}
    for band, image in images.items():
        header = image.wcs.to_header()
        header['BUNIT'] = 'MJy/sr'
        hdul = fits.HDUList([fits.PrimaryHDU(),
                             fits.ImageHDU(image.data, header, name='SCI')])
        paths[band] = tmp_path / f'{band}.fits'
        hdul.writeto(paths[band])
    from_paths = classifier.classify_catalog(truth, paths)
    hduls = {b: fits.open(p) for b, p in paths.items()}
    try:
        from_hdus = classifier.classify_catalog(
            truth, {b: hdul['SCI'] for b, hdul in hduls.items()})
        from_hdulists = classifier.classify_catalog(truth, hduls)
    finally:
        for hdul in hduls.values():
            hdul.close()
    for table in (from_paths, from_hdus, from_hdulists):
        np.testing.assert_array_equal(table['highz_flags'], reference['highz_flags'])
        np.testing.assert_allclose(table['p_high_z'].filled(-1),
                                   reference['p_high_z'].filled(-1), atol=1e-6)


def test_classify_catalog_output_writes_to_ecsv(classifier, toy_field, tmp_path):
    images, truth = toy_field
    out = classifier.classify_catalog(truth, images)
    path = tmp_path / 'catalog.ecsv'
    out.write(path)
    back = QTable.read(path)
    assert back.meta['astro_galclass_highz']['model'] == 'test-model'
    np.testing.assert_array_equal(back['p_high_z'].mask, out['p_high_z'].mask)


def test_device_choice(model):
    assert HighZClassifier(model, device='auto').device.type == (
        'cuda' if torch.cuda.is_available() else 'cpu')


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_cuda_request_without_cuda(model):
    with pytest.raises(ValueError, match="'cuda' was requested but CUDA is not "
                                         'available'):
        HighZClassifier(model, device='cuda')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu(model, cutouts):
    cpu = HighZClassifier(model, device='cpu').predict_proba(cutouts)
    gpu = HighZClassifier(LymanBreakCNN().eval(), device='cuda')
    gpu.model.load_state_dict(model.state_dict())
    np.testing.assert_allclose(gpu.predict_proba(cutouts), cpu, atol=1e-4)


def test_photutils_source_catalog(classifier, toy_field):
    # the everyday path: detect on an image, build a photutils catalog, classify
    from photutils.segmentation import SourceCatalog, detect_sources

    images, _ = toy_field
    detection = images['F200W']
    data = np.asarray(detection.data, float)
    segm = detect_sources(data, threshold=5 * np.std(data[:50, :50]), n_pixels=5)
    sources = SourceCatalog(data, segm, wcs=detection.wcs).to_table()
    assert 'sky_centroid' in sources.colnames
    out = classifier.classify_catalog(sources, images)
    assert len(out) == len(sources) > 0
    np.testing.assert_array_equal(out['label'], sources['label'])
    assert out.meta['astro_galclass_highz']['options']['position_column'] == \
        'sky_centroid'


def test_gradcam_per_class(classifier, rng):
    cutouts = rng.normal(0, 0.05, (3, 7, 64, 64))
    cutouts[:, :, 28:36, 28:36] += 50.0
    before = cutouts.copy()
    maps = classifier.gradcam(cutouts, class_name='brown_dwarf')
    assert maps.shape == (3, 64, 64)
    assert np.all((maps >= 0) & (maps <= 1))
    assert np.array_equal(cutouts, before)
    assert classifier.gradcam(cutouts[:1], stage=0).shape == (1, 64, 64)
    with pytest.raises(ValueError, match='class_name must be one of'):
        classifier.gradcam(cutouts, class_name='quasar')
    with pytest.raises(ValueError, match='stage must index'):
        classifier.gradcam(cutouts, stage=5)


class TestHighZClassifierContract(ClassifierContract):
    """The safety and integrity tests shared with the morphology classifier."""

    classifier_class = HighZClassifier
    flag_column = 'highz_flags'
    off_image_flag = HighZFlag.OFF_IMAGE

    @pytest.fixture
    def contract_classifier(self, classifier):
        return classifier

    @pytest.fixture
    def contract_inputs(self, cutouts):
        return cutouts

    @pytest.fixture
    def contract_field(self, toy_field):
        images, truth = toy_field
        return truth, images

    def outputs(self, clf, inputs):
        return clf.predict_proba(inputs)

    def classify_catalog(self, clf, catalog, images, **kwargs):
        return clf.classify_catalog(catalog, images, **kwargs)


def test_unclassified_rows_fill_as_unclassified(classifier, toy_field, tmp_path):
    images, truth = toy_field
    out = classifier.classify_catalog(truth, images)
    masked = out['highz_class'].mask
    assert masked.any() and not masked.all()
    filled = out['highz_class'].filled()
    assert set(filled[masked]) == {'unclassified'}
    assert set(out['highz_class'].filled('unclassified')[~masked]) <= set(classifier.classes)
    out.write(tmp_path / 'c.ecsv')
    back = QTable.read(tmp_path / 'c.ecsv')
    np.testing.assert_array_equal(back['highz_class'].mask, masked)
    assert list(back['highz_class'][~masked]) == list(filled[~masked])


def test_progress_option(classifier, toy_field, capsys):
    images, truth = toy_field
    quiet = classifier.classify_catalog(truth, images, progress=False)
    shown = classifier.classify_catalog(truth, images, progress=True)
    np.testing.assert_array_equal(quiet['highz_flags'], shown['highz_flags'])
    assert capsys.readouterr().err == ''      # not a terminal: no bar
    with pytest.raises(TypeError, match='progress must be True or False'):
        classifier.classify_catalog(truth, images, progress='yes')
