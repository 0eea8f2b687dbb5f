# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Fuzzing (issue 18): random inputs either give a table with every row, each
classified or flagged with a reason, or one of the documented exceptions.
Never a silent wrong answer, a raw internal exception or a hang.
"""

import warnings

import astropy.units as u
import numpy as np
import pytest
import torch
from astropy.table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, LymanBreakCNN
from astro_galclass.highz.flags import UNCLASSIFIED
from astro_galclass.morphology import GZ2_TREE, check_gz2_labels
from astro_galclass.simulate import make_toy_field

#: Exceptions the package documents for bad input.
DOCUMENTED = (ValueError, TypeError, KeyError, FileNotFoundError, u.UnitsError)

TINY = {'stem_channels': 4, 'spectral_channels': 4, 'n_spectral_blocks': 1,
        'spatial_channels': (4, 8), 'head_units': (8,), 'head_dropout': (0.1,)}
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    return HighZClassifier(LymanBreakCNN(**TINY), device='cpu', batch_size=16, name='tiny')


@pytest.fixture(scope='module')
def field():
    return make_toy_field(n_sources=6, seed=5)


def _check_rows(table, n):
    """Every row present; a masked row always carries a flag that prevents classification."""
    assert len(table) == n
    masked = np.asarray(table['p_high_z'].mask)
    flags = np.asarray(table['highz_flags'])
    assert np.all((flags[masked] & UNCLASSIFIED) != 0)
    probs = np.stack([table[c].filled(np.nan) for c in ('p_low_z', 'p_high_z',
                                                          'p_brown_dwarf')], axis=1)
    ok = ~masked
    assert np.all(np.isfinite(probs[ok]))
    np.testing.assert_allclose(probs[ok].sum(axis=1), 1, atol=1e-9)


special = st.sampled_from([0.0, np.nan, np.inf, -np.inf, 1e30, -1e30, 1e-30])
pixel_values = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), special)


@FUZZ
@given(n=st.integers(0, 3), fill=pixel_values,
       pattern=st.sampled_from(['none', 'band', 'core', 'corner', 'all', 'random']),
       dtype=st.sampled_from([np.float32, np.float64, np.int16, np.uint8]),
       seed=st.integers(0, 2 ** 16))
def test_classify_random_cutouts(tiny, n, fill, pattern, dtype, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, (n, 7, 64, 64))
    if n:
        if pattern == 'band':
            values[:, rng.integers(7)] = fill
        elif pattern == 'core':
            values[:, :, 29:35, 29:35] = fill
        elif pattern == 'corner':
            values[:, :, :10, :10] = fill
        elif pattern == 'all':
            values[:] = fill
        elif pattern == 'random':
            values[rng.random(values.shape) < 0.1] = fill
    if np.issubdtype(dtype, np.integer):
        values = np.clip(np.nan_to_num(values, posinf=100, neginf=-100), 0 if dtype == np.uint8
                         else -1000, 200)
    values = values.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            table = tiny.classify(values)
        except DOCUMENTED:
            return
    _check_rows(table, n)


@FUZZ
@given(shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=70),
       kind=st.sampled_from(['float', 'complex', 'bool', 'object', 'str']))
def test_classify_random_shapes_and_dtypes(tiny, shape, kind):
    size = int(np.prod(shape)) if shape else 1
    if size > 300_000:
        return
    data = {'float': np.zeros(shape), 'complex': np.zeros(shape, complex),
            'bool': np.zeros(shape, bool), 'object': np.empty(shape, object),
            'str': np.full(shape, 'x')}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            table = tiny.classify(data)
    except DOCUMENTED:
        return
    assert shape[-3:] == (7, 64, 64) and kind in ('float', 'bool')
    _check_rows(table, 1 if len(shape) == 3 else shape[0])


@FUZZ
@given(ra=st.lists(st.one_of(st.floats(-720, 720), special), min_size=0, max_size=8),
       dec_offset=st.floats(-1, 1), mask_seed=st.integers(0, 255))
def test_classify_catalog_random_positions(tiny, field, ra, dec_offset, mask_seed):
    images, truth = field
    centre = truth['sky_centroid'][0]
    n = len(ra)
    rng = np.random.default_rng(mask_seed)
    ra_col = np.ma.masked_array(np.asarray(ra, float) * 1e-4 + centre.ra.deg,
                                mask=rng.random(n) < 0.2)
    dec = np.full(n, centre.dec.deg + dec_offset * 1e-3)
    catalog = Table({'ra': ra_col, 'dec': dec})
    catalog['ra'].unit = u.deg
    catalog['dec'].unit = u.deg
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            table = tiny.classify_catalog(catalog, images, progress=False)
        except DOCUMENTED:
            return
    _check_rows(table, n)
    assert np.all((np.asarray(table['highz_flags'])[np.asarray(ra_col.mask)]
                   & HighZFlag.BAD_POSITION) != 0)


@FUZZ
@given(blob=st.binary(min_size=0, max_size=2000))
def test_random_bytes_as_weights(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp('w') / 'random.pt'
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=r'not an astro_galclass weights file|damaged|refused'):
        HighZClassifier(path)


@FUZZ
@given(values=hnp.arrays(float, (3, 37), elements=st.one_of(st.floats(-2, 3),
                                                            special)),
       kind=st.sampled_from(['cumulative', 'fraction', 'count']))
def test_random_label_tables(values, kind):
    try:
        check_gz2_labels(values, ['a', 'b', 'c'], kind=kind)
    except ValueError:
        return
    # accepted labels obey the tree
    assert np.isfinite(values).all() or kind == 'fraction'
    if kind == 'cumulative':
        assert (values >= -0.01).all() and (values <= 1.01).all()
        assert GZ2_TREE.identity_residuals(values).max() <= 0.01
    if kind == 'count':
        assert (values >= 0).all()


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('0123456789.,-e\nabcGalxyID ')),
                    max_size=400))
def test_random_label_files(tmp_path_factory, text):
    from astro_galclass.morphology import load_kaggle_galaxy_zoo

    root = tmp_path_factory.mktemp('gz')
    (root / 'images_training_rev1').mkdir()
    header = ','.join(['GalaxyID', *GZ2_TREE.kaggle_columns])
    (root / 'training_solutions_rev1.csv').write_text(header + '\n' + text)
    try:
        images, table = load_kaggle_galaxy_zoo(root)
    except (*DOCUMENTED, OSError):
        return
    assert len(images) == len(table)



@FUZZ
@given(shape=st.tuples(st.integers(2, 40), st.integers(2, 40)),
       dtype=st.sampled_from(['>f4', '>f8', '>i2', 'u1']),
       kind=st.sampled_from(['WHT', 'ERR', 'CON', None]),
       scaled=st.booleans(), data=st.data())
def test_fits_windows_read_what_the_whole_file_holds(tmp_path_factory, shape, dtype, kind,
                                                     scaled, data):
    # mosaics given by path are read window by window (a short-lived map of
    # the rows, or astropy's section for scaled images): any window holds
    # what the whole file holds, and its bad pixels are the coverage map's
    from astropy.io import fits

    from astro_galclass.utils._images import _no_data, unpack_image

    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    pixels = (rng.normal(0, 50, shape) if dtype.startswith('>f')
              else rng.integers(0, 100, shape)).astype(dtype)
    hdus = [fits.PrimaryHDU(pixels)]
    if scaled:
        hdus[0].header['BSCALE'] = 2.0
    coverage = rng.choice([0.0, 1.0, np.nan], shape).astype('>f4')
    if kind is not None:
        hdus.append(fits.ImageHDU(coverage, name=kind))
    path = tmp_path_factory.mktemp('fits') / 'mosaic.fits'
    fits.HDUList(hdus).writeto(path)
    with fits.open(path) as whole:
        expected = np.array(whole[0].data)
    image = unpack_image(path, 'x', lazy=True)
    r0 = data.draw(st.integers(0, shape[0] - 1))
    c0 = data.draw(st.integers(0, shape[1] - 1))
    rows = slice(r0, data.draw(st.integers(r0 + 1, shape[0])))
    cols = slice(c0, data.draw(st.integers(c0 + 1, shape[1])))
    window, bad = image.window(rows, cols)
    np.testing.assert_array_equal(window, expected[rows, cols])
    if kind is None:
        assert bad is None
    else:
        kinds = {'WHT': 'weight', 'ERR': 'error', 'CON': 'context'}
        np.testing.assert_array_equal(
            bad, _no_data(np.nan_to_num(coverage, nan=0.0) if kind == 'CON' else coverage,
                          kinds[kind])[rows, cols])
