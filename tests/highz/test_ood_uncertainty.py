# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The out-of-distribution score and Monte Carlo dropout uncertainties (issue 14)."""

import astropy.units as u
import numpy as np
import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.highz import HighZFlag, LymanBreakCNN
from astro_galclass.highz.ood import fit_class_gaussians, mahalanobis_score
from astro_galclass.simulate import ARTIFACT_KINDS, NIRCamSimulator, inject_artifacts

SMALL = {'stem_channels': 4, 'spectral_channels': 8, 'n_spectral_blocks': 1,
         'spatial_channels': (8, 16), 'head_units': (32, 16), 'head_dropout': (0.3, 0.2)}


@pytest.fixture(scope='module')
def small():
    torch.manual_seed(5)
    net = LymanBreakCNN(**SMALL)
    net.train()
    with torch.no_grad():                      # non-trivial BatchNorm statistics
        for _ in range(3):
            net(torch.asinh(torch.randn(16, 7, 64, 64) * 5))
    return HighZClassifier(net.eval(), device='cpu', batch_size=32, name='small')


@pytest.fixture(scope='module')
def data():
    return NIRCamSimulator(seed=31).sample(240)


def test_mahalanobis_recovers_gaussian_distances():
    rng = np.random.default_rng(0)
    cov = np.array([[4.0, 1.0], [1.0, 1.0]])
    x = rng.multivariate_normal([0, 0], cov, 20000)
    means, precision = fit_class_gaussians(np.vstack([x, x + 10]),
                                           np.repeat([0, 1], len(x)), 2)
    np.testing.assert_allclose(means, [[0, 0], [10, 10]], atol=0.05)
    np.testing.assert_allclose(np.linalg.inv(precision), cov, rtol=0.05)
    # chi-square with 2 degrees of freedom: mean 2
    assert np.mean(mahalanobis_score(x, means, precision)) == pytest.approx(2.0, rel=0.05)
    with pytest.raises(ValueError, match='at least two sources'):
        fit_class_gaussians(x[:3], [0, 0, 0], 2)
    with pytest.raises(ValueError, match=r'must be \(N, D\)'):
        fit_class_gaussians(x[:, 0], np.zeros(len(x), int), 2)


def test_fit_ood_flags_about_the_requested_share(small, data, tmp_path):
    cutouts, truth = data
    clf = HighZClassifier(small.model, device='cpu', batch_size=32, name='small')
    assert clf.ood_threshold is None
    with pytest.raises(ValueError, match='no out-of-distribution statistics'):
        clf.ood_score(cutouts[:2])
    # without statistics, the column is there and masked, no flag is set
    table = clf.classify(cutouts[:4])
    assert table['highz_ood'].mask.all()
    assert not np.any(table['highz_flags'] & HighZFlag.OUT_OF_DISTRIBUTION)

    summary = clf.fit_ood(cutouts, np.asarray(truth['label']), false_flag_rate=0.05,
                          description='test sources', features='both')
    assert summary['n_fit'] + summary['n_threshold'] == len(cutouts)
    assert summary['false_flag_rate'] <= 0.06
    assert clf.ood_threshold == 1.0
    assert summary["threshold"] > 0 and summary["single_band_threshold"] > 0
    assert clf.metadata['ood']['fitted_on'] == 'test sources'
    assert clf.metadata['ood']['features'] == 'both'
    assert np.shape(clf.metadata['ood']['means']) == (3, 16 + 16)
    fresh, _ = NIRCamSimulator(seed=32).sample(120)
    table = clf.classify(fresh)
    flagged = (np.asarray(table['highz_flags']) & HighZFlag.OUT_OF_DISTRIBUTION) != 0
    np.testing.assert_allclose(np.asarray(table['highz_ood']), clf.ood_score(fresh))
    np.testing.assert_array_equal(flagged, clf.ood_score(fresh) > clf.ood_threshold)
    assert flagged.mean() < 0.25
    # a source unlike any training cutout: one band's pixels a thousand times too bright
    odd = fresh[:4].value.copy()
    odd[:, 3] *= 1000
    assert np.all(clf.ood_score(odd) > clf.ood_threshold)
    assert np.all(clf.classify(odd)['highz_flags'] & HighZFlag.OUT_OF_DISTRIBUTION)
    # flagged sources are still classified
    assert not clf.classify(odd)['p_high_z'].mask.any()
    # the statistics travel with the weights
    clf.save(tmp_path / 'ood.pt')
    again = HighZClassifier(tmp_path / 'ood.pt')
    assert again.ood_threshold == clf.ood_threshold
    np.testing.assert_allclose(again.ood_score(fresh[:8]), clf.ood_score(fresh[:8]),
                               rtol=1e-5)


