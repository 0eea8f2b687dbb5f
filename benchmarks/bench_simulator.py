# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Throughput of the NIRCam simulator.

Goal (issues 3 and 17): ``NIRCamSimulator.sample`` produces at least 2,000
cutouts per second on 2 CPU cores, so that data never starves training.
Prints the median and best of several batches of 2,000 (the size a training
loop would draw) of the balanced training population, the same for
``population='sky'`` (the field's own mix, with more large bright galaxies
that are rendered on a padded grid), one batch of 10,000, the time of
``make_field``, and the throughput of ``SimulatedBatches`` with 0, 1 and 2
worker processes (``--workers``).

Run with ``tox -e bench`` or ``python benchmarks/bench_simulator.py``.
"""

import argparse
import time

import numpy as np
import torch

from astro_galclass import __version__
from astro_galclass.simulate import NIRCamSimulator


def batches_rate(workers, n):
    """Cutouts per second that ``SimulatedBatches`` yields (after its first batch)."""
    from astro_galclass.highz import AsinhNormalization
    from astro_galclass.training import SimulatedBatches

    batch = 256
    batches = SimulatedBatches(NIRCamSimulator(seed=3), batch_size=batch,
                               batches_per_epoch=1 + -(-n // batch),
                               normalization=AsinhNormalization(), workers=workers)
    iterator = iter(batches)
    next(iterator)                        # workers started, first chunk simulated
    start = time.perf_counter()
    count = sum(len(x) for x, _ in iterator)
    return count / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batch', type=int, default=2000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--large', type=int, default=10000)
    parser.add_argument('--workers', type=int, nargs='*', default=[0, 1, 2],
                        help='SimulatedBatches worker counts to time (none: skip)')
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    sim = NIRCamSimulator(depth='jades-deep', seed=0)
    sim.sample(16)                         # builds the photometry grid and caches
    t_init = time.perf_counter() - t0

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sim.sample(args.batch)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    sim.sample(args.large)
    t_large = time.perf_counter() - start
    start = time.perf_counter()
    sim.make_field(n_sources=500, shape=(2000, 2000))
    t_field = time.perf_counter() - start
    sky = NIRCamSimulator(depth='jades-deep', seed=0, population='sky')
    sky.sample(16)
    sky_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sky.sample(args.batch)
        sky_times.append(time.perf_counter() - start)
    loader_rates = {w: batches_rate(w, args.batch) for w in args.workers}

    print(f'astro_galclass {__version__}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads; set-up {t_init:.1f} s')
    print()
    print(f"{'step':<40} {'time [s]':>9} {'cutouts/s':>10}")
    rates = [args.batch / t for t in times]
    print(f"{f'sample({args.batch}), median of {args.repeat}':<40} "
          f'{np.median(times):>9.2f} {np.median(rates):>10.0f}')
    print(f"{f'sample({args.batch}), best of {args.repeat}':<40} "
          f'{min(times):>9.2f} {max(rates):>10.0f}')
    print(f"{f'sample({args.large})':<40} {t_large:>9.2f} {args.large / t_large:>10.0f}")
    sky_rate = args.batch / np.median(sky_times)
    print(f"{f'sky population, sample({args.batch}), median':<40} "
          f'{np.median(sky_times):>9.2f} {sky_rate:>10.0f}')
    for workers, r in loader_rates.items():
        print(f"{f'SimulatedBatches(workers={workers})':<40} {args.batch / r:>9.2f} {r:>10.0f}")
    print(f"{'make_field(500 sources, 2000x2000 SW)':<40} {t_field:>9.2f} {'':>10}")
    verdict = 'met' if np.median(rates) >= 2000 else 'NOT met'
    print(f'\nmedian sample throughput {np.median(rates):.0f} cutouts/s '
          f'(goal >= 2000: {verdict})')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
