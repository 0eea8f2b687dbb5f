# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
``galclass train-morphology``: train a Galaxy Zoo 2 morphology network on
labelled galaxies (`~astro_galclass.training.train_morphology`), fine-tune
one on them (``--init``: `~astro_galclass.training.fine_tune_morphology`),
or run a recipe of the shipped model (``--recipe``).
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

ARCHITECTURES = ('parallel_cnn', 'compact_vit', 'resnet50', 'vgg16', 'vit_b_16')
#: Options that apply to some ways of training only (`None` when not given).
CHECKED = ('init', 'freeze', 'stage2_epochs', 'n_images', 'kaggle', 'npz', 'catalogue', 'root',
           'simulate', 'limit', 'arch', 'backbone_weights', 'loss', 'lam', 'test_fraction',
           'batch_size', 'lr', 'max_epochs', 'patience', 'seed', 'name')
#: Those that training without ``--recipe`` takes.
USER_OPTIONS = tuple(d for d in CHECKED if d not in ('stage2_epochs', 'n_images'))


def _morphology_data(args):
    """The images, label table and vote counts (or None) of the data source given."""
    import numpy as np

    from astro_galclass.morphology import (
        GZ2_TREE,
        load_gz2_catalogue,
        load_kaggle_galaxy_zoo,
        load_seed_npz,
    )

    given = [a for a in ('kaggle', 'npz', 'catalogue', 'simulate')
             if getattr(args, a) is not None]
    if len(given) != 1:
        msg = ('give exactly one data source: --kaggle DIR, --npz FILE, --catalogue FILE '
               f'or --simulate N (got {given or "none"})')
        raise SystemExit(msg)
    counts = None
    if args.kaggle is not None:
        images, table = load_kaggle_galaxy_zoo(args.kaggle, limit=args.limit)
    elif args.npz is not None:
        images, table = load_seed_npz(args.npz)
    elif args.catalogue is not None:
        images, table = load_gz2_catalogue(args.catalogue, root=args.root)
        if GZ2_TREE.gz2_columns('count')[0] in table.colnames:
            counts = np.stack([table[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    else:
        from astro_galclass.simulate import MorphologySimulator

        images, table = MorphologySimulator(seed=or_default(args.seed, 0)).sample(args.simulate)
        counts = np.stack([table[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    return images, table, counts


def _model(args):
    import torch

    from astro_galclass.morphology import CompactViT, ParallelCNN, TorchvisionBackbone

    torch.manual_seed(or_default(args.seed, 0))
    arch = or_default(args.arch, 'parallel_cnn')
    if arch == 'parallel_cnn':
        return ParallelCNN()
    if arch == 'compact_vit':
        return CompactViT()
    return TorchvisionBackbone(arch, weights=args.backbone_weights)


def _fine_tune(args, images, table, rest, test):
    from astro_galclass.morphology import MorphologyClassifier
    from astro_galclass.training import fine_tune_morphology
    from astro_galclass.training.evaluate import evaluate_morphology

    base = base_classifier(MorphologyClassifier, args.init, args.device)
    clf = fine_tune_morphology(base, images[rest], table[rest],
                               epochs=or_default(args.max_epochs, 10),
                               freeze=or_default(args.freeze, 'none'),
                               lr=or_default(args.lr, 1e-4), batch_size=args.batch_size,
                               patience=or_default(args.patience, 3), name=args.name,
                               run=run_options(args, seed=or_default(args.seed, 0)))
    clf.save(args.output)
    print_fine_tune(clf, args.output)
    for name, model in (('base', base), ('fine-tuned', clf)):
        result = evaluate_morphology(model, images[test], table[test])
        print(f'\ntest set ({len(test)} galaxies never used in training), {name} model:')
        result.pprint(max_lines=-1, max_width=-1)
        for key in ('smooth_featured_accuracy', 'n_unambiguous'):
            if key in result.meta:
                print(f'{key}: {result.meta[key]}')
    return 0


def _train(args):
    import numpy as np

    from astro_galclass.training import train_morphology
    from astro_galclass.training.evaluate import evaluate_morphology

    if args.init is None and args.freeze is not None:
        msg = '--freeze applies only when fine-tuning (--init pretrained or a weights file)'
        raise SystemExit(msg)
    images, table, counts = _morphology_data(args)
    seed = or_default(args.seed, 0)
    model = _model(args) if args.init is None else None
    order = np.random.default_rng(seed).permutation(len(table))
    n_test = max(1, round(or_default(args.test_fraction, 0.1) * len(table)))
    test, rest = np.sort(order[:n_test]), np.sort(order[n_test:])
    if args.init is not None:
        return _fine_tune(args, images, table, rest, test)
    clf, history = train_morphology(
        images[rest], table[rest], counts=None if counts is None else counts[rest],
        model=model, loss=or_default(args.loss, 'rmse'), lam=or_default(args.lam, 0.0),
        batch_size=or_default(args.batch_size, 64), lr=or_default(args.lr, 1e-3),
        max_epochs=or_default(args.max_epochs, 30), patience=or_default(args.patience, 5),
        name=args.name, run=run_options(args, seed=seed))
    clf.save(args.output)
    history.pprint(max_lines=-1, max_width=-1)
    result = evaluate_morphology(clf, images[test], table[test])
    print(f'\ntest set: {len(test)} galaxies never used in training')
    result.pprint(max_lines=-1, max_width=-1)
    for key in ('max_tree_residual', 'smooth_featured_accuracy', 'n_unambiguous'):
        if key in result.meta:
            print(f'{key}: {result.meta[key]}')
    print(f'wrote {args.output}')
    return 0


def run(args):
    """
    Run ``galclass train-morphology``.

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
    _recipes.check_options(args, 'morphology', CHECKED, USER_OPTIONS)
    if args.recipe is not None:
        return _recipes.run_recipe(args, 'morphology')
    return _train(args)


def add_parser(sub):
    """
    Add ``train-morphology`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('train-morphology', help='train a Galaxy Zoo 2 morphology network, '
                       'or retrain the shipped model',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', required=True, type=Path, help='weights file to write')
    p.add_argument('--recipe', choices=_recipes.recipe_names('morphology'), default=None,
                   help='a recipe of the shipped model (astro_galclass.training.recipes): '
                   f"{_recipes.recipes_help('morphology')}. The options below then override "
                   'the recipe only where given; an option a recipe does not take is an error')
    p.add_argument('--init', type=init, default=None,
                   help="'pretrained' (the shipped model) or a weights file. With a data "
                   'source: fine-tune it on those galaxies '
                   '(astro_galclass.training.fine_tune_morphology, images reframed as its '
                   'training images). With --recipe: ' + _recipes.init_help('morphology'))
    p.add_argument('--freeze', choices=('none', 'features'), default=None,
                   help="with --init and a data source: 'features' trains only the head "
                   "(default 'none': all layers)")
    p.add_argument('--stage2-epochs', dest='stage2_epochs',
                   type=non_negative, default=None,
                   help='with --recipe shipped: stage-2 epochs (0: stage 1 only)')
    p.add_argument('--n-images', type=positive, default=None,
                   help='with --recipe: simulated galaxies per stage')
    p.add_argument('--kaggle', type=Path, default=None,
                   help='folder with training_solutions_rev1.csv and images_training_rev1/')
    p.add_argument('--npz', type=Path, default=None, help="the seed project's .npz")
    p.add_argument('--catalogue', type=Path, default=None,
                   help='table of image paths (file_loc) with GZ2 count or fraction columns')
    p.add_argument('--root', type=Path, default=None, help='folder of relative image paths')
    p.add_argument('--simulate', type=positive, default=None,
                   help='train on N galaxies of the MorphologySimulator')
    p.add_argument('--limit', type=positive, default=None, help='read only N Kaggle galaxies')
    p.add_argument('--arch', choices=ARCHITECTURES, default=None,
                   help="network (default 'parallel_cnn')")
    p.add_argument('--backbone-weights', type=Path, default=None,
                   help='local torchvision ImageNet state dict (never downloaded)')
    p.add_argument('--loss', choices=('rmse', 'dirichlet'), default=None,
                   help="'rmse' (default) on the Kaggle fractions, or 'dirichlet': the "
                   'Dirichlet-multinomial likelihood of the vote counts')
    p.add_argument('--lam', type=float, default=None, help='tree-penalty weight (default 0)')
    p.add_argument('--test-fraction', type=float, default=None,
                   help='share of the galaxies held out as a test set (default 0.1)')
    p.add_argument('--batch-size', type=positive, default=None, help='default 64')
    p.add_argument('--lr', type=float, default=None,
                   help='Adam learning rate (default 1e-3; 1e-4 when fine-tuning with --init)')
    p.add_argument('--max-epochs', type=positive, default=None,
                   help='default 30, 10 when fine-tuning (with --recipe shipped: stage-1 '
                   'epochs of the recipe)')
    p.add_argument('--patience', type=positive, default=None,
                   help='early-stopping patience (default 5; 3 when fine-tuning)')
    p.add_argument('--seed', type=int, default=None,
                   help='seed of the split, the initialisation and the simulations (default 0; '
                   'the recipes fix their own)')
    p.add_argument('--name', default=None, help='model name stored in the weights')
    add_run_options(p, time_budget_help='wall-clock seconds for the training: the epochs are '
                    'fitted to it')
    p.set_defaults(func=run)