def test_fit_ood_bad_input(small, data):
    cutouts, _ = data
    with pytest.raises(ValueError, match=r'false_flag_rate must be in \(0, 0.5\)'):
        small.fit_ood(cutouts, false_flag_rate=0.7)
    with pytest.raises(ValueError, match=r'labels must be one class index or class name per '
                                         r'item \(240\)'):
        small.fit_ood(cutouts, np.zeros(3, int))
    with pytest.raises(ValueError, match='labels: unknown class names'):
        small.fit_ood(cutouts, ['quasar'] * 240)
    with pytest.raises(TypeError, match='labels must be class indices'):
        small.fit_ood(cutouts, np.zeros(240))
    with pytest.raises(ValueError, match='features must be one of'):
        small.fit_ood(cutouts, features='logits')
    with pytest.raises(ValueError, match=r'groups must be one label per cutout \(240\)'):
        small.fit_ood(cutouts, groups=['direct'] * 3)
    with pytest.raises(ValueError, match=r"group 'rare' has \d+ sources in the half"):
        small.fit_ood(cutouts, groups=['common'] * 236 + ['rare'] * 4)


def test_fit_ood_takes_class_names_as_indices(small, data):
    # labels go through the shared validator: class names give what indices give
    cutouts, truth = data
    labels = np.asarray(truth['label'])
    clf = HighZClassifier(small.model, device='cpu', batch_size=32, name='small')
    by_index = clf.fit_ood(cutouts, labels, false_flag_rate=0.05)
    by_name = clf.fit_ood(cutouts, np.array(clf.classes)[labels], false_flag_rate=0.05)
    assert by_name == by_index


def test_joint_thresholds_and_confident_rate():
    from astro_galclass.highz.ood import PIXEL_BUDGET, confident_rate, joint_thresholds

    rng = np.random.default_rng(0)
    maha, single = rng.normal(size=5000), rng.normal(size=5000)
    t_m, t_s = joint_thresholds(maha, single, 0.02)
    assert np.mean(single > t_s) == pytest.approx(PIXEL_BUDGET * 0.02, abs=1e-3)
    assert np.mean((maha > t_m) | (single > t_s)) == pytest.approx(0.02, abs=1e-3)
    alone, none = joint_thresholds(maha, None, 0.02)
    assert none is None and alone == pytest.approx(np.quantile(maha, 0.98))
    assert confident_rate(100, 0.01, 0.95) is None
    assert 0 < confident_rate(1000, 0.01, 0.95) < 0.01


def test_split_for_ood_halves_and_checks_groups():
    from astro_galclass.highz.ood import split_for_ood

    split = split_for_ood(80, groups=['a', 'b'] * 40, seed=1, false_flag_rate=0.1)
    assert sorted(np.concatenate([split.fit, split.hold]).tolist()) == list(range(80))
    assert len(split.fit) == 40 and split.targets == {'a': 0.1, 'b': 0.1}
    with pytest.raises(ValueError, match=r"group 'b' has \d+ sources in the half"):
        split_for_ood(40, groups=['a'] * 36 + ['b'] * 4)


def test_fit_ood_groups_keep_every_kind_at_the_rate(small, data):
    # Two kinds of in-distribution sources, one noisier: thresholds fitted on
    # the mixture flag the noisy kind more than the rate; with groups, no
    # kind is flagged above it on the half that sets the thresholds.
    cutouts, truth = data
    noisy = cutouts.value + np.random.default_rng(3).normal(0, 0.5, cutouts.shape)
    both = np.concatenate([cutouts.value, noisy])
    labels = np.tile(np.asarray(truth['label']), 2)
    kinds = np.repeat(['clean', 'noisy'], len(cutouts))
    clf = HighZClassifier(small.model, device='cpu', batch_size=32, name='small')
    mixed = clf.fit_ood(both, labels, unit='nJy', false_flag_rate=0.05)
    assert 'false_flag_rate_by_group' not in mixed
    grouped = clf.fit_ood(both, labels, unit='nJy', false_flag_rate=0.05, groups=kinds)
    assert set(grouped['false_flag_rate_by_group']) == {'clean', 'noisy'}
    assert max(grouped['false_flag_rate_by_group'].values()) <= 0.05
    assert grouped['threshold'] >= mixed['threshold']
    assert grouped['single_band_threshold'] >= mixed['single_band_threshold']
    assert clf.metadata['ood']['threshold_groups'] == ['clean', 'noisy']


