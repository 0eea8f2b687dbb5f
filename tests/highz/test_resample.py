# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Resampling of mosaics onto the model grid, against reproject and analytic sources."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.nddata import NDData

from astro_galclass.highz import HighZFlag, extract_cutouts
from astro_galclass.simulate import make_tan_wcs, render_gaussians

reproject = pytest.importorskip('reproject')

CENTER = SkyCoord(53.16 * u.deg, -27.78 * u.deg)
SOURCE = CENTER.spherical_offsets_by(0.137 * u.arcsec, -0.211 * u.arcsec)


def gaussian_image(scale, shape, *, rotation=0, flux=100.0, fwhm=0.15,
                   positions=SOURCE):
    wcs = make_tan_wcs(CENTER, scale * u.arcsec / u.pix, shape,
                       rotation=rotation * u.deg)
    image = render_gaussians(wcs, shape, positions, np.atleast_1d(flux),
                             fwhm * u.arcsec)
    return image, wcs


def cutout_wcs(position):
    return make_tan_wcs(position, 0.03 * u.arcsec / u.pix, (64, 64))


@pytest.mark.parametrize(('scale', 'rotation'), [(0.063, 0), (0.063, 37),
                                                 (0.031, 0), (0.031, 120)])
def test_matches_reproject_bilinear(scale, rotation):
    image, wcs = gaussian_image(scale, (300, 300), rotation=rotation)
    cutouts, flags = extract_cutouts({'F444W': NDData(image, wcs=wcs, unit=u.nJy)},
                                     SOURCE, bands=['F444W'])
    # reproject works on surface brightness: nJy/pix / pixel area
    reference, footprint = reproject.reproject_interp(
        (image / scale**2, wcs), cutout_wcs(SOURCE), shape_out=(64, 64),
        order='bilinear')
    assert footprint.all()
    np.testing.assert_allclose(cutouts[0, 0].value, reference * 0.03**2,
                               rtol=0, atol=1e-5 * reference.max() * 0.03**2)
    assert flags[0] == 0


@pytest.mark.parametrize(('scale', 'tolerance'), [(0.063, 0.003), (0.031, 0.001),
                                                  (0.015, 0.003)])
def test_conserves_flux_of_analytic_source(scale, tolerance):
    image, wcs = gaussian_image(scale, (int(20 / scale),) * 2, flux=250.0)
    assert abs(image.sum() / 250.0 - 1) < 1e-6
    cutouts, _ = extract_cutouts({'F200W': NDData(image, wcs=wcs, unit=u.nJy)},
                                 SOURCE, bands=['F200W'])
    assert cutouts.unit == u.nJy
    assert abs(cutouts.value.sum() / 250.0 - 1) < tolerance


def test_finer_input_is_integrated_like_reproject_exact():
    # input pixels smaller than the model's: each output pixel must average
    # the input over its area (as drizzling or reproject_exact would)
    image, wcs = gaussian_image(0.015, (400, 400), fwhm=0.06)
    cutouts, _ = extract_cutouts({'F090W': NDData(image, wcs=wcs, unit=u.nJy)},
                                 SOURCE, bands=['F090W'])
    exact, _ = reproject.reproject_exact((image / 0.015**2, wcs),
                                         cutout_wcs(SOURCE), shape_out=(64, 64))
    exact *= 0.03**2
    peak = exact.max()
    assert np.abs(cutouts[0, 0].value - exact).max() < 0.03 * peak
    assert abs(cutouts[0, 0].value.max() / peak - 1) < 0.03


def test_source_is_at_the_cutout_centre():
    image, wcs = gaussian_image(0.031, (300, 300), fwhm=0.1)
    cutouts, _ = extract_cutouts({'F150W': NDData(image, wcs=wcs, unit=u.nJy)},
                                 SOURCE, bands=['F150W'])
    data = cutouts[0, 0].value
    yy, xx = np.mgrid[:64, :64]
    assert abs((data * xx).sum() / data.sum() - 31.5) < 0.02
    assert abs((data * yy).sum() / data.sum() - 31.5) < 0.02


def test_north_up_east_left():
    # a second source 0.3" east of the first must land 10 pixels to the left
    east = SOURCE.spherical_offsets_by(0.3 * u.arcsec, 0 * u.arcsec)
    north = SOURCE.spherical_offsets_by(0 * u.arcsec, 0.3 * u.arcsec)
    for other, (dy, dx) in ((east, (0, -10)), (north, (10, 0))):
        image, wcs = gaussian_image(0.031, (300, 300), rotation=50, fwhm=0.05,
                                    flux=[1.0, 100.0],
                                    positions=SkyCoord([SOURCE, other]))
        cutouts, _ = extract_cutouts({'F150W': NDData(image, wcs=wcs, unit=u.nJy)},
                                     SOURCE, bands=['F150W'])
        iy, ix = np.unravel_index(np.argmax(cutouts[0, 0].value), (64, 64))
        assert (iy - 31.5, ix - 31.5) == pytest.approx((dy, dx), abs=0.6)


