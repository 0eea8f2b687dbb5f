# Licensed under a 3-clause BSD style license - see LICENSE.rst
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import CCDData, NDData

from astro_galclass.simulate import make_tan_wcs
from astro_galclass.utils._images import unpack_image

WCS_ = make_tan_wcs(SkyCoord(10 * u.deg, 20 * u.deg), 0.03 * u.arcsec / u.pix,
                    (20, 30))


def test_nddata_and_ccddata():
    data = np.arange(600.0).reshape(20, 30)
    mask = data > 500
    image = unpack_image(NDData(data, mask=mask, wcs=WCS_, unit='MJy/sr'), 'x')
    assert image.data is data                     # never copied
    assert image.unit == u.MJy / u.sr
    np.testing.assert_array_equal(image.mask, mask)
    ccd = unpack_image(CCDData(data, unit='nJy', wcs=WCS_), 'x')
    assert ccd.unit == u.nJy and ccd.wcs is not None


def test_fits_file_with_sci_extension_and_bunit(tmp_path):
    header = WCS_.to_header()
    header['BUNIT'] = 'MJy/sr'
    path = tmp_path / 'i2d.fits'
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(np.ones((20, 30)), header, name='SCI'),
                  fits.ImageHDU(np.zeros((20, 30)), name='ERR')]).writeto(path)
    image = unpack_image(path, 'F444W')
    assert image.unit == u.MJy / u.sr
    assert image.data.sum() == 600
    assert image.wcs.has_celestial


def test_errors(tmp_path):
    with pytest.raises(ValueError, match=r'x: expected a 2-D image, got shape \(3,\)'):
        unpack_image(np.zeros(3), 'x')
    with pytest.raises(ValueError, match=r"x: cannot parse BUNIT = 'furlongs'"):
        unpack_image(fits.ImageHDU(np.zeros((2, 2)),
                                   fits.Header({'BUNIT': 'furlongs'})), 'x')
    bad = tmp_path / 'bad.fits'
    bad.write_text('not fits')
    with pytest.raises(ValueError, match=r'x: cannot read .* as a FITS image'):
        unpack_image(bad, 'x')
    with pytest.raises(ValueError, match='mask shape'):
        unpack_image(NDData(np.zeros((2, 2)), mask=np.zeros(3, bool)), 'x')


@pytest.mark.parametrize(('name', 'coverage', 'expected'), [
    ('WHT', np.array([[0.0, 2.0], [np.nan, 1.0]]), [[True, False], [True, False]]),
    ('ERR', np.array([[0.1, -1.0], [np.inf, 0.2]]), [[False, True], [True, False]]),
    ('CON', np.array([[0, 3], [1, 0]], np.int32), [[True, False], [False, True]]),
    ('CON', np.array([[[0, 1], [0, 0]], [[0, 0], [4, 0]]], np.int32),
     [[True, False], [False, True]]),
])
def test_lazy_coverage_reads_what_the_eager_mask_says(tmp_path, name, coverage, expected):
    # a FITS file read window by window (what resampling does with mosaics)
    # says what the merged mask says
    path = tmp_path / 'mosaic.fits'
    fits.HDUList([fits.PrimaryHDU(np.arange(4.0).reshape(2, 2)),
                  fits.ImageHDU(coverage, name=name)]).writeto(path)
    eager = unpack_image(path, 'x')
    lazy = unpack_image(path, 'x', lazy=True)
    assert lazy.mask is None and lazy.coverage is not None
    np.testing.assert_array_equal(eager.mask, expected)
    data, bad = lazy.window(slice(0, 2), slice(0, 2))
    np.testing.assert_array_equal(bad, expected)
    np.testing.assert_array_equal(data, [[0, 1], [2, 3]])
    data, bad = lazy.window(slice(1, 2), slice(0, 2))
    np.testing.assert_array_equal(bad, np.array(expected)[1:])
    np.testing.assert_array_equal(np.asarray(lazy.data), eager.data)


def test_lazy_fits_reads_only_windows(tmp_path):
    path = tmp_path / 'big.fits'
    header = WCS_.to_header()
    header['BUNIT'] = 'nJy'
    fits.PrimaryHDU(np.arange(600, dtype=np.float32).reshape(20, 30),
                    header=header).writeto(path)
    image = unpack_image(path, 'x', lazy=True)
    assert not isinstance(image.data, np.ndarray)     # a FitsSection: nothing read yet
    assert image.data.shape == (20, 30) and image.data.dtype.kind == 'f'
    assert image.unit == u.nJy and image.wcs is not None
    data, bad = image.window(slice(2, 4), slice(5, 8))
    assert bad is None
    np.testing.assert_array_equal(data, [[65, 66, 67], [95, 96, 97]])
