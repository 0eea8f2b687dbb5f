# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Networks for Galaxy Zoo 2 vote fractions: plain `torch.nn.Module` objects.

Every network maps RGB images ``(B, 3, H, W)`` with values in [0, 1] to the
37 Kaggle cumulative fractions through
`~astro_galclass.morphology.TreeOutput` (``head='tree'``, the default), or
to 37 independent sigmoids (``head='sigmoid'``, the seed project's head, to
be trained with the tree penalty). ``logits(x)`` returns the raw 37 outputs.
"""

import torch
from torch import nn

from astro_galclass.morphology.layers import TreeOutput

__all__ = ['CompactViT', 'ParallelCNN', 'TorchvisionBackbone']

_HEADS = ('tree', 'sigmoid')


def _check_head(head):
    if head not in _HEADS:
        msg = f'head must be one of {_HEADS}, got {head!r}'
        raise ValueError(msg)
    return head


class _MorphologyNet(nn.Module):
    """Shared output logic."""

    input_size = 64

    def _init_head(self, head):
        self.head_type = _check_head(head)
        self.tree_output = TreeOutput()

    def logits(self, x):
        raise NotImplementedError

    def forward(self, x):
        z = self.logits(x)
        if self.head_type == 'tree':
            return self.tree_output(z)
        return torch.sigmoid(z)


def _same_conv(cin, cout, kernel):
    """A convolution with Keras 'same' padding (for even kernels: one more at the end)."""
    before = (kernel - 1) // 2
    after = kernel - 1 - before
    return nn.Sequential(nn.ZeroPad2d((before, after, before, after)),
                         nn.Conv2d(cin, cout, kernel))


def _tower(kernel, c64, c128):
    return nn.Sequential(
        _same_conv(3, c64, kernel), nn.ReLU(inplace=True),
        _same_conv(c64, c64, kernel), nn.ReLU(inplace=True),
        _same_conv(c64, c128, kernel), nn.ReLU(inplace=True),
        nn.BatchNorm2d(c128),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.1),
    )


class ParallelCNN(_MorphologyNet):
    """
    The seed project's two-tower CNN for 64 x 64 Galaxy Zoo images.

    Two towers see the image at once, one with 6x6 and one with 3x3 kernels
    (each: three 'same' convolutions 64, 64, 128 with ReLU, BatchNorm, 3x3
    max-pooling with stride 2, dropout 0.1); their 31 x 31 x 128 outputs are
    concatenated, then three 3x3 convolutions (128, 64, 64), each followed
    by 2x2 max-pooling and dropout 0.1, give 3 x 3 x 64 features (the last
    convolution is the Grad-CAM layer, ``gradcam_layer``); a dense head
    256 -> 128 -> 64 (ReLU; the seed used L2 0.01 on these, see
    ``dense_parameters``) with dropout 0.2 gives 37 outputs.
    1,159,653 parameters (the seed's 1.16 M counted BatchNorm's moving
    statistics as well).

    Parameters
    ----------
    head : {'tree', 'sigmoid'}, optional
        Output layer (see the module docstring).
    width : float, optional
        Multiplies the number of channels of every convolution (the dense
        head is unchanged): 1 is the seed's network; 0.25 (16, 16, 32
        channels in the towers) has 1/16 of its convolution cost, which is
        what a CPU can train (the shipped morphology model).

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.morphology import ParallelCNN
    >>> net = ParallelCNN().eval()
    >>> net(torch.rand(2, 3, 64, 64)).shape
    torch.Size([2, 37])
    """

    def __init__(self, *, head='tree', width=1.0):
        super().__init__()
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not (
                0 < width <= 4):
            msg = f'width must be a number in (0, 4], got {width!r}'
            raise ValueError(msg)
        self.config = {'head': head, 'width': float(width)}

        def channels(n):
            return max(1, round(n * width))

        c64, c128 = channels(64), channels(128)
        self.tower_large = _tower(6, c64, c128)
        self.tower_small = _tower(3, c64, c128)

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding='same'), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2), nn.Dropout(0.1)]

        layers = block(2 * c128, c128) + block(c128, c64)
        self.trunk = nn.Sequential(*layers)
        self.gradcam_layer = nn.Conv2d(c64, c64, 3, padding='same')
        self.after_gradcam = nn.Sequential(nn.ReLU(inplace=False), nn.MaxPool2d(2),
                                           nn.Dropout(0.1))
        self.dense = nn.Sequential(
            nn.Flatten(), nn.Linear(3 * 3 * c64, 256), nn.ReLU(inplace=True),
            nn.Linear(256, 128), nn.ReLU(inplace=True),
            nn.Linear(128, 64), nn.ReLU(inplace=True), nn.Dropout(0.2),
        )
        self.out = nn.Linear(64, 37)
        self._init_head(head)

    def dense_parameters(self):
        """The dense layers' weights, on which the seed put an L2 penalty of 0.01."""
        return [m.weight for m in self.dense if isinstance(m, nn.Linear)]

    def logits(self, x):
        if x.shape[-2:] != (64, 64):
            msg = f'ParallelCNN takes 64 x 64 images, got {tuple(x.shape[-2:])}'
            raise ValueError(msg)
        h = torch.cat([self.tower_large(x), self.tower_small(x)], dim=1)
        h = self.after_gradcam(self.gradcam_layer(self.trunk(h)))
        return self.out(self.dense(h))


