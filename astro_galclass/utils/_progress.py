# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Progress bars: tqdm on stderr, silent when not a terminal or when switched off."""

from tqdm.auto import tqdm

__all__ = ['progress_bar']


def progress_bar(*, total, progress=True, **kwargs):
    """
    A tqdm progress bar on stderr, or a silent one.

    Parameters
    ----------
    total : int
        Number of steps.
    progress : bool, optional
        False: no bar. True: a bar when stderr is a terminal (tqdm's
        ``disable=None``), so that logs and pipes stay clean.
    **kwargs
        Passed to `tqdm.auto.tqdm` (``desc``, ``unit`` ...).

    Returns
    -------
    bar : `tqdm.tqdm`
        Use as a context manager; call ``update(n)``.
    """
    if not isinstance(progress, bool):
        msg = f'progress must be True or False, got {progress!r}'
        raise TypeError(msg)
    return tqdm(total=total, disable=None if progress else True, leave=False, **kwargs)
