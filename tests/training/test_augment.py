# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch

from astro_galclass.training import CutoutAugmentation


def _gaussian(x0, y0, size=32, sigma=2.0):
    yy, xx = np.mgrid[:size, :size]
    return np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * sigma ** 2))


def test_flips_are_symmetries_of_the_square():
    img = torch.zeros(1, 2, 8, 8)
    img[0, :, 1, 2] = 1.0        # an asymmetric pattern
    img[0, :, 1, 5] = 2.0
    variants = {tuple(torch.rot90(f, k, dims=(-2, -1)).flatten().tolist())
                for f in (img, torch.flip(img, dims=(-1,))) for k in range(4)}
    assert len(variants) == 8
    aug = CutoutAugmentation(max_shift=0)
    gen = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(60):
        out = aug(img, generator=gen)
        # every band transformed the same way
        assert torch.equal(out[0, 0], out[0, 1])
        seen.add(tuple(out.flatten().tolist()))
    assert seen == variants


def test_input_not_modified_and_flux_conserved():
    x = torch.from_numpy(np.stack([_gaussian(15.5, 15.5)] * 3)[None].astype(np.float32))
    before = x.clone()
    out = CutoutAugmentation(max_shift=0.5, extra_noise=None)(
        x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(x, before)
    assert torch.allclose(out.sum(dim=(2, 3)), x.sum(dim=(2, 3)), rtol=1e-4)


def test_shift_moves_the_centroid():
    x = torch.from_numpy(_gaussian(15.5, 15.5)[None, None].astype(np.float32))
    from astro_galclass.training.augment import _fourier_shift

    out = _fourier_shift(x, torch.tensor([[0.4, -0.3]]))[0, 0].numpy()
    yy, xx = np.mgrid[:32, :32]
    assert np.sum(out * xx) / out.sum() == pytest.approx(15.9, abs=1e-3)
    assert np.sum(out * yy) / out.sum() == pytest.approx(15.2, abs=1e-3)


def test_extra_noise_level():
    x = torch.zeros(400, 2, 16, 16)
    out = CutoutAugmentation(flips=False, max_shift=0, extra_noise=[1.0, 4.0])(
        x, generator=torch.Generator().manual_seed(2))
    # sigma * u with u ~ U(0, 1): rms = sigma / sqrt(3)
    rms = out.pow(2).mean(dim=(0, 2, 3)).sqrt()
    assert rms[0] == pytest.approx(1 / np.sqrt(3), rel=0.1)
    assert rms[1] == pytest.approx(4 / np.sqrt(3), rel=0.1)


@pytest.mark.parametrize(('kwargs', 'error'), [
    ({'flips': 'yes'}, TypeError),
    ({'max_shift': -1}, ValueError),
    ({'max_shift': float('nan')}, ValueError),
    ({'extra_noise': [1.0, -2.0]}, ValueError),
])
def test_bad_options(kwargs, error):
    with pytest.raises(error):
        CutoutAugmentation(**kwargs)


def test_bad_batches():
    aug = CutoutAugmentation(extra_noise=[1.0])
    with pytest.raises(ValueError, match='square cutouts'):
        aug(torch.zeros(2, 1, 8, 6))
    with pytest.raises(ValueError, match='extra_noise has 1 bands'):
        aug(torch.zeros(2, 3, 8, 8))
