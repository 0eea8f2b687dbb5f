# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``galclass demo``: simulate a field, detect, classify, write catalog, regions and figure."""

import argparse

from astro_galclass.cli._args import positive, writable_folder


def run(args):
    """
    Run ``galclass demo``.

    Parameters
    ----------
    args : `argparse.Namespace`
        The parsed options of the command.

    Returns
    -------
    status : int
        0 when it succeeds.
    """
    from astro_galclass.demo import run_demo

    writable_folder(args.output)
    run_demo(args.output, n_sources=args.n_sources, shape=(args.size, args.size),
             seed=args.seed, device=args.device)
    return 0


def add_parser(sub):
    """
    Add ``demo`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('demo', help='simulate a JADES-like field, detect, classify, '
                       'write catalog + regions + figure',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', default='galclass-demo', help='output folder')
    p.add_argument('--n-sources', type=positive, default=500, help='simulated sources')
    p.add_argument('--size', type=positive, default=2000,
                   help='short-wave mosaic side in pixels (0.031"/pix)')
    p.add_argument('--seed', type=int, default=2026, help='seed of the simulated field')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=run)
