# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Every kind of bad input gets a specific error saying what was expected and given."""

import re
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData
from astropy.table import Table
from astropy.wcs import WCS

from astro_galclass import HighZClassifier
from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz import HighZFlag, LymanBreakCNN

BANDS = ('F090W', 'F115W', 'F150W', 'F200W', 'F277W', 'F356W', 'F444W')


def one_source(value=0.1):
    return {b: np.full((64, 64), value) for b in BANDS}


@pytest.mark.parametrize('shape', [(2, 6, 64, 64), (7, 32, 32), (64, 64),
                                   (1, 1, 7, 64, 64)])
def test_wrong_shape_or_band_count(classifier, shape):
    expected = ('cutouts must have shape (N, 7, 64, 64) or (7, 64, 64), got '
                f'{shape}')
    with pytest.raises(ValueError, match=re.escape(expected)):
        classifier.classify(np.zeros(shape))


def test_wrong_cutout_type(classifier):
    with pytest.raises(TypeError, match='cutouts must be an array or Quantity'):
        classifier.classify('cutouts.fits')
    with pytest.raises(TypeError, match='must hold real numbers'):
        classifier.classify(np.zeros((7, 64, 64), complex))


def test_band_names_not_matching(classifier, toy_field):
    source = one_source()
    source['F410M'] = source.pop('F090W')
    with pytest.raises(ValueError, match=r"does not know the band\(s\) \['F410M'\]; it "
                                         r"supports \['F090W', 'F115W'"):
        classifier.classify(source)
    # sources of one call must give the same bands
    with pytest.raises(ValueError, match=r"missing \['F090W'\], unexpected \['F410M'\]"):
        classifier.classify([one_source(), source])
    images, truth = toy_field
    renamed = dict(images)
    renamed['f444w'] = renamed.pop('F444W')
    with pytest.raises(ValueError, match=r"images: the model does not know the band\(s\) "
                                         r"\['f444w'\]"):
        classifier.classify_catalog(truth, renamed)


def test_dict_band_of_wrong_size(classifier):
    source = one_source()
    source['F200W'] = np.zeros((63, 64))
    with pytest.raises(ValueError, match=r"cutouts\['F200W'\] must be a 64x64 "
                                         r'image, got shape \(63, 64\)'):
        classifier.classify(source)


def test_mixed_units_in_cutouts(classifier):
    source = one_source()
    source['F444W'] = source['F444W'] * u.nJy
    with pytest.raises(ValueError, match=r'units must be given for all bands of '
                                         r'cutouts or for none; got F090W: None.*'
                                         r'F444W: nJy'):
        classifier.classify(source)


def test_mixed_units_across_sources(classifier):
    with_units = {b: v * u.nJy for b, v in one_source().items()}
    with pytest.raises(ValueError, match=r'units must be given for all sources or '
                                         r'for none; sources \[1\] carry units'):
        classifier.classify([one_source(), with_units])


def test_incompatible_units(classifier):
    with pytest.raises(ValueError, match=r'has unit electron / s, which is neither '
                                         'a spectral flux density'):
        classifier.classify(np.zeros((7, 64, 64)) * u.electron / u.s)
    with pytest.raises(ValueError, match='has unit m, which is neither'):
        classifier.classify(np.zeros((7, 64, 64)), unit='m')


def test_unit_keyword_does_not_override_data_units(classifier):
    data = np.random.default_rng(0).normal(0, 0.1, (7, 64, 64))
    with pytest.warns(AstroGalclassUserWarning, match=r'unit=uJy is ignored'):
        p = classifier.predict_proba(data * u.nJy, unit='uJy')
    np.testing.assert_array_equal(p, classifier.predict_proba(data))


def test_mixed_and_missing_units_in_images(classifier, toy_field):
    images, truth = toy_field
    mixed = dict(images)
    mixed['F090W'] = NDData(images['F090W'].data, wcs=images['F090W'].wcs)
    with pytest.raises(ValueError, match=r'units must be given for all images or '
                                         r'for none; got F090W: None, F115W: MJy / sr'):
        classifier.classify_catalog(truth, mixed)
    bare = {b: NDData(im.data, wcs=im.wcs) for b, im in images.items()}
    with pytest.raises(ValueError, match=r'the images carry no unit.*pass unit='):
        classifier.classify_catalog(truth, bare)
    out = classifier.classify_catalog(truth, bare, unit='MJy/sr')
    reference = classifier.classify_catalog(truth, images)
    np.testing.assert_array_equal(out['p_high_z'].filled(-1),
                                  reference['p_high_z'].filled(-1))


