# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Peak memory of classify_catalog against the catalog's length (issue 17, part 3).

Writes seven memory-mapped FITS mosaics (float32 nJy per pixel, with a WHT
extension, as JWST and grizli products have them), then for each catalog
length runs one fresh process that classifies a catalog of random positions
on them and reports:

- ``peak RSS``: the kernel's high-water mark of the resident set (VmHWM),
  which counts the mosaic pages the process has read (file-backed, shared
  with the page cache, and given back under memory pressure) as well as its
  own memory;
- ``peak anon``: the largest anonymous (RssAnon) memory sampled every 50 ms:
  the process's own arrays, which is what grows if anything is held per row;
- the throughput.

Goal: peak RSS below 2 GB for 10^6 sources. The long runs use a small
network (``--model small``; the resampling, flags and bookkeeping are the
same for any network), since the shipped one classifies about 55 cutouts/s on
two cores. Positions are drawn over the whole mosaic, so a real catalog of
10^6 sources, which spans a larger mosaic, reads more pages but holds no
more anonymous memory.

Run with ``python benchmarks/bench_memory.py`` (about 40 minutes on 2 cores
for 10^4, 10^5 and 10^6 sources), or ``--sizes 10000 100000`` for less.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _status(field):
    """A field of /proc/self/status in bytes (Linux)."""
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    return 0


def write_mosaics(folder, shape, seed=0):
    """Seven noise-and-sources mosaics on one TAN grid, with weight maps."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.io import fits

    from astro_galclass.nircam import NIRCAM_BANDS
    from astro_galclass.simulate import make_tan_wcs

    wcs = make_tan_wcs(SkyCoord(150 * u.deg, 2 * u.deg), 0.03 * u.arcsec / u.pix, shape)
    rng = np.random.default_rng(seed)
    paths = {}
    for band in NIRCAM_BANDS:
        path = Path(folder) / f'{band}.fits'
        paths[band] = str(path)
        if path.exists():
            continue
        header = wcs.to_header()
        header['BUNIT'] = 'nJy'
        data = rng.normal(0, 1.0, shape).astype(np.float32)
        weight = np.ones(shape, np.float32)
        weight[:, : shape[1] // 20] = 0                 # an unexposed strip
        fits.HDUList([fits.PrimaryHDU(),
                      fits.ImageHDU(data, header=header, name='SCI'),
                      fits.ImageHDU(weight, header=wcs.to_header(), name='WHT')]
                     ).writeto(path)
        del data, weight
    return paths, wcs


def run_one(folder, n, model, shape, batch_size):
    """In this (fresh) process: classify ``n`` random positions, report memory."""
    import torch
    from astropy.coordinates import SkyCoord

    from astro_galclass import HighZClassifier
    from astro_galclass.highz import LymanBreakCNN

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    paths, wcs = write_mosaics(folder, shape)
    if model == 'shipped':
        clf = HighZClassifier.pretrained(device='cpu', batch_size=batch_size)
    else:
        torch.manual_seed(0)
        net = LymanBreakCNN(stem_channels=8, spectral_channels=8, n_spectral_blocks=1,
                            spatial_channels=(8, 16), head_units=(32,),
                            head_dropout=(0.1,))
        clf = HighZClassifier(net, device='cpu', batch_size=batch_size)
    rng = np.random.default_rng(n)
    x = rng.uniform(40, shape[1] - 40, n)
    y = rng.uniform(40, shape[0] - 40, n)
    coords = SkyCoord.from_pixel(x, y, wcs)
    base = _status('VmRSS')
    peak_anon = [_status('RssAnon')]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak_anon[0] = max(peak_anon[0], _status('RssAnon'))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    table = clf.classify_catalog(coords, paths, progress=False)
    elapsed = time.perf_counter() - start
    done.set()
    thread.join()
    classified = int((~table['p_high_z'].mask).sum())
    return {'n_sources': n, 'model': model, 'classified': classified,
            'seconds': round(elapsed, 1), 'sources_per_s': round(n / elapsed, 1),
            'rss_before_mb': round(base / 2**20), 'peak_rss_mb': round(_status('VmHWM') / 2**20),
            'peak_anon_mb': round(peak_anon[0] / 2**20)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000, 1_000_000])
    parser.add_argument('--model', choices=('small', 'shipped'), default='small')
    parser.add_argument('--shape', type=int, nargs=2, default=[6000, 6000],
                        help='mosaic shape in pixels (default 6000 6000: 7 x 144 MB)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--folder', help='where the mosaics go (default: a temporary folder)')
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--one', type=int, help=argparse.SUPPRESS)   # the child process
    args = parser.parse_args(argv)

    if args.one is not None:
        print(json.dumps(run_one(args.folder, args.one, args.model, tuple(args.shape),
                                 args.batch_size)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or tmp
        write_mosaics(folder, tuple(args.shape))
        rows = []
        print(f'{"sources":>10} {"model":>8} {"classified":>10} {"s":>8} {"per s":>8} '
              f'{"peak RSS MB":>12} {"peak anon MB":>13}')
        for n in args.sizes:
            out = subprocess.run(
                [sys.executable, __file__, '--one', str(n), '--folder', folder,
                 '--model', args.model, '--shape', *map(str, args.shape),
                 '--batch-size', str(args.batch_size)],
                check=True, capture_output=True, text=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f'{n:>10} {row["model"]:>8} {row["classified"]:>10} {row["seconds"]:>8} '
                  f'{row["sources_per_s"]:>8} {row["peak_rss_mb"]:>12} '
                  f'{row["peak_anon_mb"]:>13}', flush=True)
        mosaic_mb = 7 * 2 * args.shape[0] * args.shape[1] * 4 / 2**20
        print(f'mosaics: 7 bands x {args.shape[0]} x {args.shape[1]} float32 + WHT '
              f'({mosaic_mb:.0f} MB on disk, memory-mapped)')
        worst = max(r['peak_rss_mb'] for r in rows)
        print(f'goal peak RSS < 2048 MB: {"met" if worst < 2048 else "NOT met"} '
              f'(largest {worst} MB)')
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == '__main__':
    main()
