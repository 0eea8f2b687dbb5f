# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The shipped models' outputs, pinned.

``tests/data/shipped_outputs*.npz`` hold the outputs of both shipped models
on fixed simulated inputs (direct cutouts, a mosaic catalog, Grad-CAM maps,
embeddings), computed before a refactoring, one file per machine kind that
wrote one; this test recomputes them. Where torch, NumPy and the CPU's
arithmetic are those of a file (same versions and instruction set, and the
same simulated inputs to the bit: CPUs of one ``AVX512`` capability still
round FFTs differently, so the inputs' checksum tells the kinds apart) they
must be bit-identical; elsewhere floating-point kernels may round
differently, and they must agree to 1e-4 (relative).

Regenerate the files only when the shipped weights or the simulators change
on purpose: ``python tests/test_shipped_outputs.py [NAME]`` writes
``tests/data/shipped_outputs[_NAME].npz`` on this machine.
"""

import hashlib
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import torch

REFERENCE = Path(__file__).parent / 'data' / 'shipped_outputs.npz'
#: Every machine kind's reference.
REFERENCES = sorted(REFERENCE.parent.glob('shipped_outputs*.npz'))


def _sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def compute_outputs():
    """Every pinned output, as a dict of arrays (and input checksums)."""
    from astro_galclass.highz import HighZClassifier
    from astro_galclass.morphology import MorphologyClassifier
    from astro_galclass.simulate import MorphologySimulator, NIRCamSimulator, make_toy_field

    torch.manual_seed(0)
    out = {}
    highz = HighZClassifier.pretrained(device='cpu', batch_size=16)
    cutouts, _ = NIRCamSimulator(seed=11).sample(24)
    out['highz_inputs_sha256'] = np.array(_sha(cutouts.to_value(u.nJy)))
    out['highz_proba'] = np.asarray(highz.predict_proba(cutouts))
    table = highz.classify(cutouts)
    out['highz_classify'] = np.stack([np.ma.filled(table[f'p_{c}'], np.nan)
                                      for c in highz.classes], axis=1)
    out['highz_embed'] = highz.embed(cutouts[:4])
    out['highz_gradcam'] = highz.gradcam(cutouts[:2])
    images, catalog = NIRCamSimulator(seed=12).make_field(n_sources=20, shape=(300, 300))
    result = highz.classify_catalog(catalog, images)
    out['highz_catalog'] = np.stack([np.ma.filled(result[f'p_{c}'], np.nan)
                                     for c in highz.classes], axis=1)
    out['highz_catalog_flags'] = np.asarray(result['highz_flags'])

    morph = MorphologyClassifier.pretrained(device='cpu', batch_size=8)
    gal, _ = MorphologySimulator(seed=13, realism='clean').sample(12)
    out['morphology_inputs_sha256'] = np.array(_sha(gal))
    out['morphology_kaggle'] = morph.predict_kaggle(gal, reframe=False)
    out['morphology_kaggle_reframed'] = morph.predict_kaggle(gal)
    maps, _ = morph.gradcam(gal[:2], reframe=False)
    out['morphology_gradcam'] = maps
    field, truth = make_toy_field(n_sources=8, seed=5)
    # three bands on one pixel grid (bands on different grids are refused)
    bands = [field[b] for b in ('F444W', 'F356W', 'F277W')]
    result = morph.classify_catalog(truth, bands, size=2 * u.arcsec)
    names = [c for c in result.colnames if c.endswith('_fraction')]
    out['morphology_catalog'] = np.stack([np.ma.filled(result[c], np.nan) for c in names],
                                         axis=1)
    out['morphology_catalog_flags'] = np.asarray(result['morph_flags'])
    return out


def _environment():
    # bit-exact comparisons hold only where torch, NumPy and the CPU's
    # instruction set are the same; elsewhere the tolerances below apply
    return np.array([torch.__version__.split('+')[0],
                     torch.backends.cpu.get_cpu_capability(), np.__version__])


@pytest.fixture(scope='module')
def outputs():
    return compute_outputs()


@pytest.fixture(scope='module')
def references():
    out = []
    for path in REFERENCES:
        with np.load(path) as data:
            out.append(dict(data))
    return out


def _matches(reference, outputs):
    """Whether ``reference`` was written on this machine kind (bit-exact there)."""
    return (list(reference['environment']) == list(_environment())
            and all(str(outputs[k]) == str(reference[k]) for k in outputs
                    if k.endswith('sha256')))


def test_shipped_outputs_unchanged(outputs, references):
    assert references, 'no tests/data/shipped_outputs*.npz'
    mine = [r for r in references if _matches(r, outputs)]
    same_machine = bool(mine)
    reference = mine[0] if mine else references[0]
    assert set(outputs) == set(reference) - {'environment'}
    for key, value in outputs.items():
        expected = reference[key]
        if key.endswith('sha256'):
            continue              # compared in _matches: they pick the machine kind
        assert value.shape == expected.shape, key
        if same_machine:
            np.testing.assert_array_equal(value, expected, err_msg=key)
        else:
            np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-5, err_msg=key)


if __name__ == '__main__':
    name = f'shipped_outputs_{sys.argv[1]}.npz' if len(sys.argv) > 1 else REFERENCE.name
    path = REFERENCE.parent / name
    result = compute_outputs()
    np.savez_compressed(path, environment=_environment(), **result)
    print(f'wrote {path}', file=sys.stderr)
