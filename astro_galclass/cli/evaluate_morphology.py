# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``galclass evaluate-morphology``: a morphology model on a fresh simulated test set."""

import argparse

from astro_galclass.cli._args import positive


def run(args):
    """
    Run ``galclass evaluate-morphology``.

    Parameters
    ----------
    args : `argparse.Namespace`
        The parsed options of the command.

    Returns
    -------
    status : int
        0 when it succeeds.
    """
    from astro_galclass.morphology import MorphologyClassifier
    from astro_galclass.simulate import MorphologySimulator
    from astro_galclass.training.evaluate import evaluate_morphology

    clf = (MorphologyClassifier.pretrained(device=args.device) if args.weights is None
           else MorphologyClassifier(args.weights, device=args.device))
    print(f'simulating {args.n_test} test galaxies (MorphologySimulator, seed {args.seed}, '
          f'realism {args.realism!r})')
    images, truth = MorphologySimulator(seed=args.seed, realism=args.realism).sample(
        args.n_test)
    table = evaluate_morphology(clf, images, truth, reframe=not args.no_reframe)
    print(f'{clf.name} (sha256 {clf.weights_sha256[:12]}) on {args.n_test} simulated galaxies '
          f'({"not " if args.no_reframe else ""}reframed), RMSE against the Kaggle '
          'cumulative vote fractions:\n')
    table.pprint(max_lines=-1, max_width=-1)
    if 'rmse_vs_expected' in table.meta:
        print(f'\nRMSE against the expected (infinite-volunteer) fractions: '
              f'{table.meta["rmse_vs_expected"]:.4f}; the vote labels themselves differ from '
              f'them by {table.meta["vote_noise_rmse"]:.4f} (vote noise)')
    rmse = float(table['rmse'][0])
    residual = table.meta['max_tree_residual']
    accuracy = table.meta['smooth_featured_accuracy']
    print('\ntargets:')
    for name, value, goal, ok in (
            ('RMSE, 37 targets', rmse, '<= 0.07', rmse <= 0.07),
            ('largest tree-identity residual', residual, '<= 1e-6', residual <= 1e-6),
            (f'smooth vs featured accuracy ({table.meta["n_unambiguous"]} unambiguous)',
             accuracy, '>= 0.95', accuracy >= 0.95)):
        print(f'  {name:48s} {value:.4g}  (goal {goal}: {"met" if ok else "NOT met"})')
    return 0


def add_parser(sub):
    """
    Add ``evaluate-morphology`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('evaluate-morphology', help='evaluate a morphology model on a fresh '
                       'simulated test set',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--weights', default=None, help='weights file (default: shipped model)')
    p.add_argument('--n-test', type=positive, default=5000, help='simulated test galaxies')
    p.add_argument('--seed', type=int, default=9, help='seed of the test set')
    p.add_argument('--realism', choices=('photograph', 'clean'), default='photograph',
                   help="simulated images: 'photograph' (fields, framings and photographic "
                   "styles) or 'clean' (the images the shipped v3 model was trained on)")
    p.add_argument('--no-reframe', action='store_true',
                   help='classify the images as framed, without reframing')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=run)
