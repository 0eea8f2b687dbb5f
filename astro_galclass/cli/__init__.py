# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The ``galclass`` command line: ``classify``, ``demo``, ``train-highz``,
``evaluate-highz``, ``train-morphology``, ``evaluate-morphology``
(``galclass --help``, ``galclass COMMAND --help``, ``galclass --version``).

Each command is a module of this package with ``add_parser(sub)`` and
``run(args)``, a thin layer over the package's public functions.
"""

import argparse
import os
import sys

__all__ = ['main']


def _parser():
    from astro_galclass import __version__
    from astro_galclass.cli import (
        classify,
        demo,
        evaluate_highz,
        evaluate_morphology,
        train_highz,
        train_morphology,
    )

    parser = argparse.ArgumentParser(
        prog='galclass', description='Machine-learning classification of galaxies '
        'for Astropy users (astro_galclass).')
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', required=True)
    for command in (classify, demo, train_highz, evaluate_highz, train_morphology,
                    evaluate_morphology):
        command.add_parser(sub)
    return parser


def main(argv=None):
    """
    Entry point of the ``galclass`` command.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments, without the program name; by default
        (`None`) `argparse` reads them from ``sys.argv``.

    Returns
    -------
    int
        The exit status of the sub-command, 0 when it succeeds.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        # an input the command cannot use: one line, not a traceback
        # (GALCLASS_TRACEBACK=1 shows it)
        if os.environ.get('GALCLASS_TRACEBACK'):
            raise
        print(f'galclass {args.command}: error: {exc}', file=sys.stderr)
        return 1