def test_fit_ood_confidence_leaves_a_margin(small, data, tmp_path):
    # The quantile of ~120 held-out sources is uncertain; with confidence,
    # the thresholds are set for the largest share whose Clopper-Pearson
    # upper bound is the rate, so they are higher.
    from scipy.stats import beta

    cutouts, truth = data
    labels = np.asarray(truth['label'])
    clf = HighZClassifier(small.model, device='cpu', batch_size=32, name='small')
    plain = clf.fit_ood(cutouts, labels, false_flag_rate=0.05)
    sure = clf.fit_ood(cutouts, labels, false_flag_rate=0.05, confidence=0.9)
    (target,) = sure['target_rate_by_group'].values()
    n = sure['n_threshold']
    k = round(target * n)
    assert 0 < target < 0.05
    assert beta.ppf(0.9, k + 1, n - k) <= 0.05 < beta.ppf(0.9, k + 2, n - k - 1)
    assert sure['false_flag_rate'] <= target + 1e-9
    assert sure['threshold'] >= plain['threshold']
    assert sure['single_band_threshold'] >= plain['single_band_threshold']
    clf.save(tmp_path / 'sure.pt')
    assert HighZClassifier(tmp_path / 'sure.pt').metadata['ood']['confidence'] == 0.9
    with pytest.raises(ValueError, match=r'confidence 0\.95 needs at least 299'):
        clf.fit_ood(cutouts, labels, false_flag_rate=0.01, confidence=0.95)
    for bad in (1.0, 0.2, True, '0.9'):
        with pytest.raises(ValueError, match=r'confidence must be None or a float in \[0.5, 1\)'):
            clf.fit_ood(cutouts, labels, confidence=bad)


def test_uncertainty_columns(small, data):
    cutouts, _ = data
    plain = small.classify(cutouts[:20])
    table = small.classify(cutouts[:20], uncertainty=True)
    for name in small.classes:
        # the probabilities are the deterministic ones, with or without the option
        np.testing.assert_array_equal(table[f'p_{name}'], plain[f'p_{name}'])
        std = np.asarray(table[f'p_{name}_std'])
        assert np.all(std >= 0) and np.any(std > 0)
    assert table.meta['astro_galclass_highz']['options']['uncertainty'] == 30
    # reproducible
    again = small.classify(cutouts[:20], uncertainty=True)
    np.testing.assert_array_equal(again['p_high_z_std'], table['p_high_z_std'])
    assert 'p_high_z_std' in small.classify(cutouts[:3], uncertainty=5).colnames
    for bad in (1, 0.5, 'yes'):
        with pytest.raises(ValueError, match='uncertainty must be True, False'):
            small.classify(cutouts[:3], uncertainty=bad)
    # the module is left in evaluation mode
    assert not any(m.training for m in small.model.modules())


def test_uncertainty_is_zero_without_dropout(tiny_model, data):
    cutouts, _ = data
    clf = HighZClassifier(tiny_model.eval(), device='cpu', name='tiny')   # dropout 0
    table = clf.classify(cutouts[:5], uncertainty=4)
    np.testing.assert_allclose(np.asarray(table['p_high_z_std']), 0.0, atol=1e-12)


def test_uncertainty_in_classify_catalog(small, toy_field):
    images, truth = toy_field
    out = small.classify_catalog(truth, images, uncertainty=True, progress=False)
    assert 'p_low_z_std' in out.colnames and 'highz_ood' in out.colnames
    unclassified = out['p_low_z'].mask
    np.testing.assert_array_equal(out['p_low_z_std'].mask, unclassified)


@pytest.mark.parametrize('kind', ARTIFACT_KINDS)
def test_artifacts_change_the_cutouts(kind, data):
    cutouts, _ = data
    base = cutouts[:6]
    before = base.copy()
    rng = np.random.default_rng(1)
    out = inject_artifacts(base, kind, rng=rng, others=cutouts[6:12])
    assert out.shape == base.shape and out.dtype == np.float32
    np.testing.assert_array_equal(base, before)           # not modified in place
    changed = np.abs(out - base.value).max(axis=(1, 2, 3))
    # the added artefacts are bright (nJy per pixel); a blend or a zero-point
    # error of a faint source changes little, but changes it
    assert np.all(changed > (0.0 if kind in ('blend', 'zero_point') else 0.5))


