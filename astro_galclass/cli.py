# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The ``galclass`` command line: ``demo``, ``train-highz``, ``evaluate-highz``."""

import argparse
import sys
from pathlib import Path

__all__ = ['main']


def _demo(args):
    from astro_galclass.demo import run_demo

    run_demo(args.output, n_sources=args.n_sources, shape=(args.size, args.size),
             seed=args.seed, device=args.device)
    return 0


def _train_highz(args):
    import numpy as np

    from astro_galclass.training.highz import train_highz, train_highz_simulated

    if args.data is not None:
        with np.load(args.data) as data:
            missing = {'cutouts', 'labels'} - set(data.files)
            if missing:
                msg = (f'{args.data} must hold arrays "cutouts" (N, 7, 64, 64, nJy per '
                       f'pixel) and "labels" (N,); missing {sorted(missing)}')
                raise SystemExit(msg)
            val = {}
            if 'val_cutouts' in data.files:
                val = {'val_cutouts': data['val_cutouts'], 'val_labels': data['val_labels']}
            clf, history = train_highz(data['cutouts'], data['labels'], **val,
                                       batch_size=args.batch_size, lr=args.lr,
                                       max_epochs=args.max_epochs, patience=args.patience,
                                       device=args.device, seed=args.seed,
                                       checkpoint_dir=args.checkpoint_dir,
                                       name=args.name, training=f'labelled cutouts {args.data}')
    else:
        from astro_galclass.simulate import NIRCamSimulator

        clf, history = train_highz_simulated(
            NIRCamSimulator(depth=args.depth, seed=args.seed),
            val_simulator=NIRCamSimulator(depth=args.depth, seed=args.seed + 1),
            n_val=args.n_val, batch_size=args.batch_size,
            batches_per_epoch=args.batches_per_epoch, lr=args.lr,
            max_epochs=args.max_epochs, patience=args.patience, device=args.device,
            seed=args.seed, checkpoint_dir=args.checkpoint_dir, name=args.name)
    clf.save(args.output)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'temperature {clf.temperature:.3f}; wrote {args.output}')
    return 0


def _evaluate_highz(args):
    from astro_galclass.highz import HighZClassifier
    from astro_galclass.training.benchmark import (
        benchmark_highz,
        check_targets,
        improvement_table,
    )
    from astro_galclass.training.evaluate import plot_highz_evaluation

    clf = (HighZClassifier.pretrained(device=args.device) if args.weights is None
           else HighZClassifier(args.weights, device=args.device))
    table, probs, truth, predictions = benchmark_highz(
        clf, n_test=args.n_test, n_train_baseline=args.n_train_baseline,
        depth=args.depth, seed=args.seed, baselines=not args.no_baselines,
        progress=lambda msg: print(msg, file=sys.stderr))
    print(f'{clf.name} (sha256 {clf.weights_sha256[:12]}) on {args.n_test} simulated '
          f'{args.depth} sources, seed {args.seed}, F444W S/N slices:\n')
    show = ['model', 'snr_slice', 'n', 'accuracy', 'recall_low_z', 'recall_brown_dwarf',
            'highz_completeness', 'highz_contamination', 'ece', 'roc_auc_high_z']
    table[show].pprint(max_lines=-1, max_width=-1)
    if not args.no_baselines:
        print()
        improvement_table(table).pprint(max_lines=-1, max_width=-1)
    print('\ntargets (CNN, S/N >= 10):')
    for line in check_targets(table):
        print('  ' + line)
    if args.output is not None:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        table.write(out / 'evaluation.ecsv', overwrite=True)
        import matplotlib

        matplotlib.use('Agg')
        fig = plot_highz_evaluation(probs, truth, baselines=predictions)
        fig.savefig(out / 'evaluation.png', dpi=100)
        print(f'\nwrote {out}/evaluation.ecsv and evaluation.png')
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog='galclass', description='Machine-learning classification of galaxies '
        'for Astropy users (astro_galclass).')
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('demo', help='simulate a JADES-like field, detect, classify, '
                       'write catalog + regions + figure')
    p.add_argument('--output', default='galclass-demo', help='output folder')
    p.add_argument('--n-sources', type=int, default=500)
    p.add_argument('--size', type=int, default=2000,
                   help='short-wave mosaic side in pixels (0.031"/pix)')
    p.add_argument('--seed', type=int, default=2026)
    p.add_argument('--device', default='auto')
    p.set_defaults(func=_demo)

    p = sub.add_parser('train-highz', help='train a high-z classifier on simulations '
                       'or on your labelled cutouts')
    p.add_argument('--output', required=True, type=Path, help='weights file to write')
    p.add_argument('--data', type=Path, default=None,
                   help='.npz with "cutouts" (N, 7, 64, 64) in nJy/pix and "labels" '
                   '(0 low_z, 1 high_z, 2 brown_dwarf); optional "val_cutouts", '
                   '"val_labels". Without it, train on simulations.')
    p.add_argument('--depth', default='jades-deep', help='simulated depth preset')
    p.add_argument('--n-val', type=int, default=6000)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--batches-per-epoch', type=int, default=100)
    p.add_argument('--lr', type=float, default=5e-4)
    p.add_argument('--max-epochs', type=int, default=30)
    p.add_argument('--patience', type=int, default=6)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='auto')
    p.add_argument('--checkpoint-dir', type=Path, default=None)
    p.add_argument('--name', default=None)
    p.set_defaults(func=_train_highz)

    p = sub.add_parser('evaluate-highz', help='evaluate a high-z model and the '
                       'baselines on a fresh simulated test set')
    p.add_argument('--weights', default=None, help='weights file (default: shipped model)')
    p.add_argument('--n-test', type=int, default=30000)
    p.add_argument('--n-train-baseline', type=int, default=30000)
    p.add_argument('--depth', default='jades-deep')
    p.add_argument('--seed', type=int, default=7)
    p.add_argument('--no-baselines', action='store_true')
    p.add_argument('--output', default=None, help='folder for evaluation.ecsv/.png')
    p.add_argument('--device', default='auto')
    p.set_defaults(func=_evaluate_highz)
    return parser


def main(argv=None):
    """Entry point of the ``galclass`` command."""
    args = _parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
