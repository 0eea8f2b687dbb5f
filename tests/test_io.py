# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Classified catalogs keep their provenance in ECSV, FITS and HDF5 files."""

import numpy as np
import pytest
from astropy.table import QTable

from astro_galclass.io import read_catalog, write_catalog

pytest.importorskip('h5py')


@pytest.fixture(scope='module')
def classified(classifier, toy_field):
    images, truth = toy_field
    return classifier.classify_catalog(truth, images, priors={'low_z': 8, 'high_z': 1,
                                                              'brown_dwarf': 1})


@pytest.mark.parametrize('name', ['c.ecsv', 'c.fits', 'c.h5'])
def test_provenance_survives_the_round_trip(classified, tmp_path, name):
    path = tmp_path / name
    before = classified.copy()
    write_catalog(classified, path)
    back = read_catalog(path)
    assert back.meta['astro_galclass_highz'] == classified.meta['astro_galclass_highz']
    assert back.meta['astro_galclass_highz']['options']['priors']['high_z'] == \
        pytest.approx(0.1)
    assert list(back['id']) == list(classified['id'])
    np.testing.assert_array_equal(back['p_high_z'].mask, classified['p_high_z'].mask)
    np.testing.assert_allclose(back['p_high_z'].filled(-1), classified['p_high_z'].filled(-1))
    np.testing.assert_array_equal(back['highz_flags'], classified['highz_flags'])
    # the user's table is untouched: still a dict in memory
    assert isinstance(classified.meta['astro_galclass_highz'], dict)
    assert classified.meta == before.meta
    with pytest.raises(OSError, match='exists'):
        write_catalog(classified, path)
    write_catalog(classified, path, overwrite=True)


def test_plain_astropy_reading_of_the_fits_file(classified, tmp_path):
    import json

    write_catalog(classified, tmp_path / 'c.fits')
    raw = QTable.read(tmp_path / 'c.fits')
    assert json.loads(raw.meta['astro_galclass_highz'])['model'] == 'test-model'


def test_unknown_format(classified, tmp_path):
    with pytest.raises(ValueError, match=r"must end in one of .*got 'c\.txt'"):
        write_catalog(classified, tmp_path / 'c.txt')
    with pytest.raises(ValueError, match='ECSV, FITS or HDF5'):
        read_catalog(tmp_path / 'c.csv')
