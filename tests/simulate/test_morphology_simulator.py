# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest

from astro_galclass.morphology import GZ2_TREE
from astro_galclass.simulate import MorphologySimulator


@pytest.fixture(scope='module')
def sample():
    return MorphologySimulator(seed=3).sample(150)


def test_images_and_labels(sample):
    images, truth = sample
    assert images.shape == (150, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    cum = GZ2_TREE.from_kaggle_table(truth)
    assert GZ2_TREE.identity_residuals(cum).max() < 1e-12
    # fractions are vote counts over the volunteers who reached the question
    counts = np.stack([truth[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    s = GZ2_TREE.slice(1)
    assert np.all(counts[:, s].sum(axis=1) >= 10)
    assert np.allclose(np.asarray(truth['Class1.1']),
                       counts[:, 0] / counts[:, s].sum(axis=1))
    # the number reaching question 2 is the number answering "features"
    assert np.array_equal(counts[:, GZ2_TREE.slice(2)].sum(axis=1), counts[:, 1])


def test_labels_follow_the_latent_truth(sample):
    _, truth = sample
    kind = np.asarray(truth['kind'])
    smooth = np.asarray(truth['Class1.1'])
    star = np.asarray(truth['Class1.3'])
    assert smooth[kind == 'elliptical'].mean() > 0.7
    assert smooth[kind == 'disk'].mean() < smooth[kind == 'elliptical'].mean() - 0.3
    assert star[np.isin(kind, ['star', 'artifact'])].mean() > 0.6
    edge = np.asarray(truth['expected_Class2.1']) / np.maximum(
        np.asarray(truth['expected_Class1.2']), 1e-9)
    disk = kind == 'disk'
    inc = np.asarray(truth['inclination'])
    assert edge[disk & (inc > 80)].mean() > 0.7 > edge[disk & (inc < 50)].mean()


def test_votes_are_noisy_but_unbiased():
    sim = MorphologySimulator(seed=4, voters=40)
    truth = sim.draw(2000)
    p = sim.answer_probabilities(truth)
    counts = sim.vote(p)
    frac = counts[:, :3] / counts[:, :3].sum(axis=1, keepdims=True)
    assert np.abs(frac - p[:, :3]).mean() < 0.07
    assert np.abs((frac - p[:, :3]).mean(axis=0)).max() < 0.01


def test_seed_reproducible_and_bad_input():
    a, ta = MorphologySimulator(seed=5).sample(3)
    b, tb = MorphologySimulator(seed=5).sample(3)
    assert np.array_equal(a, b) and list(ta['kind']) == list(tb['kind'])
    with pytest.raises(ValueError, match='kinds must map'):
        MorphologySimulator(kinds={'spiral': 1.0})
    with pytest.raises(ValueError, match='non-negative int'):
        MorphologySimulator().sample(-1)


def test_parallel_sample_does_not_depend_on_the_number_of_workers():
    sim = MorphologySimulator(seed=6)
    sim.PARALLEL_CHUNK = 7          # several chunks from a small sample
    a, ta = sim.sample(20, workers=1)
    sim = MorphologySimulator(seed=6)
    sim.PARALLEL_CHUNK = 7
    b, tb = sim.sample(20, workers=3)
    assert a.shape == (20, 3, 64, 64) and len(ta) == 20
    assert np.array_equal(a, b)
    assert np.array_equal(np.asarray(ta['Class1.1']), np.asarray(tb['Class1.1']))
    # the chunks are independent draws, not copies of one another
    assert not np.array_equal(a[:7], a[7:14])
    with pytest.raises(ValueError, match='workers must be a non-negative int'):
        MorphologySimulator().sample(3, workers=-2)


# -- realism='photograph' (issue 15, part 1) ------------------------------------------

@pytest.fixture(scope='module')
def photographs():
    return MorphologySimulator(seed=41).sample(300)


def test_photographs_are_8_bit_and_varied(photographs):
    images, truth = photographs
    assert images.shape == (300, 3, 64, 64) and images.dtype == np.float32
    # 8-bit quantised (and JPEG-compressed for most): multiples of 1/255
    np.testing.assert_allclose(images * 255, np.rint(images * 255), atol=1e-4)
    mono = np.asarray(truth['monochrome'])
    assert 0.07 < mono.mean() < 0.25
    assert np.all(images[mono, 0] == images[mono, 2])
    assert not np.all(images[~mono, 0] == images[~mono, 2])
    assert set(truth['stretch']) == {'asinh', 'log', 'linear'}
    assert 0.45 < np.mean(np.asarray(truth['jpeg_quality']) > 0) < 0.75


def test_photograph_fields_follow_star_and_galaxy_counts(photographs):
    from astro_galclass.simulate import _scene

    _, truth = photographs
    area = (np.asarray(truth['frame_arcsec']) / 60) ** 2
    # stars per arcmin^2 to r = 22 at high latitude: 0.3-3 (Bahcall & Soneira 1980)
    stars = np.sum(truth['n_stars']) / area.sum()
    assert _scene.STAR_DENSITY[0] < stars < _scene.STAR_DENSITY[1]
    galaxies = np.sum(truth['n_galaxies']) / area.sum()
    assert _scene.GALAXY_DENSITY[0] < galaxies < _scene.GALAXY_DENSITY[1]
    # GZ2 galaxies have r < 17.7; most frames are GZ2-like, some far wider or tighter
    assert truth['mag_r'].max() < 17.7
    frame = np.asarray(truth['frame_r90'])
    assert 0.5 < np.mean(np.abs(np.log10(frame / 4.2)) < 0.2) < 0.9
    assert frame.min() < 2.5 and frame.max() > 10


def test_photograph_populations_follow_published_distributions():
    truth = MorphologySimulator(seed=42).draw(4000)
    disk = np.asarray(truth['kind']) == 'disk'
    # strong bars in about 30% of disks (Masters et al. 2011: 29.4%)
    assert np.mean(np.asarray(truth['bar'])[disk]) == pytest.approx(0.30, abs=0.04)
    # pitch angles about 18 +- 7 degrees (Hart et al. 2017)
    assert np.median(np.asarray(truth['pitch'])[disk]) == pytest.approx(18, abs=1.5)
    ell = np.asarray(truth['kind']) == 'elliptical'
    assert np.median(np.asarray(truth['sersic_n'])[ell]) == pytest.approx(4.0, abs=0.2)


def test_photograph_colours_are_sdss_colours():
    from astro_galclass.simulate.morphology_simulator import _SDSS_COLOURS

    g, r, i = _SDSS_COLOURS['old']
    # the red sequence: g - r 0.77, r - i 0.40 (Strateva et al. 2001)
    assert -2.5 * np.log10(g / r) == pytest.approx(0.77)
    assert -2.5 * np.log10(r / i) == pytest.approx(0.40)


def test_photograph_volunteers_still_follow_the_tree(photographs):
    _, truth = photographs
    cum = GZ2_TREE.from_kaggle_table(truth)
    assert GZ2_TREE.identity_residuals(cum).max() < 1e-12
    kind = np.asarray(truth['kind'])
    star = np.asarray(truth['Class1.3'])
    assert star[np.isin(kind, ['star', 'artifact'])].mean() > 0.6
    # field stars are not what the volunteers are asked about
    galaxies = ~np.isin(kind, ['star', 'artifact'])
    with_stars = galaxies & (np.asarray(truth['n_stars']) > 0)
    assert star[with_stars].mean() < 0.05
    # a close companion draws merger votes
    merger = np.asarray(truth['expected_Class8.6'])
    comp = np.asarray(truth['companion'])
    assert merger[comp & galaxies].mean() > merger[~comp & galaxies & (kind != 'merger')].mean()


def test_framing_and_realism_options():
    truth = MorphologySimulator(seed=43, framing=8.0).draw(20)
    assert np.allclose(truth['frame_r90'], 8.0)
    assert np.allclose(truth['r90'], 64 / 8.0)
    with pytest.raises(ValueError, match='realism must be one of'):
        MorphologySimulator(realism='jpeg')
    with pytest.raises(ValueError, match='framing must be'):
        MorphologySimulator(realism='clean', framing=4.0)
    with pytest.raises(ValueError, match='framing must be'):
        MorphologySimulator(framing=(5.0, 2.0))
    settings = MorphologySimulator(seed=1).settings()
    assert settings['realism'] == 'photograph'
