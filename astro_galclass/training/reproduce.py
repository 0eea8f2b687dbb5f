# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Deprecated: retrain a shipped model with ``galclass train-highz --recipe
shipped`` (or ``train-morphology``).

``python -m astro_galclass.training.reproduce highz|morphology [options]``
still works for one release: it warns and runs the ``galclass`` command with
the same options, writing the shipped file when no ``--output`` is given, as
it used to. The recipes and functions live in `astro_galclass.training.highz`
and `astro_galclass.training.morphology`.
"""

import sys
import warnings
from pathlib import Path

from astropy.utils.exceptions import AstropyDeprecationWarning

from astro_galclass.utils._deprecation import moved_names

__all__ = ['main']

__getattr__ = moved_names('astro_galclass.training.reproduce', {
    'HIGHZ_RECIPE': 'astro_galclass.training.highz',
    'HIGHZ_FINETUNE_RECIPE': 'astro_galclass.training.highz',
    'reproduce_highz': 'astro_galclass.training.highz',
    'MORPHOLOGY_RECIPE': 'astro_galclass.training.morphology',
    'MORPHOLOGY_FINETUNE_RECIPE': 'astro_galclass.training.morphology',
    'reproduce_morphology': 'astro_galclass.training.morphology'})

_SHIPPED = {'highz': 'highz_default.pt', 'morphology': 'morphology_default.pt'}


def main(argv=None):
    """
    Run ``galclass train-<model> --recipe shipped`` with the given options.

    Parameters
    ----------
    argv : list of str, optional
        ``[model, *options]`` (default: the command line); ``model`` is
        ``highz`` or ``morphology``.

    Returns
    -------
    status : int
        The exit status of the ``galclass`` command.
    """
    from astro_galclass.cli import main as galclass

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in _SHIPPED:
        msg = ('usage: python -m astro_galclass.training.reproduce {highz,morphology} '
               '[options] (deprecated: use galclass train-highz --recipe shipped)')
        raise SystemExit(msg)
    model, options = argv[0], argv[1:]
    command = ['train-' + model, '--recipe', 'shipped', *options]
    warnings.warn('python -m astro_galclass.training.reproduce is deprecated; run '
                  f'"galclass {" ".join(command)}" instead', AstropyDeprecationWarning,
                  stacklevel=2)
    if not any(o == '--output' or o.startswith('--output=') for o in options):
        command += ['--output', str(Path(__file__).resolve().parent.parent / 'data'
                                    / _SHIPPED[model])]
    return galclass(command)


if __name__ == '__main__':
    sys.exit(main())
