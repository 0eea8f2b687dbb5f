# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Dask classification: 1 against 2 workers, and the cost of a task (issue 17).

On one simulated field written as seven FITS mosaics, in the same run:

- ``classifier.classify_catalog`` in this process (torch with one thread, as
  each worker has);
- `astro_galclass.distributed.classify_catalog` without a client (the
  partitions one after the other here);
- the same on a `dask.distributed.LocalCluster` of 1 and of 2 workers (one
  thread each), after a warm-up run that loads the classifier and opens the
  mosaics on every worker.

The per-task overhead is the time of a one-source catalog on the cluster
less the same in this process. All runs give the same table (checked). The workers get
``MALLOC_TRIM_THRESHOLD_`` = 256 MB (``--trim-threshold``): with Dask's
default of 64 kB, glibc returns every chunk's arrays to the system and the
next chunk faults them back in, which made classification 1.5 times slower
on this machine.

Run: ``python benchmarks/bench_distributed.py`` (about 5 minutes on 2 cores).
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from astropy.io import fits


def write_field(folder, n_sources, side):
    from astro_galclass.simulate import NIRCamSimulator

    images, catalog = NIRCamSimulator(seed=21).make_field(n_sources=n_sources,
                                                          shape=(side, side))
    paths = {}
    for band, image in images.items():
        hdu = fits.PrimaryHDU(np.asarray(image.data, np.float32),
                              header=image.wcs.to_header())
        hdu.header['BUNIT'] = str(image.unit)
        paths[band] = str(Path(folder) / f'{band}.fits')
        hdu.writeto(paths[band])
    return paths, catalog['sky_centroid']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-sources', type=int, default=1500)
    parser.add_argument('--side', type=int, default=2000, help='mosaic side (pixels)')
    parser.add_argument('--partition-size', type=int, default=256)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--trim-threshold', type=int, default=2**28,
                        help="the workers' MALLOC_TRIM_THRESHOLD_ (Dask's default: 65536)")
    args = parser.parse_args(argv)

    import dask
    from distributed import Client, LocalCluster

    from astro_galclass import HighZClassifier
    from astro_galclass.distributed import classify_catalog

    torch.set_num_threads(1)
    clf = HighZClassifier.pretrained(device='cpu', batch_size=args.batch_size)
    with tempfile.TemporaryDirectory() as folder:
        paths, coords = write_field(folder, args.n_sources, args.side)
        start = time.perf_counter()
        reference = clf.classify_catalog(coords, paths, progress=False)
        t_single = time.perf_counter() - start
        start = time.perf_counter()
        local = classify_catalog(clf, coords, paths, partition_size=args.partition_size,
                                 progress=False)
        t_local = time.perf_counter() - start
        n_parts = -(-len(coords) // max(args.partition_size, 4 * args.batch_size))
        rows = [('classify_catalog, this process', t_single),
                ('distributed, no client', t_local)]
        same = [np.array_equal(local['p_high_z'].filled(-1), reference['p_high_z'].filled(-1))]
        for workers in (1, 2):
            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which
            # makes glibc return and re-fault every chunk's arrays: 1.5x slower
            # here (docs/survey_scale.rst); a larger threshold avoids it
            with dask.config.set({'distributed.nanny.pre-spawn-environ.'
                                  'MALLOC_TRIM_THRESHOLD_': args.trim_threshold}), \
                    LocalCluster(n_workers=workers, threads_per_worker=1,
                                 dashboard_address=None) as cluster, Client(cluster) as client:
                classify_catalog(clf, coords[:64], paths, client=client, progress=False)
                if workers == 1:
                    # one task of one source, against the same in this process
                    trips = []
                    for _ in range(5):
                        start = time.perf_counter()
                        classify_catalog(clf, coords[:1], paths, client=client, progress=False)
                        middle = time.perf_counter()
                        classify_catalog(clf, coords[:1], paths, progress=False)
                        trips.append(2 * middle - start - time.perf_counter())
                    overhead = np.median(trips)
                start = time.perf_counter()
                result = classify_catalog(clf, coords, paths, client=client,
                                          partition_size=args.partition_size, progress=False)
                rows.append((f'Dask, {workers} worker(s)', time.perf_counter() - start))
                same.append(np.array_equal(result['p_high_z'].filled(-1),
                                           reference['p_high_z'].filled(-1)))
    print(f'{len(coords)} sources, {n_parts} partitions of up to '
          f'{max(args.partition_size, 4 * args.batch_size)}, shipped model, batch '
          f'{args.batch_size}')
    print(f"{'run':<32} {'s':>7} {'sources/s':>10}")
    for name, seconds in rows:
        print(f'{name:<32} {seconds:>7.1f} {len(coords) / seconds:>10.1f}')
    t1, t2 = rows[2][1], rows[3][1]
    print(f'2 workers / 1 worker speed-up: {t1 / t2:.2f}')
    print(f'per-task overhead: {overhead * 1000:.0f} ms (a one-source catalog on the '
          'cluster less the same here, median of 5)')
    print(f'1 worker / this process, same threads: {t1 / t_single:.2f} times the time')
    print(f'identical probabilities in every run: {all(same)}')


if __name__ == '__main__':
    main()
