# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Weights integrity (issue 18): checksums, the shipped files' SHA-256, metadata schema."""

import pytest
import torch

from astro_galclass import HighZClassifier
from astro_galclass.morphology import MorphologyClassifier
from astro_galclass.utils import _weights
from astro_galclass.utils._weights import (
    SHIPPED_SHA256,
    file_sha256,
    payload_checksum,
    shipped_weights_path,
)


def _resave(path, change):
    """Load a weights file's payload, apply ``change``, save it with a valid checksum."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    payload['checksum'] = payload_checksum(payload['state_dict'], payload['metadata'])
    torch.save(payload, path)


def test_flipped_bytes_in_a_tensor_are_refused(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    payload = torch.load(path, weights_only=True)
    name = next(iter(payload['state_dict']))
    payload['state_dict'][name].view(-1)[0] += 1e-3              # silent damage
    torch.save(payload, path)
    with pytest.raises(ValueError, match='damaged or was altered'):
        HighZClassifier(path)


def test_altered_metadata_is_refused(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    payload = torch.load(path, weights_only=True)
    payload['metadata']['temperature'] = 0.5
    torch.save(payload, path)
    with pytest.raises(ValueError, match='damaged or was altered'):
        HighZClassifier(path)


@pytest.mark.parametrize(('key', 'value', 'match'), [
    ('temperature', -1.0, 'temperature must be a finite positive number'),
    ('temperature', 0.0, 'temperature must be a finite positive number'),
    ('temperature', float('nan'), 'temperature must be a finite positive number'),
    ('pixel_scale', -0.03, r'pixel_scale must be a number of arcsec per pixel in \(0, 10\)'),
    ('cutout_size', 63, 'cutout_size must be an int multiple of 8'),
    ('training_priors', {'low_z': -1, 'high_z': 1, 'brown_dwarf': 1}, 'priors'),
])
def test_metadata_out_of_range_is_refused(classifier, tmp_path, key, value, match):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    _resave(path, lambda payload: payload['metadata'].__setitem__(key, value))
    with pytest.raises(ValueError, match='has invalid metadata') as info:
        HighZClassifier(path)
    assert info.match(match)


def test_bad_ood_statistics_are_refused(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    _resave(path, lambda payload: payload['metadata'].__setitem__(
        'ood', {'means': [[0.0, 1.0]], 'precision': [[1.0]], 'threshold': 1.0}))
    with pytest.raises(ValueError, match='ood statistics must hold finite means'):
        HighZClassifier(path)


def test_a_huge_architecture_is_refused_before_allocation(classifier, tmp_path):
    path = tmp_path / 'model.pt'
    classifier.save(path)
    _resave(path, lambda payload: payload['metadata']['architecture_kwargs'].__setitem__(
        'head_units', [200_000, 200_000]))
    with pytest.raises(ValueError, match='parameters, more than any model'):
        HighZClassifier(path)


def test_format_version_1_files_without_checksum_still_load(classifier, tmp_path):
    path = tmp_path / 'old.pt'
    classifier.save(path)
    payload = torch.load(path, weights_only=True)
    payload['format_version'] = 1
    del payload['checksum']
    torch.save(payload, path)
    old = HighZClassifier(path)
    assert old.weights_sha256 == classifier.weights_sha256


@pytest.mark.parametrize('filename', sorted(SHIPPED_SHA256))
def test_shipped_files_match_their_recorded_sha256(filename):
    assert SHIPPED_SHA256[filename] == file_sha256(shipped_weights_path(filename))


def test_a_shipped_file_that_differs_is_refused(monkeypatch):
    monkeypatch.setitem(_weights.SHIPPED_SHA256, 'morphology_default.pt', '0' * 64)
    with pytest.raises(ValueError, match='not the file this version of astro_galclass'):
        MorphologyClassifier.pretrained(device='cpu')
    monkeypatch.setitem(_weights.SHIPPED_SHA256, 'highz_default.pt', 'f' * 64)
    with pytest.raises(ValueError, match='reinstall the package'):
        HighZClassifier.pretrained(device='cpu')