def test_image_without_celestial_wcs(classifier, toy_field):
    images, truth = toy_field
    broken = dict(images)
    broken['F150W'] = NDData(images['F150W'].data, unit='MJy/sr')
    with pytest.raises(ValueError, match='image for F150W has no celestial WCS'):
        classifier.classify_catalog(truth, broken)
    spectral = WCS(naxis=2)
    spectral.wcs.ctype = ['WAVE', 'FREQ']
    broken['F150W'] = NDData(images['F150W'].data, unit='MJy/sr', wcs=spectral)
    with pytest.raises(ValueError, match='image for F150W has no celestial WCS'):
        classifier.classify_catalog(truth, broken)


def test_images_of_wrong_type(classifier, toy_field):
    _, truth = toy_field
    with pytest.raises(TypeError, match='images must be a dict mapping band names'):
        classifier.classify_catalog(truth, [np.zeros((10, 10))])
    with pytest.raises(TypeError, match='image for F090W: expected NDData, CCDData'):
        classifier.classify_catalog(truth, {'F090W': 3.0})
    with pytest.raises(ValueError, match='images is empty'):
        classifier.classify_catalog(truth, {})


def test_catalog_without_positions(classifier, toy_field):
    images, _ = toy_field
    with pytest.raises(ValueError, match=r"the catalog has no positions: expected "
                                         r"a SkyCoord column .*"
                                         r"columns: \['id', 'flux'\]"):
        classifier.classify_catalog(Table({'id': [1], 'flux': [2.0]}), images)
    with pytest.raises(ValueError, match="catalog column 'ra' must carry an angle "
                                         'unit'):
        classifier.classify_catalog(Table({'ra': [53.1], 'dec': [-27.8]}), images)
    with pytest.raises(TypeError, match='catalog must be a SkyCoord or an astropy '
                                        'Table/QTable with positions, got list'):
        classifier.classify_catalog([53.1, -27.8], images)
    with pytest.raises(ValueError, match="position_column 'pos' is not a column"):
        classifier.classify_catalog(Table({'ra': [53.1] * u.deg}), images,
                                    position_column='pos')
    two = Table({'a': SkyCoord([1] * u.deg, [2] * u.deg),
                 'b': SkyCoord([1] * u.deg, [2] * u.deg)})
    with pytest.raises(ValueError, match=r"several SkyCoord columns \['a', 'b'\]"):
        classifier.classify_catalog(two, images)


def test_nan_only_data(classifier, toy_field):
    with pytest.raises(ValueError, match='the cutouts contain no finite value'):
        classifier.classify(np.full((3, 7, 64, 64), np.nan))
    with pytest.raises(ValueError, match='the cutouts contain no finite value'):
        classifier.predict_proba(np.full((7, 64, 64), np.inf))
    images, truth = toy_field
    broken = dict(images)
    broken['F200W'] = NDData(np.full((10, 10), np.nan), wcs=images['F200W'].wcs,
                             unit='MJy/sr')
    with pytest.raises(ValueError,
                       match='image for F200W contains no finite pixel'):
        classifier.classify_catalog(truth, broken)


