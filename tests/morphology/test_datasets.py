# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
from astropy.table import Table
from PIL import Image

from astro_galclass.morphology import (
    GZ2_TREE,
    load_gz2_catalogue,
    load_kaggle_galaxy_zoo,
    load_seed_npz,
    preprocess_rgb,
)


def _blob(size, value):
    """An RGB image with a bright square in the middle."""
    img = np.zeros((size, size, 3), np.uint8)
    c = size // 2
    img[c - size // 8:c + size // 8, c - size // 8:c + size // 8] = value
    return img


def test_preprocess_crop_and_resize():
    img = np.zeros((424, 424, 3), np.uint8)
    img[107:317, 107:317] = 255           # exactly the central 210 x 210
    out = preprocess_rgb(img, size=64, crop=210)
    assert out.shape == (3, 64, 64) and out.dtype == np.float32
    assert np.allclose(out, 1.0, atol=1e-3)
    chw = preprocess_rgb(np.moveaxis(img, -1, 0).astype(np.float32) / 255, size=32)
    assert chw.shape == (3, 32, 32)
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        preprocess_rgb(img.astype(float), size=64)
    with pytest.raises(ValueError, match='RGB image'):
        preprocess_rgb(np.zeros((64, 64)))
    with pytest.raises(ValueError, match='larger than the image'):
        preprocess_rgb(img, crop=500)


def test_kaggle_layout(tmp_path, random_fractions):
    rng = np.random.default_rng(0)
    ids = [100008, 100023, 100053]
    (tmp_path / 'images_training_rev1').mkdir()
    for i, gid in enumerate(ids):
        Image.fromarray(_blob(424, 80 * (i + 1))).save(
            tmp_path / 'images_training_rev1' / f'{gid}.jpg', quality=95)
    cum = GZ2_TREE.to_kaggle(random_fractions(3, rng))
    t = GZ2_TREE.to_table(cum, convention='kaggle')
    t.add_column(ids, name='GalaxyID', index=0)
    t.write(tmp_path / 'training_solutions_rev1.csv', format='ascii.csv')
    images, table = load_kaggle_galaxy_zoo(tmp_path)
    assert images.shape == (3, 3, 64, 64)
    assert list(table['GalaxyID']) == ids
    assert np.allclose(GZ2_TREE.from_kaggle_table(table), cum, atol=1e-12)
    # brighter blobs for later IDs: rows and images stay together
    assert images[0].max() < images[1].max() < images[2].max()
    images, table = load_kaggle_galaxy_zoo(tmp_path, limit=2)
    assert len(table) == 2 and len(images) == 2
    with pytest.raises(FileNotFoundError, match='Galaxy Challenge'):
        load_kaggle_galaxy_zoo(tmp_path / 'nowhere')


def test_seed_npz(tmp_path, random_fractions):
    rng = np.random.default_rng(1)
    cum = GZ2_TREE.to_kaggle(random_fractions(4, rng))
    np.savez(tmp_path / 'seed.npz', images=rng.uniform(0, 1, (4, 64, 64, 3)), target=cum)
    images, table = load_seed_npz(tmp_path / 'seed.npz')
    assert images.shape == (4, 3, 64, 64)
    assert list(table['row']) == [0, 1, 2, 3]
    assert table.colnames[1] == 'Class1.1'
    np.savez(tmp_path / 'bad.npz', images=np.zeros((2, 64, 64, 3)))
    with pytest.raises(KeyError, match='target'):
        load_seed_npz(tmp_path / 'bad.npz')


def test_gz2_catalogue_with_counts(tmp_path):
    rng = np.random.default_rng(2)
    counts = rng.integers(1, 30, (3, 37)).astype(float)
    t = Table(list(counts.T), names=GZ2_TREE.gz2_columns('count'))
    t['dr7objid'] = [587722981741363294, 587722981741363323, 587722981741559888]
    t['file_loc'] = [f'img_{i}.png' for i in range(3)]
    for i in range(3):
        Image.fromarray(_blob(128, 100 + 50 * i)).save(tmp_path / f'img_{i}.png')
    images, table = load_gz2_catalogue(t, root=tmp_path)
    assert images.shape == (3, 3, 64, 64)
    assert list(table['dr7objid']) == list(t['dr7objid'])
    per_q = GZ2_TREE.from_gz2_table(table, kind='fraction')
    s = GZ2_TREE.slice(5)
    assert np.allclose(per_q[0, s], counts[0, s] / counts[0, s].sum())
    assert np.all(GZ2_TREE.identity_residuals(GZ2_TREE.from_kaggle_table(table)) < 1e-12)
    with pytest.raises(KeyError, match='no image column'):
        load_gz2_catalogue(t, image_column='path')
    with pytest.raises(FileNotFoundError, match=r'img_0\.png'):
        load_gz2_catalogue(t, root=tmp_path / 'elsewhere')


def _kaggle_folder(tmp_path, cumulative, ids):
    (tmp_path / 'images_training_rev1').mkdir(exist_ok=True)
    for gid in ids:
        Image.fromarray(_blob(424, 120)).save(tmp_path / 'images_training_rev1' / f'{gid}.jpg')
    t = GZ2_TREE.to_table(cumulative, convention='kaggle')
    t.add_column(ids, name='GalaxyID', index=0)
    t.write(tmp_path / 'training_solutions_rev1.csv', format='ascii.csv', overwrite=True)
    return t


def test_kaggle_labels_that_break_the_tree_are_named(tmp_path, random_fractions):
    rng = np.random.default_rng(3)
    ids = [100008, 100023, 100053]
    cum = GZ2_TREE.to_kaggle(random_fractions(3, rng))
    doubled = cum.copy()
    doubled[1, GZ2_TREE.slice(1)] *= 0.5                   # question 1 summing to 0.5
    _kaggle_folder(tmp_path, doubled, ids)
    with pytest.raises(ValueError, match=r'do not sum to its parent answer .* 1 row\(s\): '
                                         '100023'):
        load_kaggle_galaxy_zoo(tmp_path)
    outside = cum.copy()
    outside[2, 5] = -0.5
    _kaggle_folder(tmp_path, outside, ids)
    with pytest.raises(ValueError, match=r'outside \[0, 1\] in 1 row\(s\): 100053'):
        load_kaggle_galaxy_zoo(tmp_path)
    _kaggle_folder(tmp_path, cum, [100008, 100008, 100053])
    with pytest.raises(ValueError, match=r'duplicate IDs \[.100008.\]'):
        load_kaggle_galaxy_zoo(tmp_path)


def test_kaggle_limit_and_empty_files(tmp_path, random_fractions):
    rng = np.random.default_rng(4)
    ids = [100008, 100023]
    _kaggle_folder(tmp_path, GZ2_TREE.to_kaggle(random_fractions(2, rng)), ids)
    images, table = load_kaggle_galaxy_zoo(tmp_path, limit=0)
    assert images.shape == (0, 3, 64, 64) and len(table) == 0
    with pytest.raises(ValueError, match='limit must be an integer >= 0, got -1'):
        load_kaggle_galaxy_zoo(tmp_path, limit=-1)
    header = ','.join(['GalaxyID', *GZ2_TREE.kaggle_columns])
    (tmp_path / 'training_solutions_rev1.csv').write_text(header + '\n')
    images, table = load_kaggle_galaxy_zoo(tmp_path)
    assert images.shape == (0, 3, 64, 64) and len(table) == 0


def test_kaggle_ragged_row_is_named(tmp_path, random_fractions):
    rng = np.random.default_rng(5)
    ids = [100008, 100023]
    _kaggle_folder(tmp_path, GZ2_TREE.to_kaggle(random_fractions(2, rng)), ids)
    csv = tmp_path / 'training_solutions_rev1.csv'
    lines = csv.read_text().splitlines()
    lines[2] = ','.join(lines[2].split(',')[:20])              # a short row
    csv.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=r'(missing values|short or ragged).*100023|'
                                         r'Number of header columns'):
        load_kaggle_galaxy_zoo(tmp_path)


def test_gz2_counts_and_fractions_are_checked(tmp_path):
    rng = np.random.default_rng(6)
    counts = rng.integers(1, 30, (3, 37)).astype(float)
    counts[2, 4] = -3
    t = Table(list(counts.T), names=GZ2_TREE.gz2_columns('count'))
    t['dr7objid'] = [1, 2, 3]
    t['file_loc'] = ['a.png', 'b.png', 'c.png']
    with pytest.raises(ValueError, match=r'negative vote counts in 1 row\(s\): 3'):
        load_gz2_catalogue(t, root=tmp_path)
    fractions = GZ2_TREE.counts_to_fractions(np.abs(counts))
    fractions[0, GZ2_TREE.slice(2)] = 0.8                  # answers summing to 1.6
    f = Table(list(fractions.T), names=GZ2_TREE.gz2_columns('fraction'))
    f['dr7objid'] = [1, 2, 3]
    f['file_loc'] = ['a.png', 'b.png', 'c.png']
    with pytest.raises(ValueError, match=r'do not sum to 1 .* 1 row\(s\): 1'):
        load_gz2_catalogue(f, kind='fraction', root=tmp_path)
