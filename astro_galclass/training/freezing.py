# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Freezing the layers of a network, so that only its head trains.

Used by `~astro_galclass.training.fine_tune_highz`,
`~astro_galclass.training.fine_tune_morphology` and the head-retraining
recipe of the shipped high-z model.
"""

import torch

__all__ = ['FREEZE', 'freeze_layers', 'head_modules', 'unfreeze_layers']

#: Accepted ``freeze`` values: train every layer, or only the head.
FREEZE = ('none', 'features')


def head_modules(model):
    """
    The head of a network: what ``freeze='features'`` leaves trainable.

    The dense layers and output of `~astro_galclass.morphology.ParallelCNN`
    and of `~astro_galclass.highz.LymanBreakCNN`; the final norm and output
    of `~astro_galclass.morphology.CompactViT`; the output layer of a
    `~astro_galclass.morphology.TorchvisionBackbone`.

    Parameters
    ----------
    model : `torch.nn.Module`
        The network.

    Returns
    -------
    modules : list of `torch.nn.Module`
        Its head's modules.

    Examples
    --------
    >>> from astro_galclass.highz import LymanBreakCNN
    >>> [type(m).__name__ for m in head_modules(LymanBreakCNN())]
    ['Sequential', 'Linear']
    """
    names = [n for n in ('dense', 'head', 'norm', 'out', 'classifier')
             if isinstance(getattr(model, n, None), torch.nn.Module)]
    if not names or not any(n in names for n in ('out', 'classifier')):
        msg = f'{type(model).__name__} has no known head to train alone; use freeze="none"'
        raise ValueError(msg)
    return [getattr(model, n) for n in names]


def check_freeze(freeze):
    """
    Refuse a ``freeze`` value not in `FREEZE` (a `ValueError`).

    Parameters
    ----------
    freeze : str
        The value given.
    """
    if freeze not in FREEZE:
        msg = f'freeze must be one of {FREEZE}, got {freeze!r}'
        raise ValueError(msg)


def freeze_layers(model, freeze):
    """
    Make all but the head of ``model`` untrainable (``freeze='features'``).

    Parameters
    ----------
    model : `torch.nn.Module`
        The network, changed in place.
    freeze : {'none', 'features'}
        ``'none'`` leaves every layer trainable; ``'features'`` only the
        `head_modules`.

    Returns
    -------
    model : `torch.nn.Module`
        The same network.
    """
    check_freeze(freeze)
    if freeze == 'features':
        heads = head_modules(model)
        for p in model.parameters():
            p.requires_grad_(False)
        for module in heads:
            for p in module.parameters():
                p.requires_grad_(True)
    return model


def unfreeze_layers(model):
    """
    Make every parameter of ``model`` trainable again (after `freeze_layers`).

    Parameters
    ----------
    model : `torch.nn.Module`
        The network, changed in place.

    Returns
    -------
    model : `torch.nn.Module`
        The same network.
    """
    for p in model.parameters():
        p.requires_grad_(True)
    return model
