# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The ``galclass`` command line: ``classify``, ``demo``, ``train-highz``,
``evaluate-highz``, ``train-morphology``, ``evaluate-morphology``
(``galclass --help``, ``galclass COMMAND --help``, ``galclass --version``).
"""

import argparse
import os
import sys
import time
from pathlib import Path

__all__ = ['main']


def _band_images(pairs):
    """``['F090W=a.fits', ...]`` -> ordered dict band -> path."""
    images = {}
    for item in pairs:
        band, sep, path = item.partition('=')
        if not sep or not band or not path:
            msg = f'--images takes BAND=FILE pairs (e.g. F444W=f444w.fits), got {item!r}'
            raise SystemExit(msg)
        if band in images:
            msg = f'--images gives the band {band} twice'
            raise SystemExit(msg)
        if not Path(path).is_file():
            msg = f'--images: {path} (band {band}) is not a file'
            raise SystemExit(msg)
        images[band] = path
    return images


def _angle_or_column(text):
    """``'10 arcsec'`` -> an angle Quantity; anything else is a column name."""
    import astropy.units as u

    try:
        value = u.Quantity(text)
    except (TypeError, ValueError):
        return text
    if not value.unit.is_equivalent(u.arcsec):
        msg = f'--size must be an angle such as "10 arcsec" or a column name, got {text!r}'
        raise SystemExit(msg)
    return value


def _check_output(path, overwrite):
    """Fail before any work when the output cannot be written."""
    from astro_galclass.io import catalog_format

    path = Path(path)
    try:
        catalog_format(path)
    except ValueError as exc:
        msg = f'--output: {exc}'
        raise SystemExit(msg) from None
    if path.exists() and not overwrite:
        msg = f'{path} exists; pass --overwrite to replace it'
        raise SystemExit(msg)
    if not path.parent.is_dir():
        msg = f'the folder of --output, {path.parent}, does not exist'
        raise SystemExit(msg)


def _writable_file(path, what='--output'):
    """Fail before any work when a file cannot be written there (its folder is created)."""
    path = Path(path)
    if path.is_dir():
        msg = f'{what} {path} is a folder; expected a file name'
        raise SystemExit(msg)
    _writable_folder(path.parent, what)


def _writable_folder(folder, what='--output'):
    """Create ``folder`` if needed and check that files can be written in it."""
    import tempfile

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        msg = f'{what}: cannot write in {folder} ({exc.strerror or exc})'
        raise SystemExit(msg) from None


def _count(minimum):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            msg = f'expected an integer, got {text!r}'
            raise argparse.ArgumentTypeError(msg) from None
        if value < minimum:
            msg = f'expected an integer >= {minimum}, got {value}'
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = f'integer >= {minimum}'
    return parse


_positive = _count(1)
_non_negative = _count(0)


def _classify(args):
    import numpy as np
    from astropy.table import QTable

    _check_output(args.output, args.overwrite)
    images = _band_images(args.images)
    try:
        catalog = QTable.read(args.catalog)
    except Exception as exc:   # astropy raises many types for unreadable files
        msg = f'could not read the catalog {args.catalog}: {exc}'
        raise SystemExit(msg) from exc
    position = tuple(args.position_column) if args.position_column else None
    if position is not None and len(position) == 1:
        position = position[0]
    start = time.perf_counter()
    if args.model == 'highz':
        from astro_galclass.highz import HighZClassifier

        clf = (HighZClassifier.pretrained(device=args.device, batch_size=args.batch_size)
               if args.weights is None else
               HighZClassifier(args.weights, device=args.device, batch_size=args.batch_size))
        out = clf.classify_catalog(catalog, images, position_column=position,
                                   priors=args.priors, overwrite=args.overwrite_columns,
                                   progress=not args.no_progress)
        labels = np.asarray(np.ma.filled(out['highz_class'], 'unclassified')).astype(str)
        flags = np.asarray(out['highz_flags'])
        names = [*clf.classes, 'unclassified']
    else:
        from astro_galclass.morphology import MorphologyClassifier

        if args.priors is not None:
            msg = '--priors applies to --model highz only'
            raise SystemExit(msg)
        if len(images) not in (1, 3):
            msg = ('--model morphology takes one colour image or three bands (red, green, '
                   f'blue, in that order), got {len(images)}')
            raise SystemExit(msg)
        clf = (MorphologyClassifier.pretrained(device=args.device, batch_size=args.batch_size)
               if args.weights is None else
               MorphologyClassifier(args.weights, device=args.device,
                                    batch_size=args.batch_size))
        if len(images) == 1:
            from astropy.nddata import NDData

            from astro_galclass.utils._images import unpack_image

            (band, path), = images.items()
            one = unpack_image(path, f'image {band}')
            image = NDData(one.data, wcs=one.wcs, mask=one.mask)
        else:
            image = list(images.values())
        out = clf.classify_catalog(catalog, image, position_column=position,
                                   size=_angle_or_column(args.size),
                                   overwrite=args.overwrite_columns)
        smooth = out['t01_smooth_or_features_a01_smooth_fraction']
        featured = out['t01_smooth_or_features_a02_features_or_disk_fraction']
        labels = np.where(np.ma.getmaskarray(smooth), 'unclassified',
                          np.where(np.ma.filled(smooth, 0) >= np.ma.filled(featured, 0),
                                   'smooth', 'featured'))
        flags = np.asarray(out['morph_flags'])
        names = ['smooth', 'featured', 'unclassified']
    from astro_galclass.io import write_catalog

    write_catalog(out, args.output, overwrite=args.overwrite)
    counts = ', '.join(f'{name} {int(np.sum(labels == name))}' for name in names)
    print(f'{len(out)} sources in {time.perf_counter() - start:.0f} s: {counts}; '
          f'{int(np.sum(flags != 0))} flagged; wrote {args.output}')
    return 0


def _demo(args):
    from astro_galclass.demo import run_demo

    _writable_folder(args.output)
    run_demo(args.output, n_sources=args.n_sources, shape=(args.size, args.size),
             seed=args.seed, device=args.device)
    return 0


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


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        msg = f'expected a fraction between 0 and 1, got {text!r}'
        raise argparse.ArgumentTypeError(msg)
    return value


def _priors(text):
    """``low_z=0.88,high_z=0.1,brown_dwarf=0.02`` -> dict (an argparse type)."""
    try:
        pairs = [item.split('=') for item in text.split(',')]
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError:
        msg = f'expected class=fraction pairs separated by commas, got {text!r}'
        raise argparse.ArgumentTypeError(msg) from None


def _or(value, default):
    return default if value is None else value


def _recipe_only(args, names, recipe='shipped'):
    """Refuse options that apply only with ``--recipe`` ``recipe``."""
    given = [f'--{k.replace("_", "-")}' for k in names if getattr(args, k) is not None]
    if given:
        msg = f'{given} apply only with --recipe {recipe}'
        raise SystemExit(msg)


def _train_highz_recipe(args):
    from astro_galclass.training.highz import reproduce_highz

    if args.data is not None:
        msg = '--recipe shipped trains on simulations; it cannot be combined with --data'
        raise SystemExit(msg)
    start = time.perf_counter()
    clf, history = reproduce_highz(
        args.output, device=args.device, init=_init_path(args.init, 'highz'),
        max_epochs=args.max_epochs, finetune_epochs=args.finetune_epochs,
        batches_per_epoch=args.batches_per_epoch,
        n_val=args.n_val, workers=args.workers, time_budget=args.time_budget,
        checkpoint_dir=args.checkpoint_dir, progress=not args.no_progress)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'\nstopped by {history.meta.get("stopped_by")}; temperature {clf.temperature:.3f}; '
          f'wrote {args.output} in {time.perf_counter() - start:.0f} s')
    return 0


def _train_highz_sky(args):
    from astro_galclass.training.highz import finetune_highz_bands, finetune_highz_sky

    if args.data is not None or args.finetune_epochs is not None:
        msg = (f'--recipe {args.recipe} continues a network on simulations; it cannot be '
               'combined with --data or --finetune-epochs')
        raise SystemExit(msg)
    start = time.perf_counter()
    function = finetune_highz_sky if args.recipe == 'sky' else finetune_highz_bands
    clf, history = function(
        args.output, init=_init_path(args.init, 'highz'), device=args.device,
        max_epochs=args.max_epochs, batches_per_epoch=args.batches_per_epoch,
        n_val=args.n_val, workers=args.workers,
        time_budget=args.time_budget, checkpoint_dir=args.checkpoint_dir,
        progress=not args.no_progress)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'\nstopped by {history.meta.get("stopped_by")}; temperature {clf.temperature:.3f}; '
          f'default priors {clf.default_priors}; wrote {args.output} in '
          f'{time.perf_counter() - start:.0f} s')
    return 0


def _train_highz_head(args):
    from astro_galclass.training.highz import finetune_highz_head, finetune_highz_top

    given = [f'--{k.replace("_", "-")}' for k in ('data', 'finetune_epochs', 'workers',
                                                  'batches_per_epoch', 'n_val', 'freeze', 'lr',
                                                  'batch_size', 'patience')
             if getattr(args, k) is not None]
    if given:
        msg = (f'--recipe {args.recipe} retrains the top of a network on simulations; it '
               f'cannot be combined with {given}')
        raise SystemExit(msg)
    start = time.perf_counter()
    function = finetune_highz_head if args.recipe == 'head' else finetune_highz_top
    clf, history = function(
        args.output, init=_init_path(args.init, 'highz'), device=args.device,
        n_sky=args.n_sky, n_balanced=args.n_balanced, max_epochs=args.max_epochs,
        time_budget=args.time_budget, checkpoint_dir=args.checkpoint_dir,
        progress=not args.no_progress, **({} if args.name is None else {'name': args.name}))
    history.pprint(max_lines=-1, max_width=-1)
    print(f'\nstopped by {history.meta.get("stopped_by")}; temperature {clf.temperature:.3f}; '
          f'default priors {clf.default_priors}; wrote {args.output} in '
          f'{time.perf_counter() - start:.0f} s')
    return 0


def _train_highz(args):

    from astro_galclass.training.highz import train_highz, train_highz_simulated

    _writable_file(args.output)
    if args.checkpoint_dir is not None:
        _writable_folder(args.checkpoint_dir, '--checkpoint-dir')
    if args.recipe in ('head', 'top'):
        return _train_highz_head(args)
    _recipe_only(args, ('n_sky', 'n_balanced'), 'head or top')
    if args.recipe == 'shipped':
        return _train_highz_recipe(args)
    if args.recipe in ('sky', 'bands'):
        return _train_highz_sky(args)
    _recipe_only(args, ('finetune_epochs', 'workers'))
    if args.init is not None:
        return _fine_tune_highz(args)
    _fine_tune_only(args)
    batch_size = _or(args.batch_size, 128)
    max_epochs = _or(args.max_epochs, 30)
    args.lr, args.patience = _or(args.lr, 5e-4), _or(args.patience, 6)
    if args.data is not None:
        cutouts, labels, validation = _labelled_cutouts(args.data)
        val = {} if validation is None else {'val_cutouts': validation[0],
                                             'val_labels': validation[1]}
        clf, history = train_highz(cutouts, labels, **val, batch_size=batch_size, lr=args.lr,
                                   max_epochs=max_epochs, patience=args.patience,
                                   device=args.device, seed=args.seed,
                                   checkpoint_dir=args.checkpoint_dir,
                                   name=args.name, training=f'labelled cutouts {args.data}',
                                   time_budget=args.time_budget,
                                   progress=not args.no_progress)
    else:
        from astro_galclass.simulate import NIRCamSimulator

        clf, history = train_highz_simulated(
            NIRCamSimulator(depth=args.depth, seed=args.seed),
            val_simulator=NIRCamSimulator(depth=args.depth, seed=args.seed + 1),
            n_val=_or(args.n_val, 6000), batch_size=batch_size,
            batches_per_epoch=_or(args.batches_per_epoch, 100), lr=args.lr,
            max_epochs=max_epochs, patience=args.patience, device=args.device,
            seed=args.seed, checkpoint_dir=args.checkpoint_dir, name=args.name,
            time_budget=args.time_budget, progress=not args.no_progress)
    clf.save(args.output)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'temperature {clf.temperature:.3f}; wrote {args.output}')
    return 0


def _evaluate_morphology(args):
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


def _selection_goal(args):
    if args.select_contamination is not None:
        return {'max_contamination': args.select_contamination}
    if args.select_completeness is not None:
        return {'min_completeness': args.select_completeness}
    return None


def _evaluate_highz(args):
    from astro_galclass.highz import HighZClassifier
    from astro_galclass.training.benchmark import (
        HIGHZ_SKY_TARGETS,
        benchmark_highz,
        check_targets,
        improvement_table,
    )
    from astro_galclass.training.evaluate import plot_highz_evaluation

    if args.output is not None:
        _writable_folder(args.output)
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


_MORPH_ARCHS = ('parallel_cnn', 'compact_vit', 'resnet50', 'vgg16', 'vit_b_16')


def _morphology_data(args):
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

        images, table = MorphologySimulator(seed=args.seed).sample(args.simulate)
        counts = np.stack([table[c] for c in GZ2_TREE.gz2_columns('count')], axis=1)
    return images, table, counts


def _train_morphology_recipe(args):
    from astro_galclass.training.morphology import (
        finetune_morphology_photograph,
        reproduce_morphology,
    )

    given = [a for a in ('kaggle', 'npz', 'catalogue', 'simulate') if getattr(args, a) is not None]
    if given:
        msg = (f'--recipe {args.recipe} simulates its own galaxies; it cannot be combined '
               f'with {given}')
        raise SystemExit(msg)
    start = time.perf_counter()
    common = {'device': args.device, 'init': _init_path(args.init, 'morphology'),
              'max_epochs': args.max_epochs, 'n_images': args.n_images,
              'time_budget': args.time_budget, 'checkpoint_dir': args.checkpoint_dir,
              'progress': not args.no_progress}
    if args.recipe in ('photograph', 'photograph-stars'):
        if args.finetune_epochs is not None:
            msg = '--finetune-epochs applies only with --recipe shipped'
            raise SystemExit(msg)
        stage = 'photograph' if args.recipe == 'photograph' else 'stars'
        _, history = finetune_morphology_photograph(args.output, stage=stage, **common)
    else:
        _, history = reproduce_morphology(args.output, finetune_epochs=args.finetune_epochs,
                                          **common)
    history.pprint(max_lines=-1, max_width=-1)
    print(f'\nstopped by {history.meta.get("stopped_by")}; wrote {args.output} '
          f'in {time.perf_counter() - start:.0f} s')
    return 0


def _train_morphology(args):
    import numpy as np
    import torch

    from astro_galclass.morphology import CompactViT, ParallelCNN, TorchvisionBackbone
    from astro_galclass.training.evaluate import evaluate_morphology
    from astro_galclass.training.morphology import train_morphology

    _writable_file(args.output)
    if args.checkpoint_dir is not None:
        _writable_folder(args.checkpoint_dir, '--checkpoint-dir')

    if args.recipe is not None:
        return _train_morphology_recipe(args)
    _recipe_only(args, ('finetune_epochs', 'n_images'))
    if args.init is None:
        _fine_tune_only(args)
    args.lr = _or(args.lr, 1e-3 if args.init is None else 1e-4)
    args.patience = _or(args.patience, 5 if args.init is None else 3)
    images, table, counts = _morphology_data(args)
    torch.manual_seed(args.seed)
    if args.arch == 'parallel_cnn':
        model = ParallelCNN()
    elif args.arch == 'compact_vit':
        model = CompactViT()
    else:
        model = TorchvisionBackbone(args.arch, weights=args.backbone_weights)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(table))
    n_test = max(1, round(args.test_fraction * len(table)))
    test, rest = np.sort(order[:n_test]), np.sort(order[n_test:])
    if args.init is not None:
        return _fine_tune_morphology(args, images, table, rest, test)
    clf, history = train_morphology(
        images[rest], table[rest], counts=None if counts is None else counts[rest],
        model=model, loss=args.loss, lam=args.lam, batch_size=_or(args.batch_size, 64),
        lr=args.lr, max_epochs=_or(args.max_epochs, 30), patience=args.patience,
        device=args.device, seed=args.seed, checkpoint_dir=args.checkpoint_dir,
        name=args.name, time_budget=args.time_budget, progress=not args.no_progress)
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


def _init(text):
    """``--init``: 'pretrained' or a weights file (an argparse type)."""
    return text if text == 'pretrained' else Path(text)


def _init_path(init, task):
    """``--init`` as a path for the recipes ('pretrained': the shipped file)."""
    if init != 'pretrained':
        return init
    from astro_galclass.utils._weights import shipped_weights_path

    return shipped_weights_path(f'{task}_default.pt')


def _fine_tune_only(args):
    """Refuse ``--freeze`` without ``--init``."""
    if args.freeze is not None:
        msg = '--freeze applies only when fine-tuning (--init pretrained or a weights file)'
        raise SystemExit(msg)


def _base(cls, init, device):
    return cls.pretrained(device=device) if init == 'pretrained' else cls(init, device=device)


def _print_fine_tune(clf, history, output):
    history.pprint(max_lines=-1, max_width=-1)
    record = clf.metadata['fine_tune']
    print(f"\nvalidation before: {record['validation_before']}")
    print(f"validation after:  {record['validation_after']}")
    print(f'stopped by {history.meta.get("stopped_by")}; wrote {output}')


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


def _fine_tune_highz(args):
    from astro_galclass import HighZClassifier

    if args.data is None:
        msg = ('--init without --recipe fine-tunes on your labelled cutouts: give --data '
               '(or use --recipe sky/bands to continue a network on simulations)')
        raise SystemExit(msg)
    base = _base(HighZClassifier, args.init, args.device)
    cutouts, labels, validation = _labelled_cutouts(args.data)
    clf = base.fine_tune(cutouts, labels, epochs=_or(args.max_epochs, 10),
                         freeze=_or(args.freeze, 'none'),
                         validation=0.2 if validation is None else validation,
                         lr=_or(args.lr, 1e-4), batch_size=args.batch_size,
                         patience=_or(args.patience, 3), seed=args.seed,
                         progress=not args.no_progress, time_budget=args.time_budget,
                         name=args.name)
    clf.save(args.output)
    _print_fine_tune(clf, clf.history, args.output)
    return 0


def _fine_tune_morphology(args, images, table, rest, test):
    from astro_galclass.morphology import MorphologyClassifier
    from astro_galclass.training.evaluate import evaluate_morphology

    base = _base(MorphologyClassifier, args.init, args.device)
    clf = base.fine_tune(images[rest], table[rest], epochs=_or(args.max_epochs, 10),
                         freeze=_or(args.freeze, 'none'), lr=args.lr,
                         batch_size=args.batch_size, patience=args.patience, seed=args.seed,
                         progress=not args.no_progress, time_budget=args.time_budget,
                         name=args.name)
    clf.save(args.output)
    _print_fine_tune(clf, clf.history, args.output)
    for name, model in (('base', base), ('fine-tuned', clf)):
        result = evaluate_morphology(model, images[test], table[test])
        print(f'\ntest set ({len(test)} galaxies never used in training), {name} model:')
        result.pprint(max_lines=-1, max_width=-1)
        for key in ('smooth_featured_accuracy', 'n_unambiguous'):
            if key in result.meta:
                print(f'{key}: {result.meta[key]}')
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog='galclass', description='Machine-learning classification of galaxies '
        'for Astropy users (astro_galclass).')
    from astro_galclass import __version__

    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('classify', help='classify the sources of a catalog on FITS mosaics',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description='Classify every source of CATALOG (any format astropy '
                       'reads) on one FITS mosaic per band and write the catalog with the '
                       'classification columns appended (ECSV or FITS, by extension). '
                       'Every row is kept; rows that cannot be classified are masked and '
                       'flagged.')
    p.add_argument('catalog', type=Path, help='source catalog with sky positions')
    p.add_argument('--images', nargs='+', required=True, metavar='BAND=FILE',
                   help='one FITS mosaic per band with a WCS, e.g. F090W=f090w.fits ... '
                   'F444W=f444w.fits (highz); one colour image or three bands red, green, '
                   'blue in that order (morphology)')
    p.add_argument('-o', '--output', required=True, type=Path,
                   help='catalog to write (.ecsv, .fits or .h5), provenance included '
                   '(astro_galclass.io.write_catalog)')
    p.add_argument('--model', choices=('highz', 'morphology'), default='highz',
                   help='which classifier')
    p.add_argument('--weights', type=Path, default=None,
                   help='weights file (default: the shipped model)')
    p.add_argument('--position-column', nargs='+', default=None, metavar='COLUMN',
                   help='SkyCoord column, or RA and Dec columns (default: found as '
                   'classify_catalog finds them, e.g. sky_centroid)')
    p.add_argument('--priors', type=_priors, default=None,
                   help='highz: the class mix of your field, e.g. '
                   'low_z=0.9,high_z=0.1,brown_dwarf=0.001')
    p.add_argument('--size', default='10 arcsec',
                   help='morphology: cutout side, an angle or a catalog column of angles')
    p.add_argument('--batch-size', type=_positive, default=64, help='sources per forward pass')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.add_argument('--overwrite', action='store_true', help='replace the output file')
    p.add_argument('--overwrite-columns', action='store_true',
                   help='replace classification columns the catalog already has')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.set_defaults(func=_classify)

    p = sub.add_parser('demo', help='simulate a JADES-like field, detect, classify, '
                       'write catalog + regions + figure',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', default='galclass-demo', help='output folder')
    p.add_argument('--n-sources', type=_positive, default=500, help='simulated sources')
    p.add_argument('--size', type=_positive, default=2000,
                   help='short-wave mosaic side in pixels (0.031"/pix)')
    p.add_argument('--seed', type=int, default=2026, help='seed of the simulated field')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=_demo)

    p = sub.add_parser('train-highz', help='train a high-z classifier on simulations '
                       'or on your labelled cutouts, or retrain the shipped model',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', required=True, type=Path, help='weights file to write')
    p.add_argument('--recipe', choices=('shipped', 'head', 'top', 'sky', 'bands'), default=None,
                   help="'shipped': train with the two-stage recipe of version 3 "
                   '(astro_galclass.training.HIGHZ_RECIPE and HIGHZ_FINETUNE_RECIPE); '
                   "'head': retrain the dense head of a seven-band network on both "
                   'populations, convolutional layers frozen (HIGHZ_HEAD_RECIPE: how version 4 '
                   "was made from version 3); 'top': the same with the last spatial block "
                   'retrained too (HIGHZ_TOP_RECIPE); '
                   "'sky': continue a network on the sky population (HIGHZ_SKY_RECIPE, "
                   "an experiment, not the shipped recipe); 'bands': give a seven-band "
                   'network a band-availability input and continue it on band subsets '
                   '(HIGHZ_BANDS_RECIPE); the options below then override the recipe only '
                   'where given')
    p.add_argument('--init', type=_init, default=None,
                   help="'pretrained' (the shipped model) or a weights file. With --data: "
                   'fine-tune it on your labelled cutouts (HighZClassifier.fine_tune). With '
                   '--recipe shipped: start stage 2 from it (skips stage 1); with --recipe '
                   'head, top, sky or bands: the network to continue (default: the shipped one)')
    p.add_argument('--freeze', choices=('none', 'features'), default=None,
                   help="with --init and --data: 'features' trains only the dense head "
                   "(default 'none': all layers)")
    p.add_argument('--finetune-epochs', type=_non_negative, default=None,
                   help='with --recipe shipped: stage-2 epochs (0: stage 1 only)')
    p.add_argument('--workers', type=_non_negative, default=None,
                   help='with --recipe shipped: simulation processes (the batches depend on '
                   'their number)')
    p.add_argument('--n-sky', type=_positive, default=None,
                   help="with --recipe head or top: sky-population sources (the recipe's 24000)")
    p.add_argument('--n-balanced', type=_positive, default=None,
                   help="with --recipe head or top: balanced-population sources (the recipe's "
                   "16000)")
    p.add_argument('--data', type=Path, default=None,
                   help='.npz with "cutouts" (N, 7, 64, 64) in nJy/pix and "labels" '
                   '(0 low_z, 1 high_z, 2 brown_dwarf); optional "val_cutouts", '
                   '"val_labels". Without it, train on simulations.')
    p.add_argument('--depth', default='jades-deep', help='simulated depth preset')
    p.add_argument('--n-val', type=_positive, default=None,
                   help='simulated validation cutouts (default 6000, or the recipe\'s)')
    p.add_argument('--batch-size', type=_positive, default=None, help='default 128')
    p.add_argument('--batches-per-epoch', type=_positive, default=None,
                   help='simulated batches per epoch (default 100, or the recipe\'s)')
    p.add_argument('--lr', type=float, default=None,
                   help='Adam learning rate (default 5e-4; 1e-4 when fine-tuning with --init)')
    p.add_argument('--max-epochs', type=_positive, default=None,
                   help='default 30, 10 when fine-tuning (with --recipe shipped: stage-1 '
                   'epochs of the recipe)')
    p.add_argument('--patience', type=_positive, default=None,
                   help='early-stopping patience (default 6; 3 when fine-tuning)')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the simulations, the split and the initialisation')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.add_argument('--time-budget', type=float, default=None,
                   help='wall-clock seconds for the training: the epochs are fitted to it '
                   '(for runs on a lent GPU that must end saved)')
    p.add_argument('--checkpoint-dir', type=Path, default=None,
                   help='folder for a checkpoint after each epoch')
    p.add_argument('--name', default=None, help='model name stored in the weights')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    p.set_defaults(func=_train_highz)

    p = sub.add_parser('evaluate-highz', help='evaluate a high-z model and the '
                       'baselines on a fresh simulated test set',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--weights', default=None, help='weights file (default: shipped model)')
    p.add_argument('--n-test', type=_positive, default=30000, help='simulated test sources')
    p.add_argument('--n-train-baseline', type=_positive, default=30000,
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
    p.add_argument('--priors', type=_priors, default=None,
                   help='also score every model at this class mix, e.g. '
                   'low_z=0.88,high_z=0.1,brown_dwarf=0.02 (fractions are normalised)')
    p.add_argument('--population', choices=('balanced', 'sky'), default='balanced',
                   help="population of the test sources within each class; 'sky' also "
                   "scores every model at the sky's class mix at this depth unless --priors "
                   'is given')
    p.add_argument('--train-population', choices=('balanced', 'sky'), default='balanced',
                   help='population the Random Forest baseline is trained on')
    select = p.add_mutually_exclusive_group()
    select.add_argument('--select-contamination', type=_fraction, default=None,
                        help='also compare the network and the Random Forest at one '
                        'operating point: each model\'s p_high_z threshold for this '
                        "contamination (at the sky's mix or --priors) is measured on "
                        'other simulated sources (seed + 2) and applied to the test set, '
                        'with the paired test')
    select.add_argument('--select-completeness', type=_fraction, default=None,
                        help='the same for a completeness goal: each model\'s purest '
                        'selection reaching it')
    p.add_argument('--output', default=None, help='folder for evaluation.ecsv/.png')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=_evaluate_highz)

    p = sub.add_parser('train-morphology', help='train a Galaxy Zoo 2 morphology network, '
                       'or retrain the shipped model',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--output', required=True, type=Path, help='weights file to write')
    p.add_argument('--recipe', choices=('shipped', 'photograph', 'photograph-stars'),
                   default=None,
                   help="'shipped': the two-stage recipe of the v3 model on simulated "
                   "galaxies (MORPHOLOGY_RECIPE, MORPHOLOGY_FINETUNE_RECIPE); 'photograph': "
                   'continue a network (--init, default the shipped one) on simulated '
                   "photographs (MORPHOLOGY_PHOTOGRAPH_RECIPE); 'photograph-stars': then one "
                   'epoch with more stars and artifacts (MORPHOLOGY_STARS_RECIPE)')
    p.add_argument('--init', type=_init, default=None,
                   help="'pretrained' (the shipped model) or a weights file. With a data "
                   'source: fine-tune it on those galaxies (MorphologyClassifier.fine_tune, '
                   'images reframed as its training images). With --recipe shipped: a weights '
                   'file to start stage 2 from')
    p.add_argument('--freeze', choices=('none', 'features'), default=None,
                   help="with --init and a data source: 'features' trains only the head "
                   "(default 'none': all layers)")
    p.add_argument('--finetune-epochs', type=_non_negative, default=None,
                   help='with --recipe shipped: stage-2 epochs (0: stage 1 only)')
    p.add_argument('--n-images', type=_positive, default=None,
                   help='with --recipe: simulated galaxies per stage')
    p.add_argument('--kaggle', type=Path, default=None,
                   help='folder with training_solutions_rev1.csv and images_training_rev1/')
    p.add_argument('--npz', type=Path, default=None, help="the seed project's .npz")
    p.add_argument('--catalogue', type=Path, default=None,
                   help='table of image paths (file_loc) with GZ2 count or fraction columns')
    p.add_argument('--root', type=Path, default=None, help='folder of relative image paths')
    p.add_argument('--simulate', type=_positive, default=None,
                   help='train on N galaxies of the MorphologySimulator')
    p.add_argument('--limit', type=_positive, default=None, help='read only N Kaggle galaxies')
    p.add_argument('--arch', choices=_MORPH_ARCHS, default='parallel_cnn',
                   help='network')
    p.add_argument('--backbone-weights', type=Path, default=None,
                   help='local torchvision ImageNet state dict (never downloaded)')
    p.add_argument('--loss', choices=('rmse', 'dirichlet'), default='rmse',
                   help='RMSE on the Kaggle fractions, or the Dirichlet-multinomial '
                   'likelihood of the vote counts')
    p.add_argument('--lam', type=float, default=0.0, help='tree-penalty weight')
    p.add_argument('--test-fraction', type=float, default=0.1,
                   help='share of the galaxies held out as a test set')
    p.add_argument('--batch-size', type=_positive, default=None, help='default 64')
    p.add_argument('--lr', type=float, default=None,
                   help='Adam learning rate (default 1e-3; 1e-4 when fine-tuning with --init)')
    p.add_argument('--max-epochs', type=_positive, default=None,
                   help='default 30, 10 when fine-tuning (with --recipe shipped: stage-1 '
                   'epochs of the recipe)')
    p.add_argument('--patience', type=_positive, default=None,
                   help='early-stopping patience (default 5; 3 when fine-tuning)')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the split, the initialisation and the simulations')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.add_argument('--time-budget', type=float, default=None,
                   help='wall-clock seconds for the training: the epochs are fitted to it')
    p.add_argument('--checkpoint-dir', type=Path, default=None,
                   help='folder for a checkpoint after each epoch')
    p.add_argument('--name', default=None, help='model name stored in the weights')
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    p.set_defaults(func=_train_morphology)

    p = sub.add_parser('evaluate-morphology', help='evaluate a morphology model on a fresh '
                       'simulated test set',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--weights', default=None, help='weights file (default: shipped model)')
    p.add_argument('--n-test', type=_positive, default=5000, help='simulated test galaxies')
    p.add_argument('--seed', type=int, default=9, help='seed of the test set')
    p.add_argument('--realism', choices=('photograph', 'clean'), default='photograph',
                   help="simulated images: 'photograph' (fields, framings and photographic "
                   "styles) or 'clean' (the images the shipped v3 model was trained on)")
    p.add_argument('--no-reframe', action='store_true',
                   help='classify the images as framed, without reframing')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.set_defaults(func=_evaluate_morphology)
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


if __name__ == '__main__':
    sys.exit(main())
