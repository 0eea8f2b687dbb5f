# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``galclass evaluate-highz``: a high-z model and the baselines on a fresh simulated test set."""

import argparse
import sys
from pathlib import Path

from astro_galclass.cli._args import fraction, positive, priors, writable_folder


def _bands(text):
    """``--bands``: a survey name of SURVEY_BANDS or comma-separated band names."""
    from astro_galclass.nircam import NIRCAM_BANDS, SURVEY_BANDS

    if text in SURVEY_BANDS:
        return SURVEY_BANDS[text]
    bands = tuple(b.strip() for b in text.split(',') if b.strip())
    unknown = [b for b in bands if b not in NIRCAM_BANDS]
    if not bands or unknown:
        msg = (f'expected a survey among {sorted(SURVEY_BANDS)} or comma-separated bands '
               f'among {list(NIRCAM_BANDS)}, got {text!r}')
        raise argparse.ArgumentTypeError(msg)
    return bands


def _selection_goal(args):
    if args.select_contamination is not None:
        return {'max_contamination': args.select_contamination}
    if args.select_completeness is not None:
        return {'min_completeness': args.select_completeness}
    return None


def run(args):
    """
    Run ``galclass evaluate-highz``.

    Parameters
    ----------
    args : `argparse.Namespace`
        The parsed options of the command.

    Returns
    -------
    status : int
        0 when it succeeds.
    """
    from astro_galclass.highz import HighZClassifier
    from astro_galclass.training.benchmark import (
        HIGHZ_SKY_TARGETS,
        benchmark_highz,
        check_targets,
        improvement_table,
    )
    from astro_galclass.training.evaluate import plot_highz_evaluation

    if args.output is not None:
        writable_folder(args.output)
    clf = (HighZClassifier.pretrained(device=args.device) if args.weights is None
           else HighZClassifier(args.weights, device=args.device))
    table, probs, truth, predictions = benchmark_highz(
        clf, n_test=args.n_test, n_train_baseline=args.n_train_baseline,
        depth=args.depth, seed=args.seed, baselines=not args.no_baselines,
        progress=lambda msg: print(msg, file=sys.stderr), priors=args.priors,
        mix='priors', population=args.population, train_population=args.train_population,
        bands=args.bands, selection=_selection_goal(args))
    print(f'{clf.name} (sha256 {clf.weights_sha256[:12]}) on {args.n_test} simulated '
          f'{args.depth} sources ({args.population} population, classes in equal thirds), '
          f"bands {' '.join(table.meta['bands'])}, seed {args.seed}, F444W S/N slices:\n")
    if 'priors' in table.meta:
        name = 'priors' if args.priors is not None else 'sky'
        mix = ', '.join(f'{c}={f:.3g}' for c, f in table.meta['priors'].items())
        print(f'rows with mix "{name}" weight the test set to the class mix {mix} '
              '(probabilities shifted to it)\n')
    show = ['model', 'snr_slice', 'mix', 'n', 'accuracy', 'recall_low_z',
            'recall_brown_dwarf', 'highz_completeness', 'highz_contamination', 'ece',
            'roc_auc_high_z']
    table[show].pprint(max_lines=-1, max_width=-1)
    if not args.no_baselines:
        print()
        own = table[table['mix'] == 'test set']
        improvement_table(own, results={'CNN': probs, **{k: v for k, v in predictions.items()
                                                          if ' @ ' not in k}},
                          truth=truth).pprint(max_lines=-1, max_width=-1)
        for mix in sorted(set(table['mix']) - {'test set'}):
            # the paired test on the decisions at that mix (counts unweighted)
            suffix = f' @ {mix}'
            at_mix = {k[:-len(suffix)]: v for k, v in predictions.items() if k.endswith(suffix)}
            selection = mix.endswith(', selection')
            print(f'\nat the mix "{mix}" (paired counts over the unweighted test set'
                  + (', on the high-z decision' if selection else '') + '):')
            improvement_table(table[table['mix'] == mix], results=at_mix, truth=truth,
                              paired_on='high_z' if selection else 'class'
                              ).pprint(max_lines=-1, max_width=-1)
    print('\ntargets (CNN, S/N >= 10):')
    for line in check_targets(table):
        print('  ' + line)
    if 'sky' in set(table['mix']):
        print("\ntargets at the sky's mix (CNN, S/N >= 10, issue 13):")
        for line in check_targets(table, targets=HIGHZ_SKY_TARGETS, mix='sky'):
            print('  ' + line)
    if 'selection' in table.meta:
        chosen = table.meta['selection']
        (goal, value), = chosen['goal'].items()
        print(f"\nselections (rows 'selection' above): each model's p_high_z threshold for "
              f"{goal.replace('_', ' ')} {value}, measured on seed {args.seed + 2} at "
              f"S/N >= {chosen['snr_min']:g}:")
        for name, got in chosen.items():
            if name in ('goal', 'snr_min'):
                continue
            if 'error' in got:
                print(f'  {name}: none ({got["error"]})')
            else:
                print(f"  {name}: p_high_z >= {got['threshold']:.4f} (there completeness "
                      f"{got['calibration_completeness']:.4f}, contamination "
                      f"{got['calibration_contamination']:.4f})")
        if 'sky, selection' in set(table['mix']) and 'CNN' in chosen:
            goals = {k: HIGHZ_SKY_TARGETS[k] for k in ('highz_completeness',
                                                        'highz_contamination')}
            print("\nthe CNN's selection against the issue-13 goals (sky's mix, S/N >= 10):")
            for line in check_targets(table, targets=goals, mix='sky, selection'):
                print('  ' + line)
    if args.output is not None:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        table.write(out / 'evaluation.ecsv', overwrite=True)
        import matplotlib

        matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        fig = plot_highz_evaluation(probs, truth, baselines=predictions)
        fig.savefig(out / 'evaluation.png', dpi=100)
        plt.close(fig)
        print(f'\nwrote {out}/evaluation.ecsv and evaluation.png')
    return 0


