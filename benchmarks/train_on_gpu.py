# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Time-boxed training runs for a lent GPU machine (not part of ``tox -e bench``).

A GPU removes the network as the bottleneck, so these runs simulate their
data in parallel worker processes and fit the number of epochs to a wall-clock
budget measured at the start (a probe of the data rate), so that a run ends,
calibrated and saved, inside a fixed lease::

    python benchmarks/train_on_gpu.py highz --init astro_galclass/data/highz_default.pt \\
        --budget 420 --workers 12 --output out/highz_stage3.pt
    python benchmarks/train_on_gpu.py morphology --width 1.0 --n-images 120000 \\
        --budget 420 --workers 12 --output out/morphology_wide.pt

Each writes the weights (with the recipe actually used in their metadata) and
prints the training history. Whether a result is shipped is decided by
``galclass evaluate-highz`` / ``galclass evaluate-morphology`` on the usual
test sets, run afterwards on the CPU.
"""

import argparse
import copy
import itertools
import sys
import time
from pathlib import Path

import torch


def _highz(args):
    from astro_galclass.highz.classifier import HighZClassifier
    from astro_galclass.highz.normalization import AsinhNormalization
    from astro_galclass.simulate import NIRCamSimulator
    from astro_galclass.training.augment import CutoutAugmentation
    from astro_galclass.training.data import (
        MixedBatches,
        SimulatedBatches,
        SimulatedMosaicBatches,
    )
    from astro_galclass.training.highz import train_highz_simulated

    start = time.perf_counter()
    # probe the data rate with the same streams the run will use (other seeds)
    n_mosaic = round(args.batch_size * args.mosaic_fraction)
    probe_sim = NIRCamSimulator(depth='jades-deep', seed=1)
    streams = [SimulatedBatches(probe_sim, batch_size=args.batch_size - n_mosaic,
                                batches_per_epoch=10 ** 6, normalization=AsinhNormalization(),
                                augmentation=CutoutAugmentation(), workers=args.workers)]
    if n_mosaic:
        streams.append(SimulatedMosaicBatches(probe_sim, batch_size=n_mosaic,
                                              batches_per_epoch=10 ** 6,
                                              normalization=AsinhNormalization(),
                                              workers=args.workers))
    it = iter(MixedBatches(streams))
    for _ in itertools.islice(it, 3 * args.workers):   # let the workers fill up
        pass
    t0 = time.perf_counter()
    n_probe = 0
    while time.perf_counter() - t0 < args.probe:
        next(it)
        n_probe += 1
    rate = n_probe / (time.perf_counter() - t0)
    del it, streams
    usable = args.budget - (time.perf_counter() - start) - 60   # validation, calibration
    total_batches = int(0.85 * rate * usable)
    epochs = max(1, min(args.max_epochs, total_batches // args.batches_per_epoch))
    print(f'data rate {rate:.2f} batches/s of {args.batch_size}; {epochs} epochs of '
          f'{args.batches_per_epoch} batches', flush=True)

    if args.init:
        model = HighZClassifier(args.init, device='cpu').model
    elif args.arch == 'default':
        from astro_galclass.highz.model import LymanBreakCNN
        model = LymanBreakCNN()
    else:
        model = None       # COMPACT_ARCHITECTURE
    clf, history = train_highz_simulated(
        NIRCamSimulator(depth='jades-deep', seed=args.train_seed),
        val_simulator=NIRCamSimulator(depth='jades-deep', seed=args.val_seed),
        model=model, n_val=args.n_val, batch_size=args.batch_size,
        batches_per_epoch=args.batches_per_epoch, lr=args.lr, schedule='cosine',
        max_epochs=epochs, patience=epochs, mosaic_fraction=args.mosaic_fraction,
        device='auto', seed=args.seed, progress=False, workers=args.workers,
        name=args.name)
    clf.metadata['recipe'].update({
        'init': Path(args.init).name if args.init else None, 'arch': args.arch,
        'train_seed': args.train_seed, 'val_seed': args.val_seed,
        'seconds': round(time.perf_counter() - start), 'device': str(clf.device),
        'gpu': torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        'torch_version': torch.__version__,
        'script': 'benchmarks/train_on_gpu.py highz'})
    return clf, history


def _morphology(args):
    from astro_galclass.morphology import ParallelCNN
    from astro_galclass.simulate import MorphologySimulator
    from astro_galclass.training.morphology import train_morphology

    start = time.perf_counter()
    sim = MorphologySimulator(seed=args.train_seed, voters=40.0)
    images, truth = sim.sample(args.n_images, workers=args.workers)
    simulated = time.perf_counter() - start
    print(f'simulated {args.n_images} galaxies in {simulated:.0f} s', flush=True)
    torch.manual_seed(args.seed)
    if args.init:
        from astro_galclass.morphology import MorphologyClassifier
        model = MorphologyClassifier(args.init, device='cpu').model
    else:
        model = ParallelCNN(width=args.width)
    # probe the training speed on a few batches of a throwaway copy
    n_train = int(0.9 * args.n_images)
    _, probe = train_morphology(images[:args.batch_size * 40], truth[:args.batch_size * 40],
                                model=copy.deepcopy(model), batch_size=args.batch_size,
                                max_epochs=2, patience=2, device='auto',
                                progress=False, val_fraction=0.1)
    epoch_seconds = float(probe['seconds'][-1]) * n_train / (args.batch_size * 36)
    usable = args.budget - (time.perf_counter() - start) - 30
    epochs = max(1, min(args.max_epochs, int(0.9 * usable / epoch_seconds)))
    print(f'about {epoch_seconds:.0f} s per epoch: {epochs} epochs', flush=True)
    clf, history = train_morphology(
        images, truth, model=model, loss='rmse', val_fraction=0.1,
        batch_size=args.batch_size, lr=args.lr, schedule='cosine', max_epochs=epochs,
        patience=epochs, device='auto', seed=args.seed, progress=False, name=args.name)
    clf.metadata['simulator'] = sim.settings()
    clf.metadata['training'] = (f'simulated galaxies (astro_galclass MorphologySimulator, seed '
                                f'{args.train_seed}); {clf.metadata["training"]}')
    clf.metadata['recipe'].update({
        'width': args.width, 'n_images': args.n_images, 'simulator_seed': args.train_seed,
        'workers': args.workers, 'init': Path(args.init).name if args.init else None,
        'seconds': round(time.perf_counter() - start), 'device': str(clf.device),
        'gpu': torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        'torch_version': torch.__version__,
        'script': 'benchmarks/train_on_gpu.py morphology'})
    return clf, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('model', choices=['highz', 'morphology'])
    parser.add_argument('--output', type=Path, required=True)
    parser.add_argument('--init', default=None)
    parser.add_argument('--budget', type=float, default=420, help='seconds for the whole run')
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--seed', type=int, default=3)
    parser.add_argument('--name', default=None)
    parser.add_argument('--lr', type=float, default=None)
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--max-epochs', type=int, default=60)
    # high-z
    parser.add_argument('--train-seed', type=int, default=None)
    parser.add_argument('--val-seed', type=int, default=20261127)
    parser.add_argument('--n-val', type=int, default=6000)
    parser.add_argument('--batches-per-epoch', type=int, default=200)
    parser.add_argument('--mosaic-fraction', type=float, default=0.25)
    parser.add_argument('--probe', type=float, default=20.0)
    parser.add_argument('--arch', choices=['compact', 'default'], default='default',
                        help='without --init: COMPACT_ARCHITECTURE or LymanBreakCNN()')
    # morphology
    parser.add_argument('--width', type=float, default=1.0)
    parser.add_argument('--n-images', type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.model == 'highz':
        args.lr = args.lr or 2e-4
        args.batch_size = args.batch_size or 256
        args.train_seed = args.train_seed or 20261126
        args.name = args.name or 'highz-sim-jades-deep-v3'
        clf, history = _highz(args)
    else:
        args.lr = args.lr or 1e-3
        args.batch_size = args.batch_size or 128
        args.train_seed = args.train_seed or 20261203
        args.name = args.name or 'morphology-sim-parallelcnn-v3'
        clf, history = _morphology(args)
    history.pprint(max_lines=-1, max_width=-1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    clf.save(args.output)
    print(f'wrote {args.output}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
