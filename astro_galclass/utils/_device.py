# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Choice of the torch device, made only when a classifier is created."""

import torch

__all__ = ['cpu_has_native_bf16', 'resolve_device']


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


def cpu_has_native_bf16():
    """
    True when this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX).

    Read from the CPU flags of ``/proc/cpuinfo`` (Linux); elsewhere, and on
    CPUs without the flags, False: torch then emulates bfloat16, which need
    not be faster than float32.
    """
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('flags'):
                    flags = set(line.split(':', 1)[1].split())
                    return bool(flags & {'avx512_bf16', 'amx_bf16'})
    except OSError:
        pass
    return False