def test_surface_brightness_and_flux_units_agree():
    image, wcs = gaussian_image(0.063, (200, 200))
    pixel_area = (0.063 * u.arcsec) ** 2
    in_mjysr = (image * u.nJy / pixel_area).to_value(u.MJy / u.sr)
    a, _ = extract_cutouts({'F444W': NDData(image, wcs=wcs, unit=u.nJy)},
                           SOURCE, bands=['F444W'])
    b, _ = extract_cutouts({'F444W': NDData(in_mjysr, wcs=wcs, unit='MJy/sr')},
                           SOURCE, bands=['F444W'])
    c, _ = extract_cutouts({'F444W': NDData(image / 1e3, wcs=wcs, unit=u.uJy)},
                           SOURCE, bands=['F444W'])
    np.testing.assert_allclose(b.value, a.value, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(c.value, a.value, rtol=1e-5, atol=1e-9)


def test_flags_edges_nan_and_masks():
    image, wcs = gaussian_image(0.031, (200, 200))        # 6.2" field
    image += 1e-3                                         # a sky level: no exact zeros
    image[:, :20] = np.nan                                # NaN border (east side)
    mask = np.zeros(image.shape, bool)
    mask[100:103, 100:103] = True
    positions = SkyCoord([
        CENTER,                                                   # clean
        CENTER.spherical_offsets_by(0 * u.arcsec, 2.9 * u.arcsec),   # crosses the edge
        CENTER.spherical_offsets_by(2.5 * u.arcsec, 0 * u.arcsec),   # on the NaN border
        CENTER.spherical_offsets_by(0 * u.arcsec, 30 * u.arcsec),    # off the image
    ])
    nd = NDData(image, wcs=wcs, unit=u.nJy, mask=mask)
    before = image.copy()
    cutouts, flags = extract_cutouts({'F150W': nd}, positions, bands=['F150W'])
    np.testing.assert_array_equal(image, before)          # input untouched
    assert flags[0] == HighZFlag.BAD_PIXELS               # the masked pixels
    assert flags[1] & HighZFlag.PARTIAL_OVERLAP
    assert not flags[1] & HighZFlag.BAND_MISSING          # its core is observed
    assert flags[2] & HighZFlag.BAD_PIXELS
    assert flags[3] & HighZFlag.OFF_IMAGE and flags[3] & HighZFlag.BAND_MISSING
    assert np.isnan(cutouts[3]).all()


def test_missing_band_gives_nan_and_flag():
    image, wcs = gaussian_image(0.031, (100, 100))
    cutouts, flags = extract_cutouts({'F150W': NDData(image, wcs=wcs, unit=u.nJy)},
                                     SOURCE, bands=['F150W', 'F200W'])
    assert np.isnan(cutouts[0, 1]).all()
    assert flags[0] & HighZFlag.BAND_MISSING
    assert not flags[0] & HighZFlag.OFF_IMAGE


def test_positions_in_other_frames():
    image, wcs = gaussian_image(0.031, (300, 300), fwhm=0.1)
    nd = {'F150W': NDData(image, wcs=wcs, unit=u.nJy)}
    a, _ = extract_cutouts(nd, SOURCE, bands=['F150W'])
    b, _ = extract_cutouts(nd, SOURCE.galactic, bands=['F150W'])
    np.testing.assert_allclose(a.value, b.value, rtol=1e-4, atol=1e-7)


def test_sky_cell_order_keeps_chunks_compact():
    from astro_galclass.highz._catalog import sky_cell_order

    rng = np.random.default_rng(0)
    n = 20000
    coords = SkyCoord((150 + rng.uniform(0, 0.05, n)) * u.deg,
                      (2 + rng.uniform(0, 0.05, n)) * u.deg)
    valid = np.ones(n, bool)
    valid[::7] = False
    order = sky_cell_order(coords, valid)
    # every valid row once, no invalid one
    np.testing.assert_array_equal(np.sort(order), np.flatnonzero(valid))
    # 256 consecutive sources span a small part of the 3-arcmin field (about
    # 30 sub-cells of 3.75 arcsec here), in catalog order the whole field

    def median_span(rows):
        spans = []
        for start in range(0, len(rows) - 256, 256):
            part = coords[rows[start:start + 256]]
            spans.append(max(np.ptp(part.ra.deg) * np.cos(np.radians(2)),
                             np.ptp(part.dec.deg)) * 3600)
        return np.median(spans)

    assert median_span(order) < 45
    assert median_span(np.flatnonzero(valid)) > 170


def test_windowed_reads_match_whole_images(tmp_path, monkeypatch):
    # a FITS mosaic read window by window (with its weight map) gives the
    # cutouts of the same image held whole in memory (with the weight map as
    # a mask), however small the windows
    from astropy.io import fits

    from astro_galclass.highz import resample
    from astro_galclass.simulate import make_toy_field

    images, truth = make_toy_field(n_sources=12, seed=3)
    bands = list(images)
    paths, whole = {}, {}
    for band, image in images.items():
        data = np.asarray(image.data, np.float32)
        weight = np.ones(data.shape, np.float32)
        weight[:, :40] = 0
        header = image.wcs.to_header()
        header['BUNIT'] = str(image.unit)
        paths[band] = tmp_path / f'{band}.fits'
        fits.HDUList([fits.PrimaryHDU(data, header=header),
                      fits.ImageHDU(weight, name='WHT')]).writeto(paths[band])
        whole[band] = NDData(data, mask=weight == 0, wcs=image.wcs, unit=image.unit)
    coords = truth['sky_centroid']
    expected, flags = extract_cutouts(whole, coords, bands=bands, progress=False)
    assert np.isnan(expected.value).any() and np.isfinite(expected.value).any()
    for window in (resample.MAX_WINDOW_PIXELS, 80 * 80):
        monkeypatch.setattr(resample, 'MAX_WINDOW_PIXELS', window)
        got, got_flags = extract_cutouts(paths, coords, bands=bands, progress=False)
        np.testing.assert_array_equal(got.value, expected.value)
        np.testing.assert_array_equal(got_flags, flags)
