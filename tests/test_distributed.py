# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""astro_galclass.distributed: the same table from Dask workers, streamed to Parquet."""

import os
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import torch
from astropy.io import fits
from astropy.table import MaskedColumn, Table, vstack

from astro_galclass import HighZClassifier
from astro_galclass.distributed import classify_catalog, read_parquet
from astro_galclass.highz import HighZFlag
from astro_galclass.simulate import NIRCamSimulator

distributed = pytest.importorskip('distributed')
pytest.importorskip('pyarrow')

RESULTS = ['p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_class', 'highz_ood',
           'highz_flags']


@pytest.fixture
def one_thread():
    """Torch with one thread here, as on the workers (see `test_bit_identical_on_dask`)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def field(tmp_path_factory):
    """A simulated field as FITS files, and a catalog with off-image, duplicate and
    masked rows, shuffled."""
    images, truth = NIRCamSimulator(seed=12).make_field(n_sources=60, shape=(400, 400))
    folder = tmp_path_factory.mktemp('mosaics')
    paths = {}
    for band, image in images.items():
        hdu = fits.PrimaryHDU(np.asarray(image.data, np.float32),
                              header=image.wcs.to_header())
        hdu.header['BUNIT'] = str(image.unit)
        paths[band] = folder / f'{band}.fits'
        hdu.writeto(paths[band])
    catalog = Table({'id': np.arange(len(truth)), 'ra': truth['sky_centroid'].ra.to(u.deg),
                     'dec': truth['sky_centroid'].dec.to(u.deg)})
    off = catalog[:3].copy()
    off['id'] = [-1, -2, -3]
    off['dec'] = off['dec'] + 1 * u.deg                   # off every image
    catalog = vstack([catalog, off, catalog[5:9]])        # 4 duplicate rows
    catalog['ra'] = MaskedColumn(catalog['ra'], mask=np.arange(len(catalog)) == 7)
    order = np.random.default_rng(3).permutation(len(catalog))
    return paths, catalog[order]


@pytest.fixture(scope='module')
def clf():
    return HighZClassifier.pretrained(device='cpu', batch_size=8)


@pytest.fixture(scope='module')
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def _same_table(result, reference):
    assert result.colnames == reference.colnames
    assert len(result) == len(reference)
    for name in result.colnames:
        np.testing.assert_array_equal(np.ma.getmaskarray(result[name]),
                                      np.ma.getmaskarray(reference[name]), err_msg=name)
        np.testing.assert_array_equal(np.ma.getdata(result[name]),
                                      np.ma.getdata(reference[name]), err_msg=name)
    meta = {k: v for k, v in result.meta['astro_galclass_highz'].items() if k != 'date'}
    expected = {k: v for k, v in reference.meta['astro_galclass_highz'].items()
                if k != 'date'}
    assert meta == expected


def test_in_process_partitions_match_classify_catalog(clf, field):
    paths, catalog = field
    reference = clf.classify_catalog(catalog, paths)
    # every kind of row is there: classified, off-image and a masked position
    flags = np.asarray(reference['highz_flags'])
    assert np.any(flags & HighZFlag.OFF_IMAGE) and np.any(flags & HighZFlag.BAD_POSITION)
    assert np.sum(~np.ma.getmaskarray(reference['p_high_z'])) >= 35
    _same_table(classify_catalog(clf, catalog, paths, partition_size=20), reference)
    # the options travel too
    options = {'uncertainty': 2, 'priors': {'low_z': 0.9, 'high_z': 0.1, 'brown_dwarf': 0.0}}
    reference = clf.classify_catalog(catalog, paths, **options)
    assert 'p_high_z_std' in reference.colnames
    _same_table(classify_catalog(clf, catalog, paths, partition_size=20, **options), reference)


def test_bit_identical_on_dask(clf, field, client, one_thread):
    # bit-identical when both sides run torch with the same number of threads
    # (the workers have one): oneDNN's sums depend on the thread count
    paths, catalog = field
    reference = clf.classify_catalog(catalog, paths)
    result = classify_catalog(clf, catalog, paths, client=client, partition_size=16)
    _same_table(result, reference)
    assert catalog.colnames == ['id', 'ra', 'dec']         # the input is untouched


def test_dask_with_other_thread_counts_agrees(clf, field, client):
    paths, catalog = field
    reference = clf.classify_catalog(catalog, paths)
    result = classify_catalog(clf, catalog, paths, client=client, partition_size=16)
    for name in ('p_low_z', 'p_high_z', 'p_brown_dwarf'):
        np.testing.assert_allclose(result[name].filled(np.nan),
                                   reference[name].filled(np.nan), rtol=0, atol=1e-8)
    np.testing.assert_array_equal(result['highz_flags'], reference['highz_flags'])


def test_worker_killed_mid_run_loses_no_row(clf, field, client, tmp_path, one_thread):
    paths, catalog = field
    marker = tmp_path / 'killed'

    def kill_once(index):
        # the first task to start takes its worker down with it, once
        if index == 1 and not os.path.exists(marker):
            Path(marker).touch()
            os._exit(1)

    reference = clf.classify_catalog(catalog, paths)
    result = classify_catalog(clf, catalog, paths, client=client, partition_size=16,
                              _task_hook=kill_once)
    assert marker.exists()
    _same_table(result, reference)
    client.wait_for_workers(2, timeout=60)


def test_parquet_partitions(clf, field, client, tmp_path, one_thread):
    paths, catalog = field
    reference = clf.classify_catalog(catalog, paths)
    files = classify_catalog(clf, catalog, paths, client=client, partition_size=16,
                             output=tmp_path / 'out')
    # the valid rows in partitions of one 32-row chunk (4 x batch_size, the
    # partition size rounded up), then the row with no position
    n_valid = len(catalog) - 1
    assert len(files) == -(-n_valid // 32) + 1
    assert all(f.name.startswith('part-') for f in files)
    back = read_parquet(tmp_path / 'out')
    np.testing.assert_array_equal(back['row'], np.arange(len(catalog)))
    back.remove_column('row')
    _same_table(back, reference)
    with pytest.raises(FileExistsError, match='overwrite=True'):
        classify_catalog(clf, catalog, paths, output=tmp_path / 'out')
    files = classify_catalog(clf, catalog, paths, output=tmp_path / 'out', overwrite=True,
                             partition_size=1000)
    assert len(files) == 2


def test_client_needs_paths(clf, field, client):
    paths, catalog = field
    images = {band: fits.open(path) for band, path in paths.items()}
    try:
        with pytest.raises(TypeError, match='FITS file paths'):
            classify_catalog(clf, catalog, images, client=client)
    finally:
        for hdul in images.values():
            hdul.close()
    with pytest.raises(FileNotFoundError, match='not found'):
        classify_catalog(clf, catalog, dict(paths, F444W='/nonexistent.fits'),
                         client=client)


def test_bad_arguments(clf, field, tmp_path):
    paths, catalog = field
    with pytest.raises(TypeError, match='HighZClassifier'):
        classify_catalog(object(), catalog, paths)
    with pytest.raises(ValueError, match='partition_size'):
        classify_catalog(clf, catalog, paths, partition_size=0)
    with pytest.raises(TypeError, match='Client'):
        classify_catalog(clf, catalog, paths, client='tcp://localhost:8786')
    afile = tmp_path / 'afile'
    afile.write_text('x')
    with pytest.raises(ValueError, match='is a file'):
        classify_catalog(clf, catalog, paths, output=afile)
    with pytest.raises(FileNotFoundError, match='part-'):
        read_parquet(tmp_path)
