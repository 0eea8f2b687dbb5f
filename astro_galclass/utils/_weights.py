# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Weights files: one file holding a state dict and its metadata.

The file is written with `torch.save` and read back with
``torch.load(..., weights_only=True)``, which only rebuilds tensors and plain
Python containers: a file crafted to run code when unpickled is refused.

Since format version 2 every file carries a checksum of its tensors and
metadata (`payload_checksum`), checked on load: a flipped byte in a tensor
or an edited metadata entry is refused. It guards against damage and
mistakes, not against someone who recomputes it; the shipped files are also
compared with the SHA-256 of their bytes recorded here (`SHIPPED_SHA256`).
"""

import hashlib
import json
import pickle
import warnings
from os import PathLike

import numpy as np
import torch

__all__ = ['SHIPPED_SHA256', 'WEIGHTS_FORMAT', 'file_sha256', 'load_weights',
           'payload_checksum', 'save_weights', 'shipped_weights_path', 'state_dict_checksum']

#: Marker written in every weights file of this package.
WEIGHTS_FORMAT = 'astro_galclass-weights'
#: Version written; version 1 files (no checksum) are still read.
WEIGHTS_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)

#: SHA-256 of the bytes of the weights files shipped in ``astro_galclass/data``;
#: `shipped_weights_path` refuses a file that differs.
SHIPPED_SHA256 = {
    'highz_default.pt': 'c2c178ae96d835aa9024d6ea8b50b228e54dfde5d6a379690e15ee2ee7395141',
    'morphology_default.pt': '3b816beb7491e99427b63fb12b0389d2c112ee83e56656f5a9251f2857ad0260',
}


def state_dict_checksum(state_dict):
    """
    SHA-256 of the parameters and buffers of a state dict.

    It depends only on the tensor names, dtypes, shapes and values (not on
    the device or the file they came from), so a model and its saved file
    have the same checksum.
    """
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().to('cpu').contiguous()
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes()
                      if tensor.numel() else b'')
    return digest.hexdigest()


def payload_checksum(state_dict, metadata):
    """
    SHA-256 of a state dict and its metadata, as stored in weights files.

    The tensors enter through `state_dict_checksum`; the metadata as JSON
    with sorted keys (non-finite numbers written as JSON's NaN and Infinity).
    """
    text = json.dumps(_plain(metadata), sort_keys=True, separators=(',', ':'))
    return hashlib.sha256((state_dict_checksum(state_dict) + text).encode()).hexdigest()


def file_sha256(path):
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _plain(value):
    """Convert metadata to types that ``weights_only`` loading accepts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or type(value) in (bool, int, float, str):
        return value
    # subclasses (torch.__version__ is a str subclass) would be pickled as
    # their own class, which weights_only loading refuses: store the base type
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    msg = (f'weights metadata must hold only dicts, lists, str, numbers, '
           f'bool or None, got {type(value).__name__} ({value!r})')
    raise TypeError(msg)


def save_weights(path, state_dict, metadata):
    """Write ``state_dict`` and ``metadata`` to ``path``."""
    state_dict = {k: v.detach().to('cpu') for k, v in state_dict.items()}
    metadata = _plain(metadata)
    payload = {
        'format': WEIGHTS_FORMAT,
        'format_version': WEIGHTS_FORMAT_VERSION,
        'metadata': metadata,
        'state_dict': state_dict,
        'checksum': payload_checksum(state_dict, metadata),
    }
    torch.save(payload, path)


def load_weights(path):
    """
    Read a weights file safely.

    Returns
    -------
    state_dict : dict of `torch.Tensor`
        On the CPU.
    metadata : dict
    """
    if not isinstance(path, (str, PathLike)):
        msg = f'weights must be a file path, got {type(path).__name__}'
        raise TypeError(msg)
    try:
        with warnings.catch_warnings():
            # torch warns about the pickle protocol of files it did not write
            warnings.filterwarnings('ignore', message='Detected pickle protocol')
            payload = torch.load(path, map_location='cpu', weights_only=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except pickle.UnpicklingError as exc:
        msg = (f'{path!s} holds Python objects other than tensors and plain '
               'containers and was refused (it is not an astro_galclass '
               f'weights file, or it was tampered with): {exc}')
        raise ValueError(msg) from exc
    except Exception as exc:  # torch raises many types for foreign files
        msg = (f'{path!s} is not an astro_galclass weights file (torch could '
               f'not read it: {exc})')
        raise ValueError(msg) from exc
    if not (isinstance(payload, dict) and payload.get('format') == WEIGHTS_FORMAT):
        found = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        msg = (f'{path!s} is not an astro_galclass weights file: expected a '
               f"dict with format={WEIGHTS_FORMAT!r}, got {found}")
        raise ValueError(msg)
    version = payload.get('format_version')
    if version not in _READABLE_VERSIONS:
        msg = (f'{path!s} has weights format version {version}; this version '
               f'of astro_galclass reads versions {list(_READABLE_VERSIONS)}')
        raise ValueError(msg)
    state_dict = payload.get('state_dict')
    metadata = payload.get('metadata')
    if (not isinstance(state_dict, dict) or not isinstance(metadata, dict)
            or not all(isinstance(v, torch.Tensor) for v in state_dict.values())):
        msg = f'{path!s} is damaged: its state_dict or metadata is missing'
        raise ValueError(msg)
    if version >= 2:
        try:
            expected = payload_checksum(state_dict, metadata)
        except (TypeError, ValueError) as exc:
            msg = f'{path!s} is damaged: its metadata cannot be checked ({exc})'
            raise ValueError(msg) from exc
        if payload.get('checksum') != expected:
            msg = (f'{path!s} is damaged or was altered: the checksum of its tensors and '
                   'metadata does not match the one it was saved with')
            raise ValueError(msg)
    return state_dict, metadata


def shipped_weights_path(filename):
    """Path of a weights file shipped in ``astro_galclass/data``; clear error if absent."""
    from importlib.resources import files

    path = files('astro_galclass') / 'data' / filename
    if not path.is_file():
        model = 'morphology' if filename.startswith('morphology') else 'highz'
        msg = (f'the shipped weights {filename} are not installed (looked in '
               f'{path}); rebuild them with "galclass train-{model} --recipe shipped '
               f'--output {path}"')
        raise FileNotFoundError(msg)
    expected = SHIPPED_SHA256.get(filename)
    if expected is not None and file_sha256(path) != expected:
        msg = (f'the shipped weights {path} are not the file this version of '
               f'astro_galclass was released with (SHA-256 {file_sha256(path)[:12]}..., '
               f'expected {expected[:12]}...): reinstall the package')
        raise ValueError(msg)
    return str(path)
