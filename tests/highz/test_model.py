# Licensed under a 3-clause BSD style license - see LICENSE.rst
import subprocess
import sys

import pytest
import torch

from astro_galclass.highz import LymanBreakCNN


def conv(cin, cout, k):
    return cin * cout * k * k          # convolutions followed by BN have no bias


def bn(c):
    return 2 * c


def linear(cin, cout):
    return cin * cout + cout


def residual(cin, cout, k):
    n = conv(cin, cout, k) + bn(cout) + conv(cout, cout, k) + bn(cout)
    if cin != cout:
        n += conv(cin, cout, 1) + bn(cout)
    return n


def expected_parameters(n_bands):
    """Parameter count derived layer by layer from the documented architecture."""
    stem = conv(n_bands, 32, 1) + bn(32)
    spectral = (2 * residual(32, 32, 1) + conv(32, 64, 1) + bn(64)
                + 2 * residual(64, 64, 1))
    attention = linear(64, 8) + linear(8, 64)
    spatial = residual(64, 64, 3) + residual(64, 128, 3) + residual(128, 256, 3)
    head = (linear(256, 512) + bn(512) + linear(512, 256) + bn(256)
            + linear(256, 3))
    return stem + spectral + attention + spatial + head


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_count_matches_architecture():
    model = LymanBreakCNN()
    assert n_params(model) == expected_parameters(7)
    assert 1.50e6 < n_params(model) < 1.52e6     # "about 1.51 M"


def test_n_bands_changes_only_the_stem():
    assert n_params(LymanBreakCNN(n_bands=4)) == expected_parameters(4)
    assert n_params(LymanBreakCNN(n_bands=7)) - n_params(LymanBreakCNN(n_bands=4)) \
        == 3 * 32


def test_forward_and_feature_map_shapes():
    model = LymanBreakCNN().eval()
    x = torch.randn(3, 7, 64, 64)
    with torch.inference_mode():
        assert model(x).shape == (3, 3)
        maps = model.feature_maps(x)
        assert model.embed(x).shape == (3, 256)
    assert list(maps) == ['stem', 'spectral', 'attention', 'spatial']
    assert maps['stem'].shape == (3, 32, 64, 64)
    assert maps['spectral'].shape == (3, 64, 64, 64)
    assert maps['attention'].shape == (3, 64, 64, 64)
    assert maps['spatial'].shape == (3, 256, 8, 8)


def test_batch_of_one_in_evaluation():
    torch.manual_seed(0)
    model = LymanBreakCNN().eval()
    x = torch.randn(4, 7, 64, 64)
    with torch.inference_mode():
        single = model(x[:1])
        batch = model(x)
    assert single.shape == (1, 3)
    # evaluation does not mix samples of a batch
    torch.testing.assert_close(single, batch[:1], rtol=1e-4, atol=1e-5)


def test_attention_rescales_channels_between_zero_and_one():
    model = LymanBreakCNN().eval()
    with torch.inference_mode():
        maps = model.feature_maps(torch.randn(2, 7, 64, 64))
    spectral, attention = maps['spectral'], maps['attention']
    ratio = attention[spectral > 1e-3] / spectral[spectral > 1e-3]
    assert ratio.min() > 0
    assert ratio.max() < 1


def test_initialisation():
    torch.manual_seed(0)
    model = LymanBreakCNN()
    stem_bn = model.stem[1]
    assert torch.all(stem_bn.weight == 1) and torch.all(stem_bn.bias == 0)
    head = model.head[0]
    assert torch.all(head.bias == 0)
    assert abs(head.weight.std().item() - 0.01) < 0.001
    conv3 = model.spatial[0].body[0]
    fan_out = conv3.out_channels * 9
    expected_std = (2 / fan_out) ** 0.5                 # Kaiming, fan_out, ReLU
    assert abs(conv3.weight.std().item() / expected_std - 1) < 0.05


def test_wrong_input_shape():
    model = LymanBreakCNN()
    with pytest.raises(ValueError, match=r'expected a tensor of shape '
                                         r'\[B, 7, H, W\], got \[2, 6, 64, 64\]'):
        model(torch.zeros(2, 6, 64, 64))


@pytest.mark.parametrize(('kwargs', 'error', 'match'), [
    ({'n_bands': 0}, ValueError, 'n_bands must be >= 1, got 0'),
    ({'n_bands': 7.0}, TypeError, 'n_bands must be an int, got float'),
    ({'head_dropout': (0.3,)}, ValueError, 'one rate per hidden layer'),
    ({'block_dropout': 1.5}, ValueError, r'must be in \[0, 1\), got 1.5'),
    ({'spatial_channels': ()}, ValueError, 'at least one block'),
])
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LymanBreakCNN(**kwargs)


def test_import_has_no_side_effects():
    code = ('import torch, astro_galclass, astro_galclass.highz; '
            'print(torch.cuda.is_initialized())')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == 'False'
    assert out.stderr == ''


