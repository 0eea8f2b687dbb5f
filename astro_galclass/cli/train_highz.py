# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
``galclass train-highz``: train a high-z classifier on simulations or on your
labelled cutouts (`~astro_galclass.training.train_highz_simulated`,
`~astro_galclass.training.train_highz`), fine-tune one on your labels
(``--init`` with ``--data``: `~astro_galclass.training.fine_tune_highz`), or
run a recipe of the shipped model (``--recipe``).
"""

import argparse
from pathlib import Path

from astro_galclass.cli import _recipes
from astro_galclass.cli._args import (
    add_run_options,
    base_classifier,
    check_outputs,
    init,
    non_negative,
    or_default,
    positive,
    print_fine_tune,
    run_options,
)

#: Options that apply to some ways of training only (`None` when not given).
CHECKED = ('init', 'freeze', 'stage2_epochs', 'workers', 'n_sky', 'n_balanced', 'data',
           'depth', 'n_val', 'batch_size', 'batches_per_epoch', 'lr', 'max_epochs',
           'patience', 'seed', 'name')
#: Those that training without ``--recipe`` takes.
USER_OPTIONS = ('init', 'freeze', 'data', 'depth', 'n_val', 'batch_size', 'batches_per_epoch',
                'lr', 'max_epochs', 'patience', 'seed', 'name')


def _labelled_cutouts(path):
    """``--data``: cutouts, labels and the optional (val_cutouts, val_labels) of an .npz."""
    import numpy as np

    with np.load(path) as data:
        missing = {'cutouts', 'labels'} - set(data.files)
        if missing:
            msg = (f'{path} must hold arrays "cutouts" (N, bands, 64, 64, nJy per '
                   f'pixel) and "labels" (N,); missing {sorted(missing)}')
            raise SystemExit(msg)
        validation = ((data['val_cutouts'], data['val_labels'])
                      if 'val_cutouts' in data.files else None)
        return data['cutouts'], data['labels'], validation


def _fine_tune(args):
    from astro_galclass import HighZClassifier
    from astro_galclass.training import fine_tune_highz

    if args.data is None:
        msg = ('--init without --recipe fine-tunes on your labelled cutouts: give --data '
               '(or use --recipe sky/bands to continue a network on simulations)')
        raise SystemExit(msg)
    base = base_classifier(HighZClassifier, args.init, args.device)
    cutouts, labels, validation = _labelled_cutouts(args.data)
    clf = fine_tune_highz(base, cutouts, labels, epochs=or_default(args.max_epochs, 10),
                          freeze=or_default(args.freeze, 'none'),
                          validation=0.2 if validation is None else validation,
                          lr=or_default(args.lr, 1e-4), batch_size=args.batch_size,
                          patience=or_default(args.patience, 3), name=args.name,
                          run=run_options(args, seed=or_default(args.seed, 0)))
    clf.save(args.output)
    print_fine_tune(clf, args.output)
    return 0


def _train(args):
    from astro_galclass.training import train_highz, train_highz_simulated

    if args.freeze is not None:
        msg = '--freeze applies only when fine-tuning (--init pretrained or a weights file)'
        raise SystemExit(msg)
    seed = or_default(args.seed, 0)
    run = run_options(args, seed=seed)
    common = {'batch_size': or_default(args.batch_size, 128),
              'lr': or_default(args.lr, 5e-4), 'max_epochs': or_default(args.max_epochs, 30),
              'patience': or_default(args.patience, 6), 'name': args.name, 'run': run}
    if args.data is not None:
        cutouts, labels, validation = _labelled_cutouts(args.data)
        clf, history = train_highz(cutouts, labels,
                                   validation=0.2 if validation is None else validation,
                                   training=f'labelled cutouts {args.data}', **common)
    else:
        from astro_galclass.simulate import NIRCamSimulator

        depth = or_default(args.depth, 'jades-deep')
        clf, history = train_highz_simulated(
            NIRCamSimulator(depth=depth, seed=seed),
            val_simulator=NIRCamSimulator(depth=depth, seed=seed + 1),
            n_val=or_default(args.n_val, 6000),
            batches_per_epoch=or_default(args.batches_per_epoch, 100), **common)
    clf.save(args.output)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'temperature {clf.temperature:.3f}; wrote {args.output}')
    return 0


def run(args):
    """
    Run ``galclass train-highz``.

    Parameters
    ----------
    args : `argparse.Namespace`
        The parsed options of the command.

    Returns
    -------
    status : int
        0 when it succeeds.
    """
    check_outputs(args)
    _recipes.check_options(args, 'highz', CHECKED, USER_OPTIONS)
    if args.recipe is not None:
        return _recipes.run_recipe(args, 'highz')
    if args.init is not None:
        return _fine_tune(args)
    return _train(args)


def add_parser(sub):
    """
    Add ``train-highz`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('train-highz', help='train a high-z classifier on simulations '
                       'or on your labelled cutouts, or retrain the shipped model',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', required=True, type=Path, help='weights file to write')
    p.add_argument('--recipe', choices=_recipes.recipe_names('highz'), default=None,
                   help='a recipe of the shipped model (astro_galclass.training.recipes): '
                   f"{_recipes.recipes_help('highz')}. The options below then override the "
                   'recipe only where given; an option a recipe does not take is an error')
    p.add_argument('--init', type=init, default=None,
                   help="'pretrained' (the shipped model) or a weights file. With --data: "
                   'fine-tune it on your labelled cutouts '
                   '(astro_galclass.training.fine_tune_highz). With --recipe: '
                   + _recipes.init_help('highz'))
    p.add_argument('--freeze', choices=('none', 'features'), default=None,
                   help="with --init and --data: 'features' trains only the dense head "
                   "(default 'none': all layers)")
    p.add_argument('--stage2-epochs', dest='stage2_epochs',
                   type=non_negative, default=None,
                   help='with --recipe shipped: stage-2 epochs (0: stage 1 only)')
    p.add_argument('--workers', type=non_negative, default=None,
                   help='with --recipe shipped, sky or bands: simulation processes (the '
                   'batches depend on their number)')
    p.add_argument('--n-sky', type=positive, default=None,
                   help="with --recipe head or top: sky-population sources (the recipe's 24000)")
    p.add_argument('--n-balanced', type=positive, default=None,
                   help="with --recipe head or top: balanced-population sources (the recipe's "
                   "16000)")
    p.add_argument('--data', type=Path, default=None,
                   help='.npz with "cutouts" (N, 7, 64, 64) in nJy/pix and "labels" '
                   '(class indices 0 low_z, 1 high_z, 2 brown_dwarf, or class names); '
                   'optional "val_cutouts", "val_labels". Without it, train on simulations.')
    p.add_argument('--depth', default=None, help="simulated depth preset (default 'jades-deep')")
    p.add_argument('--n-val', type=positive, default=None,
                   help='simulated validation cutouts (default 6000, or the recipe\'s)')
    p.add_argument('--batch-size', type=positive, default=None, help='default 128')
    p.add_argument('--batches-per-epoch', type=positive, default=None,
                   help='simulated batches per epoch (default 100, or the recipe\'s)')
    p.add_argument('--lr', type=float, default=None,
                   help='Adam learning rate (default 5e-4; 1e-4 when fine-tuning with --init)')
    p.add_argument('--max-epochs', type=positive, default=None,
                   help='default 30, 10 when fine-tuning (with --recipe shipped: stage-1 '
                   'epochs of the recipe)')
    p.add_argument('--patience', type=positive, default=None,
                   help='early-stopping patience (default 6; 3 when fine-tuning)')
    p.add_argument('--seed', type=int, default=None,
                   help='seed of the simulations, the split and the initialisation (default 0; '
                   'the recipes fix their own)')
    p.add_argument('--name', default=None, help='model name stored in the weights')
    add_run_options(p, time_budget_help='wall-clock seconds for the training: the epochs are '
                    'fitted to it (for runs on a lent GPU that must end saved)')
    p.set_defaults(func=run)