@pytest.mark.parametrize(('kwargs', 'error', 'match'), [
    ({'device': 'tpu'}, ValueError, "device must be 'auto', 'cpu', 'cuda'"),
    ({'device': 0}, TypeError, 'device must be a str'),
    ({'batch_size': 0}, ValueError, 'batch_size must be >= 1, got 0'),
    ({'batch_size': 2.5}, TypeError, 'batch_size must be an int, got float'),
    ({'bands': BANDS[:6]}, ValueError, 'the model takes 7 bands but 6 band names'),
    ({'classes': ('a', 'b')}, ValueError, 'the model has 3 outputs but 2 class'),
    ({'bands': 'F090W'}, TypeError, 'bands must be a sequence of str'),
    ({'pixel_scale': 0.03}, TypeError, 'pixel_scale must be a Quantity'),
    ({'pixel_scale': 0.03 * u.m}, ValueError, 'pixel_scale must be an angle per pixel'),
    ({'cutout_size': 60}, ValueError, 'cutout_size must be a multiple of 8'),
])
def test_invalid_options(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        HighZClassifier(model, **kwargs)


def test_invalid_weights_argument():
    with pytest.raises(TypeError, match='weights must be a weights file path or a '
                                        'LymanBreakCNN instance, got dict'):
        HighZClassifier({'a': 1})
    with pytest.raises(TypeError, match=r"the model must be one of \['LymanBreakCNN'\], "
                                        'got Sequential'):
        HighZClassifier(LymanBreakCNN().spectral)

    class Custom(LymanBreakCNN):
        pass

    with pytest.raises(TypeError, match='got Custom'):
        HighZClassifier(Custom())
    with pytest.raises(FileNotFoundError):
        HighZClassifier('no/such/file.pt')


def test_unexposed_zero_cores_are_missing_not_dropouts(classifier):
    # grizli / DJA mosaics store unexposed pixels as 0: a band whose core is
    # exact zeros has no data there, and read as zero flux it would make a
    # fake dropout (issue 18)
    from astro_galclass.highz import HighZFlag

    cutouts = np.random.default_rng(1).normal(0.0, 0.05, (3, 7, 64, 64))
    cutouts[:, :, 30:34, 30:34] += 5.0
    cutouts[1, 0] = 0.0                                   # F090W unexposed
    cutouts[2, :2, 24:40, 24:40] = 0.0                    # F090W and F115W cores
    with pytest.warns(AstroGalclassUserWarning,
                      match=r"core is exact zeros .*\{'F090W': 2, 'F115W': 1\}"):
        table = classifier.classify(cutouts)
    flags = np.asarray(table['highz_flags'])
    assert flags[0] == 0
    for i in (1, 2):
        assert flags[i] & HighZFlag.ZERO_CORE and flags[i] & HighZFlag.BAND_MISSING
        assert table['p_high_z'].mask[i] and table['highz_class'].mask[i]
    assert not table['p_high_z'].mask[0]
    # a core with a few exact zeros (a cold pixel) is still data
    few = cutouts[:1].copy()
    few[0, 0, 31, 31] = 0.0
    assert classifier.classify(few)['highz_flags'][0] == 0


def test_unexposed_zero_region_of_a_mosaic(classifier, toy_field):
    from astro_galclass.highz import HighZFlag

    images, truth = toy_field
    f090w = images['F090W']
    data = np.array(f090w.data)
    data[:, : data.shape[1] // 2] = 0.0                   # half the mosaic unexposed
    zeroed = dict(images, F090W=NDData(data, wcs=f090w.wcs, unit=f090w.unit))
    with pytest.warns(AstroGalclassUserWarning, match=r"exact zeros .*'F090W'"):
        out = classifier.classify_catalog(truth, zeroed, progress=False)
    x, _ = f090w.wcs.world_to_pixel(truth['sky_centroid'])
    unexposed = x < data.shape[1] // 2 - 5
    inside = x > data.shape[1] // 2 + 5
    assert unexposed.any() and inside.any()
    flags = np.asarray(out['highz_flags'])
    assert np.all(flags[unexposed] & HighZFlag.ZERO_CORE)
    assert np.all(out['p_high_z'].mask[unexposed])
    assert not np.any(flags[inside] & HighZFlag.ZERO_CORE)
    assert len(out) == len(truth)                         # every row kept


@pytest.mark.parametrize('convention', ['WHT', 'ERR', 'CON', 'InverseVariance', 'StdDev'])
def test_coverage_maps_mark_unexposed_pixels(classifier, toy_field, tmp_path, convention):
    # JWST pipeline and grizli mosaics say where there is no exposure in a
    # weight, error or context map; those pixels are no data even where the
    # science array holds numbers (issue 18)
    from astropy.io import fits
    from astropy.nddata import InverseVariance, StdDevUncertainty

    from astro_galclass.highz import HighZFlag

    images, truth = toy_field
    f090w = images['F090W']
    data = np.array(f090w.data)
    half = data.shape[1] // 2
    covered = np.ones(data.shape, dtype=np.float32)
    covered[:, :half] = 0.0
    if convention in ('InverseVariance', 'StdDev'):
        unc = (InverseVariance(covered) if convention == 'InverseVariance'
               else StdDevUncertainty(np.where(covered > 0, 1.0, np.inf)))
        given = NDData(data, wcs=f090w.wcs, unit=f090w.unit, uncertainty=unc)
    else:
        header = f090w.wcs.to_header()
        header['BUNIT'] = f090w.unit.to_string('fits')
        coverage = covered[None] if convention == 'CON' else covered
        hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, header, name='SCI'),
                             fits.ImageHDU(coverage.astype(np.int32 if convention == 'CON'
                                                           else np.float32),
                                           name=convention)])
        given = tmp_path / f'f090w_{convention}.fits'
        hdus.writeto(given)
    out = classifier.classify_catalog(truth, dict(images, F090W=given), progress=False)
    x, _ = f090w.wcs.world_to_pixel(truth['sky_centroid'])
    unexposed, inside = x < half - 5, x > half + 40     # beyond a cutout's reach
    assert unexposed.any() and inside.any()
    flags = np.asarray(out['highz_flags'])
    assert np.all(flags[unexposed] & HighZFlag.BAND_MISSING)
    assert np.all(out['p_high_z'].mask[unexposed])
    # elsewhere nothing changes
    baseline = np.asarray(classifier.classify_catalog(truth, images,
                                                      progress=False)['highz_flags'])
    np.testing.assert_array_equal(flags[inside], baseline[inside])
    assert not np.all(baseline[unexposed] & HighZFlag.BAND_MISSING)
    np.testing.assert_array_equal(np.array(f090w.data), data)     # input untouched