class CompactViT(_MorphologyNet):
    """
    The seed project's small Vision Transformer for 64 x 64 images.

    8 x 8 patches (64 tokens plus a class token), width 64, 12 pre-norm
    encoder blocks with 8 heads, GELU MLPs of width 1024, learned position
    embeddings, and a linear head on the class token: 1,807,781 parameters.
    The seed's notebook called it "ViT-B/16" but built this model from
    scratch; its MLP width is not recorded, and 1024 reproduces its stated
    1.8 M parameters.

    Parameters
    ----------
    head : {'tree', 'sigmoid'}, optional
    patch_size, width, depth, heads, mlp_width, dropout : optional
        Architecture; the defaults are the seed's.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.morphology import CompactViT
    >>> CompactViT().eval()(torch.rand(1, 3, 64, 64)).shape
    torch.Size([1, 37])
    """

    def __init__(self, *, head='tree', patch_size=8, width=64, depth=12, heads=8,
                 mlp_width=1024, dropout=0.1):
        super().__init__()
        if 64 % patch_size:
            msg = f'patch_size must divide 64, got {patch_size}'
            raise ValueError(msg)
        if width % heads:
            msg = f'width ({width}) must be a multiple of heads ({heads})'
            raise ValueError(msg)
        self.config = {'head': head, 'patch_size': patch_size, 'width': width,
                       'depth': depth, 'heads': heads, 'mlp_width': mlp_width,
                       'dropout': dropout}
        n_tokens = (64 // patch_size) ** 2
        self.patch_embed = nn.Conv2d(3, width, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, n_tokens + 1, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, mlp_width, dropout=dropout,
                                           activation='gelu', batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, 37)
        self._init_head(head)

    def logits(self, x):
        if x.shape[-2:] != (64, 64):
            msg = f'CompactViT takes 64 x 64 images, got {tuple(x.shape[-2:])}'
            raise ValueError(msg)
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(len(x), -1, -1)
        h = self.encoder(torch.cat([cls, tokens], dim=1) + self.pos_embed)
        return self.out(self.norm(h[:, 0]))


_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_BACKBONES = ('resnet50', 'vgg16', 'vit_b_16')


class TorchvisionBackbone(_MorphologyNet):
    """
    A torchvision ResNet-50, VGG16 or ViT-B/16 with a 37-output head.

    Images in [0, 1] are normalised with the ImageNet mean and standard
    deviation inside the network (the seed fed un-normalised images to
    ImageNet backbones). The input size is 224 x 224 (``input_size``); the
    classifier resizes images to it. The whole network is trained
    (fine-tuning), with the backbone at a lower learning rate:
    `parameter_groups`.

    The package never downloads weights and ships none for these
    backbones. ``weights`` may name a local file holding a state dict of the
    torchvision architecture that you already have (for example ImageNet
    weights obtained elsewhere); it is read with ``weights_only=True``.
    Without it the backbone starts from random initialisation.

    Parameters
    ----------
    name : {'resnet50', 'vgg16', 'vit_b_16'}
    weights : path-like, optional
        Local torchvision state dict for the backbone.
    head : {'tree', 'sigmoid'}, optional
    """

    input_size = 224

    def __init__(self, name='resnet50', *, weights=None, head='tree'):
        super().__init__()
        import torchvision

        if name not in _BACKBONES:
            msg = f'name must be one of {_BACKBONES}, got {name!r}'
            raise ValueError(msg)
        self.config = {'name': name, 'head': head}
        self.backbone = getattr(torchvision.models, name)(weights=None)
        if weights is not None:
            state = torch.load(weights, map_location='cpu', weights_only=True)
            try:
                self.backbone.load_state_dict(state)
            except RuntimeError as exc:
                msg = f'{weights!s} does not hold {name} weights: {exc}'
                raise ValueError(msg) from exc
        if name == 'resnet50':
            n_features = self.backbone.fc.in_features
            self.backbone.fc = nn.Identity()
            self.gradcam_layer = self.backbone.layer4
        elif name == 'vgg16':
            n_features = self.backbone.classifier[-1].in_features
            self.backbone.classifier[-1] = nn.Identity()
            self.gradcam_layer = self.backbone.features[28]
        else:
            n_features = self.backbone.heads.head.in_features
            self.backbone.heads = nn.Identity()
            self.gradcam_layer = None           # not convolutional
        self.out = nn.Linear(n_features, 37)
        self.register_buffer('mean', torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))
        self._init_head(head)

    def logits(self, x):
        if x.shape[-2:] != (self.input_size, self.input_size):
            msg = (f'{self.config["name"]} takes {self.input_size} x {self.input_size} '
                   f'images, got {tuple(x.shape[-2:])}')
            raise ValueError(msg)
        return self.out(self.backbone((x - self.mean) / self.std))

    def parameter_groups(self, lr, *, backbone_factor=0.1):
        """
        Optimiser parameter groups: the backbone at ``lr * backbone_factor``.

        Parameters
        ----------
        lr : float
            Learning rate of the new output layer.
        backbone_factor : float, optional
            Multiplies ``lr`` for the pretrained backbone (default 0.1).

        Returns
        -------
        list of dict
            Two groups, backbone then output layer, each with ``params`` and
            ``lr``, for a `torch.optim.Optimizer`.
        """
        return [{'params': list(self.backbone.parameters()), 'lr': lr * backbone_factor},
                {'params': list(self.out.parameters()), 'lr': lr}]
