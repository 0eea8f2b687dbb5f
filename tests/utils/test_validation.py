# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The one label check every entry point uses."""

import numpy as np
import pytest

from astro_galclass.utils._validation import check_class_labels

CLASSES = ('low_z', 'high_z', 'brown_dwarf')


def test_indices_and_names_agree():
    by_index = check_class_labels([0, 2, 1], CLASSES, 3)
    by_name = check_class_labels(['low_z', 'brown_dwarf', 'high_z'], CLASSES, 3)
    assert by_index.dtype == np.int64
    np.testing.assert_array_equal(by_index, [0, 2, 1])
    np.testing.assert_array_equal(by_name, by_index)
    np.testing.assert_array_equal(check_class_labels(np.array([1], np.uint8), CLASSES, 1), [1])
    assert check_class_labels(np.zeros(0, int), CLASSES, 0).shape == (0,)


def test_bad_labels_say_what_was_expected():
    with pytest.raises(ValueError, match=r'one class index or class name per item \(3\)'):
        check_class_labels([0, 1], CLASSES, 3)
    with pytest.raises(ValueError, match="unknown class names \\['quasar'\\]"):
        check_class_labels(['low_z', 'quasar'], CLASSES, 2)
    with pytest.raises(TypeError, match='got dtype float64'):
        check_class_labels([0.0, 1.0], CLASSES, 2)
    with pytest.raises(TypeError, match='got dtype bool'):
        check_class_labels([True, False], CLASSES, 2)
    with pytest.raises(ValueError, match=r'in \[0, 2\].*from -1 to 3'):
        check_class_labels([-1, 3], CLASSES, 2)
    with pytest.raises(ValueError, match='targets must'):
        check_class_labels([[0]], CLASSES, 1, name='targets')