def test_coverage_map_of_the_wrong_shape(classifier, toy_field, tmp_path):
    from astropy.io import fits

    images, truth = toy_field
    f090w = images['F090W']
    header = f090w.wcs.to_header()
    header['BUNIT'] = f090w.unit.to_string('fits')
    path = tmp_path / 'bad.fits'
    fits.HDUList([fits.PrimaryHDU(np.array(f090w.data), header),
                  fits.ImageHDU(np.ones((3, 3)), name='WHT')]).writeto(path)
    with pytest.raises(ValueError, match=r'the WHT map has shape \(3, 3\)'):
        classifier.classify_catalog(truth, dict(images, F090W=path), progress=False)


@pytest.mark.parametrize('unit', [u.ABmag, u.Unit('mag(AB)'), u.STmag])
def test_magnitudes_are_refused(classifier, unit):
    # AB magnitudes "convert" to nJy in astropy, but not by a factor (issue 18)
    cutouts = np.full((1, 7, 64, 64), 28.0)
    with pytest.raises(ValueError, match='a logarithmic unit'):
        classifier.classify(cutouts * unit)
    with pytest.raises(ValueError, match='a logarithmic unit'):
        classifier.classify(cutouts, unit=unit)


def test_implausible_fluxes_are_flagged_not_classified(classifier):
    from astro_galclass.highz import MAX_PLAUSIBLE_NJY, HighZFlag

    cutouts = np.random.default_rng(2).normal(0.0, 0.05, (3, 7, 64, 64))
    cutouts[:, :, 30:34, 30:34] += 5.0
    cutouts[1] *= 1e30                                    # a unit error
    cutouts[2, :, 31, 31] = 1e5                           # a bright star: plausible
    table = classifier.classify(cutouts)
    flags = np.asarray(table['highz_flags'])
    assert flags[1] & HighZFlag.IMPLAUSIBLE_FLUX
    assert table['p_high_z'].mask[1] and table['highz_class'].mask[1]
    assert not flags[0] & HighZFlag.IMPLAUSIBLE_FLUX
    assert not flags[2] & HighZFlag.IMPLAUSIBLE_FLUX
    assert 1e5 < MAX_PLAUSIBLE_NJY
    # every masked row says why
    assert np.all(flags[np.asarray(table['p_high_z'].mask)] != 0)


def test_unitless_data_in_another_unit_warn(classifier):
    """Issue 18: unitless Jy (or magnitudes) read as nJy warn instead of passing silently."""
    rng = np.random.default_rng(7)
    njy = rng.normal(0, 0.05, (2, 7, 64, 64))
    njy[:, :, 30:34, 30:34] += 5
    with pytest.warns(AstroGalclassUserWarning, match=r'are they in Jy or uJy\? Pass unit='):
        classifier.classify(njy * 1e-9)                      # the same data in Jy
    with pytest.warns(AstroGalclassUserWarning, match='look like magnitudes'):
        classifier.classify(rng.uniform(27, 31, (2, 7, 64, 64)))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        classifier.classify(njy)                              # plausible nJy: silent
        classifier.classify(njy * 1e-9, unit='Jy')            # unit given: silent


def test_position_on_the_far_side_of_the_sky_is_off_image(classifier, toy_field):
    """Issue 18: the far side of a TAN mosaic is OFF_IMAGE, not BAD_PIXELS|BAND_MISSING."""
    images, truth = toy_field
    centre = truth['sky_centroid'][0]
    far = SkyCoord([centre.ra.deg + 180, centre.ra.deg] * u.deg,
                   [-centre.dec.deg, centre.dec.deg] * u.deg)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = classifier.classify_catalog(far, images)
    assert out['highz_flags'][0] & HighZFlag.OFF_IMAGE
    assert not out['highz_flags'][0] & HighZFlag.BAD_PIXELS


def test_embed_warns_about_zero_filled_sources(classifier):
    """Issue 18: embed no longer zero-fills a band without data silently."""
    values = np.random.default_rng(8).normal(0, 1, (3, 7, 64, 64))
    values[1, 2] = np.nan
    with pytest.warns(AstroGalclassUserWarning, match=r'embed: 1 source\(s\) \(rows \[1\]\) '
                                                      r"cannot be classified \(\['BAND_MISSING'"):
        emb = classifier.embed(values)
    assert emb.shape[0] == 3
    with pytest.warns(AstroGalclassUserWarning, match='feature_maps: 1 source'):
        classifier.feature_maps(values)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        classifier.embed(values[[0, 2]])
