# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Band subsets: which of a model's bands a source has, and how the network is told.

Real NIRCam fields rarely have all seven wide bands everywhere: COSMOS-Web
has four, CEERS six, and in JADES and PRIMER mosaic edges and chip gaps leave
one band or another out. A network with a band-availability input
(``LymanBreakCNN(band_mask=True)``) takes, besides the normalised cutouts
(zero in a missing band), one constant plane per band saying whether the band
was observed; trained with random band dropout (`BandDropout`) it classifies
from any subset of at least `MIN_BANDS` bands.
"""

import numpy as np
import torch

from astro_galclass.highz.flags import usable_bands
from astro_galclass.nircam import NIRCAM_BANDS, SURVEY_BANDS

__all__ = ['MIN_BANDS', 'BandDropout', 'band_mask_input', 'band_names',
           'check_band_subset', 'usable_bands']

#: Fewest bands a source is classified from.
MIN_BANDS = 4

def check_band_subset(given, model_bands, *, minimum=MIN_BANDS, what='bands'):
    """
    Check that ``given`` names at least ``minimum`` distinct bands of ``model_bands``.

    Parameters
    ----------
    given : sequence of str
        Band names, in any order.
    model_bands : sequence of str
        The bands the model knows.
    minimum : int, optional
        Fewest bands accepted.
    what : str, optional
        Name of the input, for the messages.

    Returns
    -------
    bands : tuple of str
        ``given``, in the order given.

    Raises
    ------
    ValueError
        For a band the model does not know (the message names the supported
        bands), a band given twice, or fewer than ``minimum`` bands.

    Examples
    --------
    >>> from astro_galclass.highz import check_band_subset
    >>> from astro_galclass.nircam import NIRCAM_BANDS
    >>> check_band_subset(['F115W', 'F150W', 'F277W', 'F444W'], NIRCAM_BANDS)
    ('F115W', 'F150W', 'F277W', 'F444W')
    """
    if isinstance(given, str) or not hasattr(given, '__iter__'):
        msg = f'{what} must be a sequence of band names, got {given!r}'
        raise TypeError(msg)
    given = tuple(given)
    for band in given:
        if not isinstance(band, str):
            msg = f'{what} must hold band names (str), got {band!r}'
            raise TypeError(msg)
    unknown = [b for b in given if b not in model_bands]
    if unknown:
        msg = (f'{what}: the model does not know the band(s) {unknown}; it supports '
               f'{list(model_bands)} (NIRCam wide bands; medium bands and other '
               'instruments need a model trained on them)')
        raise ValueError(msg)
    repeated = sorted({b for b in given if given.count(b) > 1})
    if repeated:
        msg = f'{what}: band(s) {repeated} given more than once'
        raise ValueError(msg)
    if len(given) < minimum:
        msg = (f'{what}: at least {minimum} of the bands {list(model_bands)} are needed, '
               f'got {len(given)}: {list(given)}')
        raise ValueError(msg)
    return given


def band_names(bits, bands=NIRCAM_BANDS):
    """
    Decode a ``highz_bands_used`` value: bit ``i`` stands for ``bands[i]``.

    Parameters
    ----------
    bits : int
        One value of the ``highz_bands_used`` column.
    bands : sequence of str, optional
        The classifier's `~astro_galclass.HighZClassifier.bands`.

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> from astro_galclass.highz import band_names
    >>> band_names(0b1010110)              # bits 1, 2, 4, 6: the COSMOS-Web bands
    ('F115W', 'F150W', 'F277W', 'F444W')
    """
    bits = int(bits)
    if bits < 0 or bits >= 2 ** len(bands):
        msg = f'bits must be an integer in [0, {2 ** len(bands)}), got {bits}'
        raise ValueError(msg)
    return tuple(b for i, b in enumerate(bands) if bits >> i & 1)


def band_mask_input(x, available):
    """
    The input of a band-masked network: cutouts and availability planes.

    Parameters
    ----------
    x : `torch.Tensor`
        Normalised cutouts ``[B, n_bands, H, W]``.
    available : `torch.Tensor`
        ``[B, n_bands]``, true (or 1) where the band was observed.

    Returns
    -------
    input : `torch.Tensor`
        ``[B, 2 * n_bands, H, W]``: ``x`` with missing bands set to zero,
        then one plane per band, 1 where available and 0 where not.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.highz import band_mask_input
    >>> x = torch.ones(1, 3, 2, 2)
    >>> out = band_mask_input(x, torch.tensor([[True, False, True]]))
    >>> out[0, :, 0, 0].tolist()
    [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    """
    if x.ndim != 4 or tuple(available.shape) != tuple(x.shape[:2]):
        msg = (f'expected cutouts [B, n_bands, H, W] and availability [B, n_bands], got '
               f'{list(x.shape)} and {list(available.shape)}')
        raise ValueError(msg)
    planes = available.to(x.dtype)[:, :, None, None].expand_as(x)
    return torch.cat([x * planes, planes], dim=1)


class BandDropout:
    """
    Random band subsets for training a band-masked network.

    Each cutout keeps all its bands with probability ``p_all``; otherwise it
    keeps one of the survey band sets of `~astro_galclass.nircam.SURVEY_BANDS`
    that lack bands (CEERS, COSMOS-Web) or a random subset of ``minimum`` to
    ``n_bands - 1`` bands, in equal shares. The result is the input of
    `band_mask_input`.

    Parameters
    ----------
    bands : sequence of str
        The network's bands, in its order.
    p_all : float, optional
        Probability of keeping every band.
    minimum : int, optional
        Fewest bands kept.

    Examples
    --------
    >>> import torch
    >>> from astro_galclass.highz import BandDropout
    >>> from astro_galclass.nircam import NIRCAM_BANDS
    >>> dropout = BandDropout(NIRCAM_BANDS, p_all=0.0)
    >>> out = dropout(torch.ones(4, 7, 8, 8), generator=torch.Generator().manual_seed(0))
    >>> out.shape, bool((out[:, 7:, 0, 0].sum(dim=1) >= 4).all())
    (torch.Size([4, 14, 8, 8]), True)
    """

    def __init__(self, bands, *, p_all=0.4, minimum=MIN_BANDS):
        self.bands = tuple(bands)
        if not 0 <= float(p_all) <= 1:
            msg = f'p_all must be a probability, got {p_all}'
            raise ValueError(msg)
        self.p_all = float(p_all)
        self.minimum = int(minimum)
        if not 1 <= self.minimum <= len(self.bands):
            msg = f'minimum must be between 1 and {len(self.bands)}, got {minimum}'
            raise ValueError(msg)
        subsets = dict.fromkeys(subset for subset in SURVEY_BANDS.values()
                                if set(subset) <= set(self.bands)
                                and self.minimum <= len(subset) < len(self.bands))
        self.survey_sets = [np.isin(self.bands, subset) for subset in subsets]

    def __repr__(self):
        return f'BandDropout(p_all={self.p_all}, minimum={self.minimum})'

    def masks(self, n, *, generator=None):
        """
        Which bands each of ``n`` cutouts keeps.

        Parameters
        ----------
        n : int
            Number of cutouts.
        generator : `torch.Generator`, optional
            Source of the random choices (seeds a numpy generator).

        Returns
        -------
        keep : `~numpy.ndarray` of bool
            ``(n, n_bands)``.
        """
        n_bands = len(self.bands)
        rng = np.random.default_rng(
            int(torch.randint(2 ** 62, (1,), generator=generator)))
        keep = np.ones((n, n_bands), dtype=bool)
        choice = rng.random(n)
        n_kinds = len(self.survey_sets) + 1
        drop = choice >= self.p_all
        kind = np.minimum(((choice - self.p_all) / max(1 - self.p_all, 1e-12)
                           * n_kinds).astype(int), n_kinds - 1)
        for i in np.flatnonzero(drop):
            if kind[i] < len(self.survey_sets):
                keep[i] = self.survey_sets[kind[i]]
            else:
                size = rng.integers(self.minimum, n_bands)        # minimum .. n_bands - 1
                keep[i] = False
                keep[i, rng.choice(n_bands, size, replace=False)] = True
        return keep

    def __call__(self, x, *, generator=None):
        """Drop bands of the normalised batch ``x``; return the masked input."""
        available = torch.from_numpy(self.masks(len(x), generator=generator))
        return band_mask_input(x, available)
