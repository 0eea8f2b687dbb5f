# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Issue 18: every defect of the report has a regression test named after it.

`DEFECTS` maps each defect of the report to its test, most of them next to
the code they test; the ones without a natural home are below.
`test_every_defect_has_its_regression_test` keeps the map honest: a test
renamed or removed fails it.
"""

import ast
import json
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.nddata import NDData

from astro_galclass import HighZClassifier
from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz import HighZFlag

TESTS = Path(__file__).parent
HERE = 'test_regressions_issue18.py'

#: Defect of the report -> (test file, test name).
DEFECTS = {
    # 1. unexposed pixels stored as 0
    'unexposed zero cores became fake dropouts':
        ('highz/test_bad_input.py', 'test_unexposed_zero_cores_are_missing_not_dropouts'),
    'an unexposed zero region of a mosaic was classified':
        ('highz/test_bad_input.py', 'test_unexposed_zero_region_of_a_mosaic'),
    'WHT/ERR/VAR/CONTEXT maps and NDData uncertainties were never read':
        ('highz/test_bad_input.py', 'test_coverage_maps_mark_unexposed_pixels'),
    'coverage maps read window by window say what the merged mask says':
        ('utils/test_images.py', 'test_lazy_coverage_reads_what_the_eager_mask_says'),
    # 2. units and flux scale
    'AB magnitudes (Quantity or NDData unit) were multiplied by 1.4e12':
        ('highz/test_bad_input.py', 'test_magnitudes_are_refused'),
    'unitless Jy was read as nJy without a word':
        ('highz/test_bad_input.py', 'test_unitless_data_in_another_unit_warn'),
    'values x1e30 were classified confidently with flags 0':
        ('highz/test_bad_input.py', 'test_implausible_fluxes_are_flagged_not_classified'),
    'all-zero cutouts or bands were classified with flags 0':
        (HERE, 'test_all_zero_cutouts_and_bands_are_flagged'),
    'data in MJy/sr labelled MJy was accepted':
        (HERE, 'test_mjy_per_sr_labelled_mjy_is_flagged_with_a_unit_hint'),
    # 3. weights integrity
    'pretrained() never compared the file with its SHA-256':
        ('utils/test_weights_integrity.py', 'test_a_shipped_file_that_differs_is_refused'),
    'two flipped bytes in a tensor loaded silently':
        ('utils/test_weights_integrity.py', 'test_flipped_bytes_in_a_tensor_are_refused'),
    'a re-saved altered tensor or metadata loaded silently':
        ('utils/test_weights_integrity.py', 'test_altered_metadata_is_refused'),
    'temperature -1, 0 or NaN and a negative pixel scale were accepted':
        ('utils/test_weights_integrity.py', 'test_metadata_out_of_range_is_refused'),
    'an unknown architecture keyword gave a raw TypeError':
        ('classifier_contract.py', 'test_unknown_architecture_keyword_is_refused'),
    'a huge architecture tried to allocate 60 GB':
        ('utils/test_weights_integrity.py',
         'test_a_huge_architecture_is_refused_before_allocation'),
    'a semi-supervised file with n_estimators=1e7 hung load()':
        (HERE, 'test_semisupervised_file_with_huge_n_estimators_is_refused'),
    'a semi-supervised file with unknown or unreadable hyperparameters gave a TypeError':
        (HERE, 'test_semisupervised_file_with_foreign_hyperparameters_is_refused'),
    # 4. the command line
    'an unwritable --output was found only after the run':
        ('cli/test_cli_fail_fast.py', 'test_unwritable_output_is_found_before_any_work'),
    '--n-test 0 printed NaN, said NOT met and exited 0':
        ('cli/test_cli_fail_fast.py', 'test_impossible_numbers_are_argparse_errors'),
    'bad arguments ended in full tracebacks':
        ('cli/test_cli_fail_fast.py', 'test_expected_failures_print_one_line'),
    # 5. morphology inputs and Galaxy Zoo labels
    'fractions summing to 2 or outside [0, 1] were accepted':
        ('morphology/test_datasets.py', 'test_kaggle_labels_that_break_the_tree_are_named'),
    'negative counts and duplicate IDs were accepted':
        ('morphology/test_datasets.py', 'test_gz2_counts_and_fractions_are_checked'),
    'ragged rows were silently masked':
        ('morphology/test_datasets.py', 'test_kaggle_ragged_row_is_named'),
    'limit=-1 dropped a row; a header-only file or limit=0 crashed':
        ('morphology/test_datasets.py', 'test_kaggle_limit_and_empty_files'),
    '16-bit PNGs saturated':
        ('morphology/test_morphology_classifier.py',
         'test_sixteen_bit_png_is_scaled_not_saturated'),
    'three bands with different WCS or shapes were silently misaligned':
        ('morphology/test_morphology_classifier.py', 'test_misaligned_bands_are_refused'),
    'crop=0 classified a blank image':
        ('morphology/test_morphology_classifier.py', 'test_crop_is_validated'),
    'NaN pixels masked the whole row with morph_flags = 0':
        ('morphology/test_morphology_classifier.py',
         'test_nan_pixels_are_filled_and_flagged_not_masked'),
    # also
    'embed zero-filled an all-NaN band without saying so':
        ('highz/test_bad_input.py', 'test_embed_warns_about_zero_filled_sources'),
    'rows whose values overflow were masked with highz_flags = 0':
        (HERE, 'test_overflowing_values_are_flagged_not_silently_masked'),
    'positions on the far side of the sky got BAD_PIXELS|BAND_MISSING':
        ('highz/test_bad_input.py', 'test_position_on_the_far_side_of_the_sky_is_off_image'),
    'batch_size=1 and 64 differed by 4.8e-7 where the docs claimed 1e-9':
        (HERE, 'test_batch_sizes_agree_within_the_documented_tolerance'),
    'predict before fit on SemiSupervisedClassifier gave an AttributeError':
        (HERE, 'test_semisupervised_predict_before_fit_is_a_clear_error'),
    'a truncated semi-supervised file gave a raw BadZipFile':
        ('semisupervised/test_safe.py', 'test_truncated_model_file_is_a_clear_error'),
    'the semi-supervised pipeline lost to a forest on the labelled rows':
        ('semisupervised/test_safe.py',
         'test_misleading_unlabelled_data_fall_back_to_the_forest'),
}


def _test_names(path):
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith('test_')}


def test_every_defect_has_its_regression_test():
    names = {}
    for defect, (file, test) in DEFECTS.items():
        if file not in names:
            names[file] = _test_names(TESTS / file)
        assert test in names[file], f'{defect!r}: no {test} in tests/{file}'


@pytest.fixture(scope='module')
def shipped():
    return HighZClassifier.pretrained(device='cpu')


def _sources(n, seed=0):
    cutouts = np.random.default_rng(seed).normal(0.0, 0.05, (n, 7, 64, 64))
    cutouts[:, :, 30:34, 30:34] += 5.0
    return cutouts


def test_all_zero_cutouts_and_bands_are_flagged(shipped):
    cutouts = _sources(3)
    cutouts[0] = 0.0                    # nothing but zeros
    cutouts[1, 3] = 0.0                 # one band of zeros: no exposure there
    with pytest.warns(AstroGalclassUserWarning, match="core is exact zeros.*'F200W'"):
        table = shipped.classify(cutouts)
    flags = np.asarray(table['highz_flags'])
    assert flags[0] & HighZFlag.ZERO_CORE and flags[1] & HighZFlag.ZERO_CORE
    assert table['p_high_z'].mask[0] and table['p_high_z'].mask[1]
    assert not flags[2] & HighZFlag.ZERO_CORE and not table['p_high_z'].mask[2]


def test_mjy_per_sr_labelled_mjy_is_flagged_with_a_unit_hint(shipped, toy_field):
    images, truth = toy_field
    assert all(im.unit == u.MJy / u.sr for im in images.values())
    mislabelled = {band: NDData(im.data, wcs=im.wcs, unit=u.MJy)
                   for band, im in images.items()}
    with pytest.warns(AstroGalclassUserWarning, match="check the images' units"):
        table = shipped.classify_catalog(truth, mislabelled, progress=False)
    assert np.all(np.asarray(table['highz_flags']) & HighZFlag.IMPLAUSIBLE_FLUX)
    assert np.all(table['p_high_z'].mask)
    with warnings.catch_warnings():
        # correctly labelled, the same field is classified
        warnings.simplefilter('ignore', AstroGalclassUserWarning)
        good = shipped.classify_catalog(truth, images, progress=False)
    assert not np.any(np.asarray(good['highz_flags']) & HighZFlag.IMPLAUSIBLE_FLUX)


def test_overflowing_values_are_flagged_not_silently_masked(shipped):
    cutouts = _sources(2).astype(np.float32)
    with np.errstate(over='ignore'):
        cutouts[0] *= np.float32(1e38) * np.float32(10)          # inf in float32
    table = shipped.classify(cutouts)
    flags = np.asarray(table['highz_flags'])
    assert table['p_high_z'].mask[0] and flags[0] != 0
    assert not table['p_high_z'].mask[1]
    # every masked row says why
    assert np.all(flags[np.asarray(table['p_high_z'].mask)] != 0)


def test_batch_sizes_agree_within_the_documented_tolerance():
    # docs/highz/index.rst: "different batch sizes agree to within 2e-6"
    from astro_galclass.simulate import NIRCamSimulator

    cutouts, _ = NIRCamSimulator(seed=5).sample(40)
    reference = HighZClassifier.pretrained(device='cpu', batch_size=64).predict_proba(cutouts)
    for batch_size in (1, 7):
        other = HighZClassifier.pretrained(device='cpu', batch_size=batch_size)
        np.testing.assert_allclose(other.predict_proba(cutouts), reference, rtol=0, atol=2e-6)
    text = (TESTS.parent / 'docs' / 'highz' / 'index.rst').read_text()
    assert 'agree to within 2e-6' in ' '.join(text.split())


def _semisupervised_file(tmp_path, **changes):
    """A saved model whose stored hyperparameters are changed, checksum recomputed."""
    from astro_galclass.semisupervised import SemiSupervisedClassifier

    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 3))
    X[:30] += 3
    y = np.r_[np.zeros(5, int), np.ones(5, int), np.full(50, -1)]
    y[30:35] = 1
    model = SemiSupervisedClassifier(n_estimators=5, min_cluster_size=5)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        model.fit(X, y)
    path = tmp_path / 'model.npz'
    model.save(path)
    with np.load(path) as data:
        fields = {k: data[k] for k in data.files}
    params = json.loads(str(fields['params']))
    params.update(changes)
    forged = SemiSupervisedClassifier.__new__(SemiSupervisedClassifier)
    forged.X_train_, forged.y_train_ = fields['X'], fields['y']
    forged.get_params = lambda deep=True: params
    fields['params'] = np.array(json.dumps(params, sort_keys=True))
    fields['checksum'] = np.array(SemiSupervisedClassifier._payload(forged)[1])
    np.savez(path, **fields)
    return path


def test_semisupervised_file_with_huge_n_estimators_is_refused(tmp_path):
    from astro_galclass.semisupervised import SemiSupervisedClassifier

    path = _semisupervised_file(tmp_path, n_estimators=10_000_000)
    with pytest.raises(ValueError, match=r'n_estimators must be an integer in \[1, 5000\]'):
        SemiSupervisedClassifier.load(path)


def test_semisupervised_file_with_foreign_hyperparameters_is_refused(tmp_path):
    from astro_galclass.semisupervised import SemiSupervisedClassifier

    path = _semisupervised_file(tmp_path, bogus=1)
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['bogus'\]"):
        SemiSupervisedClassifier.load(path)
    with np.load(path) as data:
        fields = {k: data[k] for k in data.files}
    fields['params'] = np.array('[1, 2]')
    np.savez(path, **fields)
    with pytest.raises(ValueError, match='unreadable hyperparameters'):
        SemiSupervisedClassifier.load(path)
    del fields['X']
    np.savez(path, **fields)
    with pytest.raises(ValueError, match=r"lacks \['X'\]"):
        SemiSupervisedClassifier.load(path)


def test_semisupervised_predict_before_fit_is_a_clear_error():
    from sklearn.exceptions import NotFittedError

    from astro_galclass.semisupervised import SemiSupervisedClassifier

    model = SemiSupervisedClassifier()
    for method in (model.predict, model.predict_proba):
        with pytest.raises(NotFittedError, match='not fitted yet'):
            method(np.zeros((2, 3)))