def add_parser(sub):
    """
    Add ``evaluate-highz`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('evaluate-highz', help='evaluate a high-z model and the '
                       'baselines on a fresh simulated test set',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--weights', default=None, help='weights file (default: shipped model)')
    p.add_argument('--n-test', type=positive, default=30000, help='simulated test sources')
    p.add_argument('--n-train-baseline', type=positive, default=30000,
                   help='simulated sources to train the Random Forest baseline on')
    p.add_argument('--depth', default='jades-deep',
                   help="depth preset ('jades-deep', 'jades-medium', 'ceers', 'primer', "
                   "'cosmos-web')")
    p.add_argument('--bands', type=_bands, default=None,
                   help="evaluate on these bands only: a survey ('cosmos-web', 'ceers', ...: "
                   'its wide bands) or a comma-separated list such as '
                   'F115W,F150W,F277W,F444W; the Random Forest uses the same bands (default: '
                   "all the model's bands)")
    p.add_argument('--seed', type=int, default=7, help='seed of the test set')
    p.add_argument('--no-baselines', action='store_true',
                   help='skip the colour cuts and the Random Forest')
    p.add_argument('--priors', type=priors, default=None,
                   help='also score every model at this class mix, e.g. '
                   'low_z=0.88,high_z=0.1,brown_dwarf=0.02 (fractions are normalised)')
    p.add_argument('--population', choices=('balanced', 'sky'), default='balanced',
                   help="population of the test sources within each class; 'sky' also "
                   "scores every model at the sky's class mix at this depth unless --priors "
                   'is given')
    p.add_argument('--train-population', choices=('balanced', 'sky'), default='balanced',
                   help='population the Random Forest baseline is trained on')
    select = p.add_mutually_exclusive_group()
    select.add_argument('--select-contamination', type=fraction, default=None,
                        help='also compare the network and the Random Forest at one '
                        'operating point: each model\'s p_high_z threshold for this '
                        "contamination (at the sky's mix or --priors) is measured on "
                        'other simulated sources (seed + 2) and applied to the test set, '
                        'with the paired test')
    select.add_argument('--select-completeness', type=fraction, default=None,
                        help='the same for a completeness goal: each model\'s purest '
                        'selection reaching it')
    p.add_argument('--output', default=None, help='folder for evaluation.ecsv/.png')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=run)
