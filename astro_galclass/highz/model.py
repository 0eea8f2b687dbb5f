# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The Lyman-break convolutional network for JWST/NIRCam cutouts.

This is a fresh implementation of the architecture described by the seed
project (see ``docs/highz.rst``): a spectral stage of 1x1 residual blocks that
mixes the bands pixel by pixel (it can learn colours, the Lyman break among
them), CBAM-style channel attention, a spatial stage of 3x3 residual blocks
with max-pooling, and a dense head.

The module is a plain `torch.nn.Module`: it knows nothing about devices,
units, batching or normalisation, which are owned by
`~astro_galclass.highz.HighZClassifier`.
"""

import numpy as np
import torch
from torch import nn

__all__ = ['LymanBreakCNN']

#: Stage names returned by `LymanBreakCNN.feature_maps`, in network order.
FEATURE_STAGES = ('stem', 'spectral', 'attention', 'spatial')


class _ResidualBlock(nn.Module):
    """
    conv-BN-ReLU-Dropout2d-conv-BN, plus a skip connection, then ReLU.

    The skip is the identity when the channel count is unchanged and a
    1x1 convolution with BatchNorm otherwise.
    """

    def __init__(self, in_channels, out_channels, kernel_size, dropout):
        super().__init__()
        padding = kernel_size // 2
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding,
                      bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Dropout2d(dropout),
            nn.Conv2d(out_channels, out_channels, kernel_size, padding=padding,
                      bias=False),
            nn.BatchNorm2d(out_channels),
        )
        if in_channels == out_channels:
            self.skip = nn.Identity()
        else:
            self.skip = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.skip(x))


class _ChannelAttention(nn.Module):
    """
    CBAM channel attention (Woo et al. 2018).

    Global average- and max-pooled descriptors pass through one shared MLP;
    their sum, through a sigmoid, rescales each channel.
    """

    def __init__(self, channels, reduction):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, channels),
        )

    def forward(self, x):
        avg = self.mlp(x.mean(dim=(2, 3)))
        mx = self.mlp(x.amax(dim=(2, 3)))
        weights = torch.sigmoid(avg + mx)
        return x * weights[:, :, None, None]


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f'{name} must be an int, got {type(value).__name__} ({value!r})'
        raise TypeError(msg)
    if value < 1:
        msg = f'{name} must be >= 1, got {value}'
        raise ValueError(msg)


def _check_probability(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        msg = f'{name} must be a float, got {type(value).__name__} ({value!r})'
        raise TypeError(msg)
    if not 0 <= value < 1:
        msg = f'{name} must be in [0, 1), got {value}'
        raise ValueError(msg)


class LymanBreakCNN(nn.Module):
    """
    CNN classifying multi-band NIRCam cutouts as low-z, high-z or brown dwarf.

    Input: a float tensor ``[B, n_bands, H, W]`` of normalised cutouts (the
    default is 7 bands, F090W to F444W, 64 x 64 pixels; the network is fully
    convolutional up to a global pool, so other sizes divisible by 8 work;
    in general sizes divisible by the attribute ``downsampling``,
    ``early_pool * 2**len(spatial_channels)``, and at least ``crop`` pixels
    with a ``crop``).
    Output: logits ``[B, n_classes]`` in the class order low_z, high_z,
    brown_dwarf.

    Layers:

    0. with ``crop``: the central ``crop x crop`` pixels of the input;
    1. stem: 1x1 convolution ``n_bands -> stem_channels`` (``2 * n_bands``
       inputs with ``band_mask``), BatchNorm, ReLU;
    2. spectral stage (1x1 convolutions only, mixing bands pixel by pixel):
       ``n_spectral_blocks`` residual blocks at ``stem_channels``, a 1x1
       convolution to ``spectral_channels`` with BatchNorm and ReLU, and
       ``n_spectral_blocks`` residual blocks at ``spectral_channels``;
    3. CBAM channel attention with the given ``attention_reduction``;
       with ``early_pool`` > 1, followed by ``early_pool x early_pool``
       average pooling;
    4. spatial stage: one 3x3 residual block per entry of
       ``spatial_channels``, each followed by 2x2 max-pooling;
    5. head: global average pooling, then for each entry of ``head_units``
       Linear, BatchNorm1d, ReLU and Dropout (``head_dropout``), then a
       Linear layer to ``n_classes`` logits.

    Initialisation: Kaiming normal (fan_out, ReLU) for convolutions,
    BatchNorm weight 1 and bias 0, Linear weights normal(0, 0.01) and bias 0.

    Parameters
    ----------
    n_bands : int, optional
        Number of input bands.
    n_classes : int, optional
        Number of output classes.
    stem_channels : int, optional
        Channels of the stem and of the first spectral residual blocks.
    spectral_channels : int, optional
        Channels at the end of the spectral stage.
    n_spectral_blocks : int, optional
        Residual blocks at each width of the spectral stage.
    attention_reduction : int, optional
        Reduction ratio of the channel-attention MLP.
    spatial_channels : tuple of int, optional
        Output channels of the 3x3 residual blocks.
    head_units : tuple of int, optional
        Widths of the hidden dense layers.
    head_dropout : tuple of float, optional
        Dropout after each hidden dense layer.
    block_dropout : float, optional
        Dropout2d rate inside every residual block.
    band_mask : bool, optional
        Take a band-availability input: ``2 * n_bands`` input channels, the
        normalised cutouts (zero in a missing band) followed by one constant
        plane per band, 1 where the band was observed and 0 where it is
        missing (see `~astro_galclass.highz.band_mask_input`). A network
        trained so classifies from any subset of its bands
        (`with_band_mask` turns a seven-band network into one).
    crop : int or None, optional
        Classify the central ``crop x crop`` pixels of each cutout (default
        None: the whole cutout). A z >= 4 galaxy spans a few tenths of an
        arcsecond; 32 pixels are 0.96 arcsec at 0.03 arcsec per pixel.
        Cutouts of odd ``H - crop`` lose one more pixel on the right and
        bottom than on the left and top. Must be a multiple of
        ``downsampling``.
    early_pool : int, optional
        Average-pooling factor between the channel attention and the
        spatial stage (default 1: none). The spectral stage keeps the full
        resolution (colours pixel by pixel); the 3x3 convolutions, most of
        the cost, run on ``early_pool**2`` times fewer pixels.

    The defaults are the architecture of every shipped weights file; ``crop``
    and ``early_pool`` enter `config` only when set (``crop`` not None,
    ``early_pool`` > 1), so the configurations of existing files are
    unchanged.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.highz import LymanBreakCNN
    >>> _ = torch.manual_seed(0)
    >>> model = LymanBreakCNN().eval()
    >>> sum(p.numel() for p in model.parameters())
    1513195
    >>> model(torch.zeros(1, 7, 64, 64)).shape
    torch.Size([1, 3])
    """

    def __init__(self, n_bands=7, n_classes=3, *, stem_channels=32,
                 spectral_channels=64, n_spectral_blocks=2,
                 attention_reduction=8, spatial_channels=(64, 128, 256),
                 head_units=(512, 256), head_dropout=(0.3, 0.15),
                 block_dropout=0.1, band_mask=False, crop=None, early_pool=1):
        super().__init__()
        if not isinstance(band_mask, (bool, np.bool_)):
            msg = f'band_mask must be True or False, got {band_mask!r}'
            raise TypeError(msg)
        for name, value in (('n_bands', n_bands), ('n_classes', n_classes),
                            ('stem_channels', stem_channels),
                            ('spectral_channels', spectral_channels),
                            ('n_spectral_blocks', n_spectral_blocks),
                            ('attention_reduction', attention_reduction)):
            _check_positive_int(name, value)
        _check_positive_int('early_pool', early_pool)
        spatial_channels = tuple(spatial_channels)
        head_units = tuple(head_units)
        head_dropout = tuple(head_dropout)
        if not spatial_channels:
            msg = 'spatial_channels must hold at least one block width, got ()'
            raise ValueError(msg)
        for value in spatial_channels + head_units:
            _check_positive_int('spatial_channels/head_units entry', value)
        if len(head_dropout) != len(head_units):
            msg = (f'head_dropout must have one rate per hidden layer '
                   f'({len(head_units)}), got {len(head_dropout)}')
            raise ValueError(msg)
        for value in head_dropout + (block_dropout,):
            _check_probability('dropout rate', value)
        #: The factor the poolings divide the (cropped) cutout by.
        self.downsampling = early_pool * 2 ** len(spatial_channels)
        if crop is not None:
            _check_positive_int('crop', crop)
            if crop % self.downsampling:
                msg = (f'crop must be a multiple of {self.downsampling} (the '
                       f'poolings), got {crop}')
                raise ValueError(msg)

        # Everything needed to rebuild the module, stored with the weights.
        self.config = {
            'n_bands': n_bands, 'n_classes': n_classes,
            'stem_channels': stem_channels,
            'spectral_channels': spectral_channels,
            'n_spectral_blocks': n_spectral_blocks,
            'attention_reduction': attention_reduction,
            'spatial_channels': list(spatial_channels),
            'head_units': list(head_units),
            'head_dropout': [float(d) for d in head_dropout],
            'block_dropout': float(block_dropout),
        }
        if band_mask:
            self.config['band_mask'] = True
        if crop is not None:
            self.config['crop'] = crop
        if early_pool != 1:
            self.config['early_pool'] = early_pool
        self.band_mask = bool(band_mask)
        self.crop = crop
        self.early_pool = early_pool
        #: Input channels: the bands, and their availability planes with `band_mask`.
        self.n_inputs = n_bands * (2 if band_mask else 1)
        self.n_bands = n_bands
        self.n_classes = n_classes

        self.stem = nn.Sequential(
            nn.Conv2d(self.n_inputs, stem_channels, 1, bias=False),
            nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True),
        )

        spectral = [_ResidualBlock(stem_channels, stem_channels, 1,
                                   block_dropout)
                    for _ in range(n_spectral_blocks)]
        spectral += [
            nn.Conv2d(stem_channels, spectral_channels, 1, bias=False),
            nn.BatchNorm2d(spectral_channels),
            nn.ReLU(inplace=True),
        ]
        spectral += [_ResidualBlock(spectral_channels, spectral_channels, 1,
                                    block_dropout)
                     for _ in range(n_spectral_blocks)]
        self.spectral = nn.Sequential(*spectral)

        self.attention = _ChannelAttention(spectral_channels,
                                           attention_reduction)

        # no parameters: the state dict's keys are those of early_pool=1
        self.early = nn.AvgPool2d(early_pool) if early_pool > 1 else nn.Identity()
        spatial = []
        in_channels = spectral_channels
        for out_channels in spatial_channels:
            spatial += [_ResidualBlock(in_channels, out_channels, 3,
                                       block_dropout),
                        nn.MaxPool2d(2)]
            in_channels = out_channels
        self.spatial = nn.Sequential(*spatial)

        head = []
        in_features = in_channels
        for units, dropout in zip(head_units, head_dropout, strict=True):
            head += [nn.Linear(in_features, units), nn.BatchNorm1d(units),
                     nn.ReLU(inplace=True), nn.Dropout(dropout)]
            in_features = units
        self.embedding_size = in_features
        self.head = nn.Sequential(*head)
        self.classifier = nn.Linear(in_features, n_classes)

        self.reset_parameters()

    def reset_parameters(self):
        """Apply the documented initialisation to every layer."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out',
                                        nonlinearity='relu')
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def _check_input(self, x):
        if x.ndim != 4 or x.shape[1] != self.n_inputs:
            what = (f' ({self.n_bands} bands and their {self.n_bands} availability planes)'
                    if self.band_mask else '')
            msg = (f'expected a tensor of shape [B, {self.n_inputs}, H, W]{what}, '
                   f'got {list(x.shape)}')
            raise ValueError(msg)
        if self.crop is not None:
            if min(x.shape[2:]) < self.crop:
                msg = (f'expected cutouts of at least {self.crop} x {self.crop} pixels '
                       f'(crop), got {list(x.shape[2:])}')
                raise ValueError(msg)

    def _cropped(self, x):
        if self.crop is None:
            return x
        top = (x.shape[2] - self.crop) // 2
        left = (x.shape[3] - self.crop) // 2
        return x[:, :, top:top + self.crop, left:left + self.crop]

    def _stages(self, x):
        self._check_input(x)
        x = self._cropped(x)
        stem = self.stem(x)
        spectral = self.spectral(stem)
        attention = self.attention(spectral)
        spatial = self.spatial(self.early(attention))
        return stem, spectral, attention, spatial

    def embed(self, x):
        """
        Penultimate-layer embedding, ``[B, head_units[-1]]``.

        Useful as features for other estimators (for example the
        semi-supervised pipeline).

        Parameters
        ----------
        x : `torch.Tensor`
            Normalised cutouts ``[B, n_bands, H, W]``.

        Returns
        -------
        embedding : `torch.Tensor`
            ``[B, head_units[-1]]``.
        """
        return self.head(self.pool(x))

    def pool(self, x):
        """
        The last spatial stage averaged over the image, ``[B, channels]``.

        The input of the dense head: ``embed(x) == head(pool(x))``.

        Parameters
        ----------
        x : `torch.Tensor`
            Normalised cutouts ``[B, n_bands, H, W]``.

        Returns
        -------
        pooled : `torch.Tensor`
            ``[B, spatial_channels[-1]]``.
        """
        return self._stages(x)[-1].mean(dim=(2, 3))

    def sample_logits(self, pooled, n_samples):
        """
        Logits with the dense head's dropout active (Monte Carlo dropout).

        Only the head's ``Dropout`` layers are switched on, whatever the
        module's mode; batch normalisation keeps its running statistics, and
        the convolutional stages run once (``pool``) for all samples. The
        masks come from torch's global random generator.

        Parameters
        ----------
        pooled : `torch.Tensor`
            ``[B, channels]`` from `pool`.
        n_samples : int
            Number of dropout samples.

        Returns
        -------
        logits : `torch.Tensor`
            ``[n_samples, B, n_classes]``.
        """
        drops = [m for m in self.head if isinstance(m, nn.Dropout)]
        modes = [m.training for m in drops]
        try:
            for m in drops:
                m.train()
            return torch.stack([self.classifier(self.head(pooled))
                                for _ in range(int(n_samples))])
        finally:
            for m, mode in zip(drops, modes, strict=True):
                m.train(mode)

    def forward(self, x):
        """
        Return class logits ``[B, n_classes]`` for input ``[B, n_bands, H, W]``.

        Parameters
        ----------
        x : `torch.Tensor`
            Normalised cutouts ``[B, n_bands, H, W]``.

        Returns
        -------
        logits : `torch.Tensor`
            ``[B, n_classes]``, unnormalised (apply a softmax for probabilities).
        """
        return self.classifier(self.embed(x))

    def feature_maps(self, x):
        """
        Return the four intermediate stage outputs.

        Parameters
        ----------
        x : `torch.Tensor`
            Input ``[B, n_bands, H, W]``.

        Returns
        -------
        maps : dict of `torch.Tensor`
            ``'stem'`` ``[B, stem_channels, H, W]``, ``'spectral'`` and
            ``'attention'`` ``[B, spectral_channels, H, W]``, and
            ``'spatial'`` ``[B, spatial_channels[-1], H / d, W / d]``
            with d the ``downsampling`` (``early_pool * 2**k``, k the number
            of spatial blocks); H and W are ``crop`` with a ``crop``.
        """
        return dict(zip(FEATURE_STAGES, self._stages(x), strict=True))

    def with_band_mask(self):
        """
        This network, taking a band-availability input.

        A copy with ``band_mask=True`` whose stem weights for the
        availability planes are zero: with every band present it computes
        exactly what this network computes, and training (with band
        dropout, `~astro_galclass.highz.BandDropout`) teaches it to use the
        planes.

        Returns
        -------
        model : `LymanBreakCNN`

        Examples
        --------
        >>> import torch
        >>> from astro_galclass.highz import LymanBreakCNN, band_mask_input
        >>> _ = torch.manual_seed(0)
        >>> base = LymanBreakCNN().eval()
        >>> masked = base.with_band_mask().eval()
        >>> x = torch.randn(2, 7, 64, 64)
        >>> all_bands = band_mask_input(x, torch.ones(2, 7, dtype=torch.bool))
        >>> torch.allclose(base(x), masked(all_bands))
        True
        """
        if self.band_mask:
            msg = 'this network already takes a band-availability input'
            raise ValueError(msg)
        config = {k: v for k, v in self.config.items()}
        model = type(self)(**config, band_mask=True)
        state = {k: v.clone() for k, v in self.state_dict().items()}
        weight = state['stem.0.weight']
        state['stem.0.weight'] = torch.cat([weight, torch.zeros_like(weight)], dim=1)
        model.load_state_dict(state)
        return model
