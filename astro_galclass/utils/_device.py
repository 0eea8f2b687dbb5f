# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Choice of the torch device, made only when a classifier is created."""

import torch

__all__ = ['resolve_device']


def resolve_device(device):
    """
    Turn ``'auto'``, a device string or a `torch.device` into a `torch.device`.

    ``'auto'`` picks CUDA when it is available and the CPU otherwise. Asking
    for CUDA on a machine without it is an error rather than a silent fall
    back to the CPU.
    """
    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        if device == 'auto':
            return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
        try:
            resolved = torch.device(device)
        except RuntimeError as exc:
            msg = (f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a "
                   f'torch.device, got {device!r}')
            raise ValueError(msg) from exc
    else:
        msg = (f"device must be a str ('auto', 'cpu', 'cuda') or a "
               f'torch.device, got {type(device).__name__}')
        raise TypeError(msg)
    if resolved.type == 'cuda' and not torch.cuda.is_available():
        msg = (f'device {device!r} was requested but CUDA is not available '
               "on this machine; use device='auto' or 'cpu'")
        raise ValueError(msg)
    return resolved