def test_artifacts_bad_input(data):
    cutouts, _ = data
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='kind must be one of'):
        inject_artifacts(cutouts[:2], 'meteor', rng=rng)
    with pytest.raises(ValueError, match='needs others='):
        inject_artifacts(cutouts[:2], 'blend', rng=rng)
    with pytest.raises(ValueError, match=r'cutouts must be \(N, 7, size, size\)'):
        inject_artifacts(cutouts[0], 'cosmic_ray', rng=rng)


def test_noise_cutouts_have_the_survey_depth():
    sim = NIRCamSimulator(seed=3)
    blank = sim.noise(400).value
    assert blank.shape == (400, 7, 64, 64)
    # aperture sums of blank sky scatter as the 5-sigma depth says
    yy, xx = np.mgrid[:64, :64]
    aperture = (xx - 31.5) ** 2 + (yy - 31.5) ** 2 <= (0.16 / 0.03) ** 2
    measured = blank[..., aperture].sum(axis=-1).std(axis=0)
    expected = np.array([sim.sigma_aperture[b] for b in sim.bands])
    np.testing.assert_allclose(measured, expected, rtol=0.15)


def test_single_band_score_catches_what_only_one_band_shows(small, data):
    from astro_galclass.highz.ood import band_pixel_sizes, single_band_score

    cutouts, truth = data
    clf = HighZClassifier(small.model, device='cpu', batch_size=32, name='small')
    summary = clf.fit_ood(cutouts, np.asarray(truth['label']), false_flag_rate=0.05)
    assert summary['false_flag_rate'] <= 0.06
    fresh, _ = NIRCamSimulator(seed=33).sample(40)
    rays = inject_artifacts(fresh, 'cosmic_ray', rng=np.random.default_rng(1))
    fwhm, _ = band_pixel_sizes(clf.bands, clf.metadata['pixel_scale'])
    clean = single_band_score(fresh.value, fwhm)
    hit = single_band_score(rays, fwhm)
    threshold = clf.metadata['ood']['single_band_threshold']
    assert np.mean(clean > threshold) <= 0.1
    assert np.mean(hit > threshold) >= 0.9
    flags = np.asarray(clf.classify(rays)['highz_flags'])
    assert np.mean(flags & HighZFlag.OUT_OF_DISTRIBUTION != 0) >= 0.9
    # the score is in units of its threshold: above 1 flagged
    ood = np.asarray(clf.classify(rays)['highz_ood'])
    np.testing.assert_array_equal(ood > 1, flags & HighZFlag.OUT_OF_DISTRIBUTION != 0)
    # a bright source seen in every band, scaled up, is not an artefact
    bright = fresh.value[:8] * 1000
    assert np.all(single_band_score(bright, fwhm) < threshold * 3)
    # a missing band does not make its neighbour's sources single-band
    gap = fresh.value[:8].copy()
    gap[:, 0] = np.nan
    np.testing.assert_array_less(single_band_score(gap, fwhm), threshold * 3)
    with pytest.raises(ValueError, match='one FWHM per band'):
        single_band_score(fresh.value[:2], fwhm[:3])


def test_single_band_score_skips_the_edges_of_missing_data():
    # A bright source cut by a mosaic edge (all bands) or by a chip gap in
    # one band: the zeros that stand in for the missing pixels made its
    # edge look like a feature sharper than the PSF in that band alone.
    from astro_galclass.highz.ood import single_band_score
    from astro_galclass.nircam import NIRCAM_BANDS, PSF_FWHM

    fresh, _ = NIRCamSimulator(seed=34).sample(12)
    bright = fresh.value * 300
    fwhm = [PSF_FWHM[b].to_value(u.arcsec) / 0.03 for b in NIRCAM_BANDS]
    whole = single_band_score(bright, fwhm)
    edge = bright.copy()
    edge[..., :30] = np.nan                   # the mosaic ends 1.5 pixels from the centre
    gap = bright.copy()
    gap[:, 3, :, 29:34] = np.nan              # F200W has a gap through the core
    for cut in (edge, gap):
        score = single_band_score(cut, fwhm)
        assert np.all(score < np.maximum(2 * whole, 10)), (score, whole)
    # a cosmic ray where there are data still stands out
    noise = 1.4826 * np.median(np.abs(np.diff(bright[:, 2, 50:60, 50:60], axis=-1)),
                               axis=(1, 2)) / np.sqrt(2)
    edge[:, 2, 58, 52] += 1000 * noise
    assert np.all(single_band_score(edge, fwhm) > 100)


