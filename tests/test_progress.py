# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Progress bars change nothing but stderr, and only on a terminal."""

import numpy as np
import pytest

from astro_galclass.highz import extract_cutouts
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.utils._progress import progress_bar


def test_simulator_draws_do_not_depend_on_the_bar(capsys):
    a, ta = NIRCamSimulator(seed=4).sample(20, progress=True)
    b, tb = NIRCamSimulator(seed=4).sample(20, progress=False)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ta['redshift'], tb['redshift'])
    assert capsys.readouterr().err == ''          # stderr is not a terminal here


def test_extract_cutouts_and_predict_proba_with_progress(classifier, toy_field, capsys):
    images, truth = toy_field
    shown, flags = extract_cutouts(images, truth['sky_centroid'], bands=list(images),
                                   progress=True)
    quiet, flags2 = extract_cutouts(images, truth['sky_centroid'], bands=list(images),
                                    progress=False)
    np.testing.assert_array_equal(shown, quiet)
    np.testing.assert_array_equal(flags, flags2)
    cut = np.nan_to_num(quiet.value)
    np.testing.assert_array_equal(classifier.predict_proba(cut, progress=True),
                                  classifier.predict_proba(cut))
    assert capsys.readouterr().err == ''


def test_switched_off_bar_writes_nothing():
    import io

    stream = io.StringIO()
    with progress_bar(total=3, progress=False, file=stream) as bar:
        bar.update(3)
    assert stream.getvalue() == ''
    with pytest.raises(TypeError, match='progress must be True or False'):
        progress_bar(total=3, progress=None)


def test_morphology_draws_do_not_depend_on_the_bar(capsys):
    from astro_galclass.simulate import MorphologySimulator

    a, _ = MorphologySimulator(seed=5).sample(4, progress=True)
    b, _ = MorphologySimulator(seed=5).sample(4, progress=False)
    np.testing.assert_array_equal(a, b)
    assert capsys.readouterr().err == ''