# --- crop and early_pool (issue 32: the fast network) -------------------------

FAST = {'stem_channels': 8, 'spectral_channels': 16, 'spatial_channels': (16, 32),
        'head_units': (32,), 'head_dropout': (0.1,), 'crop': 32, 'early_pool': 2}


def test_crop_and_early_pool_defaults_are_todays_network():
    torch.manual_seed(0)
    old = LymanBreakCNN().eval()
    torch.manual_seed(0)
    new = LymanBreakCNN(crop=None, early_pool=1).eval()
    assert new.config == old.config
    assert 'crop' not in old.config and 'early_pool' not in old.config
    assert list(new.state_dict()) == list(old.state_dict())
    assert old.downsampling == 8
    x = torch.randn(2, 7, 64, 64)
    assert torch.equal(old(x), new(x))


def test_fast_options_shapes_and_feature_maps():
    model = LymanBreakCNN(**FAST).eval()
    assert model.downsampling == 8
    assert model.config['crop'] == 32 and model.config['early_pool'] == 2
    x = torch.randn(3, 7, 64, 64)
    assert model(x).shape == (3, 3)
    maps = model.feature_maps(x)
    assert maps['stem'].shape == (3, 8, 32, 32)
    assert maps['spectral'].shape == maps['attention'].shape == (3, 16, 32, 32)
    assert maps['spatial'].shape == (3, 32, 4, 4)
    assert model.pool(x).shape == (3, 32)
    assert model.embed(x).shape == (3, model.embedding_size) == (3, 32)
    assert torch.allclose(model.embed(x), model.head(model.pool(x)))
    # the crop is central: only the central 32 x 32 pixels matter
    y = x.clone()
    y[:, :, :16] = 0
    y[:, :, 48:] = 0
    y[:, :, :, :16] = 0
    y[:, :, :, 48:] = 0
    assert torch.equal(model(x), model(y))
    assert torch.equal(model(x), model(x[:, :, 16:48, 16:48]))


def test_fast_options_with_band_mask():
    from astro_galclass.highz import band_mask_input
    torch.manual_seed(0)
    base = LymanBreakCNN(**FAST).eval()
    masked = base.with_band_mask().eval()
    assert masked.config == {**base.config, 'band_mask': True}
    x = torch.randn(2, 7, 64, 64)
    assert torch.allclose(base(x), masked(band_mask_input(x, torch.ones(2, 7, dtype=bool))))


def test_fast_options_train_step():
    model = LymanBreakCNN(**FAST).train().to(memory_format=torch.channels_last)
    x = torch.randn(4, 7, 64, 64).contiguous(memory_format=torch.channels_last)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_fast_options_round_trip_through_save_and_load(tmp_path):
    from astro_galclass import HighZClassifier
    torch.manual_seed(1)
    clf = HighZClassifier(LymanBreakCNN(**FAST), device='cpu')
    assert clf.metadata['architecture_kwargs']['crop'] == 32
    assert clf.metadata['architecture_kwargs']['early_pool'] == 2
    clf.save(tmp_path / 'fast.pt')
    back = HighZClassifier(tmp_path / 'fast.pt', device='cpu')
    assert back.model.config == clf.model.config
    x = torch.randn(2, 7, 64, 64)
    assert torch.equal(clf.model.eval()(x), back.model.eval()(x))


def test_cutout_size_checks_follow_the_new_options():
    from astro_galclass import HighZClassifier
    # early_pool multiplies the poolings: 4 * 2**2 = 16
    model = LymanBreakCNN(spatial_channels=(8, 16), head_units=(8,), head_dropout=(0.1,),
                          early_pool=4)
    assert model.downsampling == 16
    with pytest.raises(ValueError, match='multiple of 16'):
        HighZClassifier(model, device='cpu', cutout_size=40)
    HighZClassifier(model, device='cpu', cutout_size=48)
    with pytest.raises(ValueError, match=r"at least the model's crop"):
        HighZClassifier(LymanBreakCNN(**FAST), device='cpu', cutout_size=24)


@pytest.mark.parametrize(('kwargs', 'error', 'match'), [
    ({'early_pool': 0}, ValueError, 'early_pool must be >= 1, got 0'),
    ({'early_pool': 2.0}, TypeError, 'early_pool must be an int'),
    ({'crop': 0}, ValueError, 'crop must be >= 1'),
    ({'crop': 36}, ValueError, r'crop must be a multiple of 8 \(the poolings\), got 36'),
    ({'crop': 40, 'early_pool': 2}, ValueError, 'crop must be a multiple of 16'),
])
def test_invalid_new_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LymanBreakCNN(**kwargs)


def test_input_smaller_than_crop():
    model = LymanBreakCNN(**FAST)
    with pytest.raises(ValueError, match=r'at least 32 x 32 pixels \(crop\)'):
        model(torch.zeros(1, 7, 24, 24))