def test_single_band_score_knows_resampled_detector_pixels():
    # A very red point source (F444W 300 times brighter than F356W, like the
    # brightest brown dwarfs) on the 0.063"/pix long-wave detector pixels,
    # cut out onto the 0.03" grid: the bilinear interpolation leaves
    # ridges sharper than the PSF drawn on that grid. Judged against the
    # PSF on the grid it looked like a single-band artefact of hundreds of
    # noise units; against the detector pixels it does not.
    from astropy.coordinates import SkyCoord
    from astropy.nddata import NDData
    from astropy.wcs import WCS
    from scipy.special import erf

    from astro_galclass.highz import extract_cutouts
    from astro_galclass.highz.ood import _psf_sharpness, single_band_score, single_band_scores
    from astro_galclass.nircam import NATIVE_PIXEL_SCALE, NIRCAM_BANDS, PSF_FWHM

    assert _psf_sharpness(4.83, 2.1) > 1.3 * _psf_sharpness(4.83)
    assert _psf_sharpness(1.1, 1.0) == _psf_sharpness(1.1)
    centre = SkyCoord(150.1, 2.2, unit='deg')
    rng = np.random.default_rng(4)
    images = {}
    for band in NIRCAM_BANDS:
        scale = NATIVE_PIXEL_SCALE[band].to_value(u.deg / u.pix)
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ['RA---TAN', 'DEC--TAN']
        wcs.wcs.crval = [centre.ra.deg, centre.dec.deg]
        wcs.wcs.crpix = [60.3, 60.7]             # the source off the pixel centres
        wcs.wcs.cdelt = [-scale, scale]
        sigma = PSF_FWHM[band].to_value(u.deg) / scale / 2.3548
        edges = np.arange(121) + 0.5 - 60.3
        gx = np.diff(erf(edges / (np.sqrt(2) * sigma)))
        edges = np.arange(121) + 0.5 - 60.7
        gy = np.diff(erf(edges / (np.sqrt(2) * sigma)))
        flux = 3e5 if band == 'F444W' else 1e3
        image = flux * np.outer(gy, gx) / 4 + rng.normal(0, 0.02, (120, 120))
        images[band] = NDData(image, wcs=wcs, unit=u.nJy)
    cutouts, _ = extract_cutouts(images, SkyCoord([centre]), bands=NIRCAM_BANDS,
                                 progress=False)
    fwhm = [PSF_FWHM[b].to_value(u.arcsec) / 0.03 for b in NIRCAM_BANDS]
    native = [NATIVE_PIXEL_SCALE[b].to_value(u.arcsec / u.pix) / 0.03 for b in NIRCAM_BANDS]
    grid_only = single_band_score(cutouts.value, fwhm)
    resampled = single_band_score(cutouts.value, fwhm, native)
    assert grid_only[0] > 100 and resampled[0] < 10
    # the pretrained classifier judges its cutouts against the detector pixels
    clf = HighZClassifier.pretrained(device='cpu')
    scores = single_band_scores(cutouts.value, clf.bands, clf.metadata['pixel_scale'])
    assert scores[0] == pytest.approx(resampled[0])
    # a cosmic ray on the same cutout still stands out
    hit = cutouts.value.copy()
    hit[0, 6, 20, 20] += 50.0
    assert single_band_score(hit, fwhm, native)[0] > 100
    with pytest.raises(ValueError, match='native_pixels must be one positive size per band'):
        single_band_score(cutouts.value, fwhm, native[:3])


def test_shipped_flag_spares_sources_cut_out_of_mosaics():
    # The shipped statistics are fitted on directly drawn cutouts and on
    # cutouts cut out of simulated mosaics. Fitted on direct cutouts alone,
    # the flag fired on 98% of the sources classify_catalog cut out
    # of a simulated field (their noise texture and resampling differ).
    from astropy.table import QTable

    clf = HighZClassifier.pretrained(device='cpu')
    images, truth = NIRCamSimulator(seed=3, population='sky').make_field(n_sources=200,
                                                                          shape=(900, 900))
    result = clf.classify_catalog(QTable({'sky_centroid': truth['sky_centroid']}), images)
    classified = ~np.ma.getmaskarray(result['p_high_z'])
    flags = np.asarray(result['highz_flags'])[classified]
    assert classified.sum() > 100
    assert np.mean(flags & HighZFlag.OUT_OF_DISTRIBUTION != 0) < 0.15
