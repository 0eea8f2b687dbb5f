# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The contract every Astropy-facing classifier keeps.

Both classifiers stand on one base (``astro_galclass.utils._classifier``);
this class runs the same safety and integrity tests on each, as regions'
shapes inherit ``BaseTestRegion``. A test module subclasses it as
``TestXxxContract`` and provides the fixtures and hooks listed below.
"""

import pickle

import astropy.units as u
import numpy as np
import pytest
import torch
from astropy.coordinates import SkyCoord
from astropy.table import QTable

from astro_galclass.utils._weights import WEIGHTS_FORMAT, payload_checksum


class _Exploit:
    def __reduce__(self):
        return (print, ('code ran while loading',))


class ClassifierContract:
    """
    Shared tests. Subclasses define:

    - ``classifier_class``: the classifier;
    - fixture ``contract_classifier``: a CPU instance around an untrained network;
    - fixture ``contract_inputs``: inputs of a few sources for `outputs`;
    - fixture ``contract_field``: ``(catalog, images)``, the catalog a QTable
      with ``id`` and ``sky_centroid`` columns whose sources lie on the images;
    - ``outputs(clf, inputs)``: the network outputs as an array;
    - ``classify_catalog(clf, catalog, images, **kwargs)``;
    - ``flag_column`` and ``off_image_flag``.
    """

    classifier_class = None
    flag_column = None
    off_image_flag = None

    def outputs(self, clf, inputs):
        raise NotImplementedError

    def classify_catalog(self, clf, catalog, images, **kwargs):
        raise NotImplementedError

    @pytest.fixture
    def saved(self, contract_classifier, tmp_path):
        path = tmp_path / 'model.pt'
        contract_classifier.save(path)
        return path

    def _resave(self, path, edit, *, checksum=True):
        """Edit a saved payload; recompute its checksum to reach the checks behind it."""
        payload = torch.load(path, weights_only=True)
        edit(payload)
        if checksum:
            payload['checksum'] = payload_checksum(payload['state_dict'], payload['metadata'])
        torch.save(payload, path)
        return path

    def test_edited_file_fails_its_checksum(self, saved):
        self._resave(saved, lambda p: p['metadata'].update(name='edited'), checksum=False)
        with pytest.raises(ValueError, match='damaged or was altered'):
            self.classifier_class(saved)

    # -- weights files ---------------------------------------------------------------

    def test_save_round_trip_is_bit_identical(self, contract_classifier, contract_inputs,
                                              saved):
        loaded = self.classifier_class(saved, device='cpu',
                                       batch_size=contract_classifier.batch_size)
        assert loaded.weights_sha256 == contract_classifier.weights_sha256
        assert loaded.name == contract_classifier.name
        meta = dict(loaded.metadata)
        assert meta.pop('package_version')
        assert meta == contract_classifier.metadata
        np.testing.assert_array_equal(self.outputs(loaded, contract_inputs),
                                      self.outputs(contract_classifier, contract_inputs))

    def test_saved_file_holds_its_metadata(self, saved):
        payload = torch.load(saved, weights_only=True)
        assert payload['format'] == WEIGHTS_FORMAT
        for key in (*self.classifier_class.required_metadata, 'package_version'):
            assert key in payload['metadata']

    def test_save_overwrites_an_existing_file(self, contract_classifier, saved):
        contract_classifier.save(saved)
        assert self.classifier_class(saved).weights_sha256 == \
            contract_classifier.weights_sha256

    def test_non_weights_files_are_refused(self, tmp_path):
        text = tmp_path / 'notes.txt'
        text.write_text('hello')
        with pytest.raises(ValueError, match='is not an astro_galclass weights file'):
            self.classifier_class(text)
        plain = tmp_path / 'plain.pt'
        torch.save({'weight': torch.zeros(3)}, plain)
        with pytest.raises(ValueError, match="expected a dict with "
                                             "format='astro_galclass-weights'"):
            self.classifier_class(plain)
        with pytest.raises(FileNotFoundError):
            self.classifier_class(tmp_path / 'no_such_file.pt')

    def test_pickled_objects_are_refused(self, tmp_path, capsys):
        path = tmp_path / 'evil.pt'
        torch.save({'format': WEIGHTS_FORMAT, 'payload': _Exploit()}, path)
        with pytest.raises(ValueError, match='was refused'):
            self.classifier_class(path)
        raw = tmp_path / 'raw.pkl'
        raw.write_bytes(pickle.dumps(_Exploit()))
        with pytest.raises(ValueError, match='weights file'):
            self.classifier_class(raw)
        assert 'code ran' not in capsys.readouterr().out

    def test_truncated_file_is_refused(self, saved):
        data = saved.read_bytes()
        saved.write_bytes(data[:len(data) // 2])
        with pytest.raises(ValueError, match='is not an astro_galclass weights file'):
            self.classifier_class(saved)

    def test_missing_metadata_entries_are_named(self, saved):
        for key in self.classifier_class.required_metadata:
            self._resave(saved, lambda p, key=key: p['metadata'].pop(key, None))
            with pytest.raises(ValueError, match=f"missing the metadata entries.*'{key}'"):
                self.classifier_class(saved)

    def test_unknown_architecture_is_refused(self, saved):
        self._resave(saved, lambda p: p['metadata'].update(architecture='os.system'))
        with pytest.raises(ValueError, match=r"names the architecture 'os\.system'; known"):
            self.classifier_class(saved)

    def test_unknown_architecture_keyword_is_refused(self, saved):
        self._resave(saved, lambda p: p['metadata']['architecture_kwargs'].update(bogus=1))
        with pytest.raises(ValueError, match=r'architecture_kwargs .* do not describe'):
            self.classifier_class(saved)

    def test_weights_that_do_not_fit_are_refused(self, saved):
        def damage(payload):
            name = next(iter(payload['state_dict']))
            payload['state_dict'][name] = torch.zeros(3, 1, 2)

        self._resave(saved, damage)
        with pytest.raises(ValueError, match='do not fit'):
            self.classifier_class(saved)

    def test_model_options_cannot_come_with_a_file(self, saved):
        with pytest.raises(ValueError, match=r"\['name'\] are read from the weights file"):
            self.classifier_class(saved, name='other')

    # -- construction ----------------------------------------------------------------

    def test_only_registered_networks(self):
        with pytest.raises(TypeError, match='the model must be one of'):
            self.classifier_class(torch.nn.Linear(2, 2))
        with pytest.raises(TypeError, match='weights must be a weights file path or a'):
            self.classifier_class({'a': 1})

    @pytest.mark.parametrize(('kwargs', 'error', 'match'), [
        ({'batch_size': 0}, ValueError, 'batch_size must be >= 1, got 0'),
        ({'batch_size': 2.5}, TypeError, 'batch_size must be an int'),
        ({'device': 'tpu'}, ValueError, "device must be 'auto'"),
        ({'device': 0}, TypeError, 'device must be a str'),
    ])
    def test_invalid_options(self, saved, kwargs, error, match):
        with pytest.raises(error, match=match):
            self.classifier_class(saved, **kwargs)

    def test_batching_does_not_change_outputs(self, saved, contract_inputs):
        one = self.classifier_class(saved, device='cpu', batch_size=1)
        many = self.classifier_class(saved, device='cpu', batch_size=64)
        np.testing.assert_allclose(self.outputs(one, contract_inputs),
                                   self.outputs(many, contract_inputs), rtol=0, atol=1e-5)

    # -- catalogs ----------------------------------------------------------------------

    def test_catalog_is_copied_with_rows_in_order(self, contract_classifier, contract_field):
        catalog, images = contract_field
        order = np.random.default_rng(0).permutation(len(catalog))
        shuffled = catalog[order]
        before = shuffled.copy()
        out = self.classify_catalog(contract_classifier, shuffled, images)
        assert list(out['id']) == list(before['id'])
        assert shuffled.colnames == before.colnames
        assert self.flag_column in out.colnames
        meta = out.meta[self.classifier_class.meta_key]
        assert meta['package'] == 'astro_galclass'
        assert meta['model'] == contract_classifier.name
        assert meta['weights_sha256'] == contract_classifier.weights_sha256
        assert meta['options']['device'] == 'cpu'
        assert meta['task'] == self.classifier_class.task

    def test_existing_columns_need_overwrite(self, contract_classifier, contract_field):
        catalog, images = contract_field
        out = self.classify_catalog(contract_classifier, catalog, images)
        with pytest.raises(ValueError, match='already has columns'):
            self.classify_catalog(contract_classifier, out, images)
        again = self.classify_catalog(contract_classifier, out, images, overwrite=True)
        assert again.colnames == out.colnames
        assert len(again) == len(catalog)

    def test_off_image_rows_are_kept_masked_and_flagged(self, contract_classifier,
                                                        contract_field):
        catalog, images = contract_field
        centroid = catalog['sky_centroid']
        far = centroid[0].directional_offset_by(0 * u.deg, 1 * u.deg)
        moved = QTable(catalog, copy=True)
        moved['sky_centroid'] = SkyCoord([far, *centroid[1:]])
        out = self.classify_catalog(contract_classifier, moved, images)
        assert len(out) == len(catalog)
        assert out[self.flag_column][0] & self.off_image_flag
        masked = [c for c in out.colnames if c not in moved.colnames
                  and c != self.flag_column]
        assert all(out[c].mask[0] for c in masked)
