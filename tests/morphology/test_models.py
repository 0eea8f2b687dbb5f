# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch

from astro_galclass.gradcam import grad_cam, plot_gradcam
from astro_galclass.morphology import GZ2_TREE, CompactViT, ParallelCNN, TorchvisionBackbone


def test_parallel_cnn_matches_the_seed_architecture():
    net = ParallelCNN()
    # derived in the class docstring: towers 562,624 + trunk 405,760 + dense 191,269
    assert sum(p.numel() for p in net.parameters()) == 1_159_653
    net.eval()
    out = net(torch.rand(3, 3, 64, 64))
    assert out.shape == (3, 37)
    assert GZ2_TREE.identity_residuals(out.detach().double().numpy()).max() < 1e-6
    assert len(net.dense_parameters()) == 3
    with pytest.raises(ValueError, match='64 x 64'):
        net(torch.rand(1, 3, 32, 32))


def test_parallel_cnn_width():
    narrow = ParallelCNN(width=0.25)
    assert narrow.config == {'head': 'tree', 'width': 0.25}
    assert narrow.tower_large[0][1].out_channels == 16
    assert narrow.gradcam_layer.out_channels == 16
    assert sum(p.numel() for p in narrow.parameters()) < 0.2 * 1_159_653
    assert narrow.eval()(torch.rand(2, 3, 64, 64)).shape == (2, 37)
    for bad in (0, -1, True, 'wide', 5):
        with pytest.raises(ValueError, match='width'):
            ParallelCNN(width=bad)


def test_sigmoid_head_is_unconstrained():
    torch.manual_seed(0)
    net = ParallelCNN(head='sigmoid').eval()
    out = net(torch.rand(2, 3, 64, 64)).detach().double().numpy()
    assert np.all((out > 0) & (out < 1))
    assert GZ2_TREE.identity_residuals(out).max() > 1e-3
    with pytest.raises(ValueError, match='head must be'):
        ParallelCNN(head='softmax')


def test_compact_vit():
    net = CompactViT()
    assert sum(p.numel() for p in net.parameters()) == 1_807_781
    net.eval()
    assert net(torch.rand(1, 3, 64, 64)).shape == (1, 37)
    with pytest.raises(ValueError, match='multiple of heads'):
        CompactViT(width=60, heads=8)


@pytest.mark.parametrize('name', ['resnet50', 'vgg16'])
def test_torchvision_backbones(name, tmp_path):
    import torchvision

    net = TorchvisionBackbone(name).eval()
    assert net.input_size == 224
    groups = net.parameter_groups(1e-3)
    assert groups[0]['lr'] == pytest.approx(1e-4) and groups[1]['lr'] == 1e-3
    # ImageNet normalisation is part of the network
    assert torch.allclose(net.mean.flatten(), torch.tensor([0.485, 0.456, 0.406]))
    # local weights are read safely, and wrong ones are refused
    path = tmp_path / 'w.pt'
    torch.save(getattr(torchvision.models, name)(weights=None).state_dict(), path)
    TorchvisionBackbone(name, weights=path)
    torch.save({'x': torch.zeros(1)}, path)
    with pytest.raises(ValueError, match='does not hold'):
        TorchvisionBackbone(name, weights=path)
    with pytest.raises(ValueError, match='224'):
        net(torch.rand(1, 3, 64, 64))


def test_gradcam_finds_the_feature_that_matters():
    torch.manual_seed(0)

    class Spot(torch.nn.Module):
        """Output = mean of the feature map in the upper-left quadrant."""

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)

        def forward(self, x):
            return self.conv(x)[:, :, :8, :8].mean(dim=(1, 2, 3))[:, None]

    net = Spot()
    x = torch.rand(2, 1, 16, 16)
    cam = grad_cam(net, x, net.conv, lambda out: out[:, 0])
    assert cam.shape == (2, 16, 16)
    assert np.all((cam >= 0) & (cam <= 1))
    assert cam[:, :8, :8].mean() > 5 * cam[:, 8:, 8:].mean()


def test_gradcam_flat_map_is_zero_not_nan():
    net = ParallelCNN().eval()
    with torch.no_grad():
        for p in net.gradcam_layer.parameters():
            p.zero_()
    cam = grad_cam(net, torch.rand(1, 3, 64, 64), net.gradcam_layer, lambda o: o[:, 0])
    assert np.all(cam == 0)
    with pytest.raises(TypeError, match=r'torch\.nn\.Module'):
        grad_cam(net, torch.rand(1, 3, 64, 64), 'gradcam_layer', lambda o: o[:, 0])


def test_plot_gradcam():
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_gradcam(np.zeros((8, 8, 3)), np.ones((8, 8)), ax=ax, title='x') is ax
    assert ax.get_title() == 'x'
    plt.close(fig)
    with pytest.raises(ValueError, match='differ in shape'):
        plot_gradcam(np.zeros((8, 8)), np.ones((4, 4)))
