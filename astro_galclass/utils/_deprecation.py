# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Old import paths that keep working for one release, with a warning."""

import importlib
import warnings

from astropy.utils.exceptions import AstropyDeprecationWarning

__all__ = ['moved_names']


def moved_names(old_module, moves):
    """
    A module ``__getattr__`` (PEP 562) for names that moved elsewhere.

    Parameters
    ----------
    old_module : str
        The module where the names used to live (for the message).
    moves : dict
        Name -> new module path, e.g. ``{'NIRCAM_BANDS': 'astro_galclass.nircam'}``,
        or name -> ``(new module path, new name)`` for a renamed object.

    Returns
    -------
    getattr : callable
        To be assigned to the old module's ``__getattr__``: it returns the
        object from its new home with an `~astropy.utils.exceptions.AstropyDeprecationWarning`
        naming that home, and raises `AttributeError` for other names.
    """

    def __getattr__(name):
        if name not in moves:
            msg = f'module {old_module!r} has no attribute {name!r}'
            raise AttributeError(msg)
        new, new_name = (moves[name] if isinstance(moves[name], tuple)
                         else (moves[name], name))
        warnings.warn(f'{old_module}.{name} has moved to {new}.{new_name}; the old path '
                      'will be removed in the next release', AstropyDeprecationWarning,
                      stacklevel=2)
        return getattr(importlib.import_module(new), new_name)

    return __getattr__
