# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Throughput of the high-redshift classifier.

Prints one table: the raw forward pass of the network, ``classify`` on an
array of cutouts, and ``classify_catalog`` on seven synthetic mosaics with
short-wave bands at 0.031"/pix and long-wave bands at 0.063"/pix, all with
the same batch size and in the same run. Goal (issue 2): ``classify_catalog``
reaches at least 0.8 of the raw forward throughput on the CPU.

Run with ``tox -e bench`` or ``python benchmarks/bench_highz_inference.py``.
"""

import argparse
import json
import platform
import time

import astropy.units as u
import numpy as np
import torch

from astro_galclass import HighZClassifier, __version__
from astro_galclass.highz import LymanBreakCNN, extract_cutouts
from astro_galclass.simulate import make_toy_field


def timed(func, repeat=1):
    """Best wall time of ``repeat`` calls, and the last result."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-sources', type=int, default=2000,
                        help='sources in the mosaics (default 2000)')
    parser.add_argument('--n-cutouts', type=int, default=512,
                        help='cutouts for the forward and classify runs')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--model', choices=('full', 'shipped'), default='full',
                        help='full: LymanBreakCNN() at the default widths (untrained); '
                        'shipped: HighZClassifier.pretrained()')
    parser.add_argument('--json', help='also write the results to this file')
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    if args.model == 'shipped':
        clf = HighZClassifier.pretrained(device=args.device, batch_size=args.batch_size)
    else:
        clf = HighZClassifier(LymanBreakCNN(), device=args.device, batch_size=args.batch_size)
    device = clf.device

    rng = np.random.default_rng(1)
    cutouts = rng.normal(0, 0.05, (args.n_cutouts, 7, 64, 64)).astype(np.float32)
    field_size = np.sqrt(args.n_sources / 0.25) * u.arcsec   # 0.25 sources/arcsec2
    t_field, (images, truth) = timed(lambda: make_toy_field(
        n_sources=args.n_sources, field_size=field_size, seed=2,
        lw_offset=0 * u.arcsec))

    # raw forward: normalised tensors already on the device, same batches
    x_all = clf.normalization(torch.from_numpy(cutouts)).to(device)

    def forward():
        with torch.inference_mode():
            for start in range(0, len(x_all), args.batch_size):
                out = clf.model(x_all[start:start + args.batch_size])
            if device.type == 'cuda':
                torch.cuda.synchronize()
        return out

    forward()                                     # warm-up
    t_forward, _ = timed(forward, repeat=2)
    t_classify, _ = timed(lambda: clf.classify(cutouts), repeat=2)
    t_extract, _ = timed(lambda: extract_cutouts(images, truth['sky_centroid'],
                                                 bands=clf.bands))
    t_catalog, catalog = timed(lambda: clf.classify_catalog(truth, images))
    n_classified = int((~catalog['p_high_z'].mask).sum())

    forward_rate = args.n_cutouts / t_forward
    rows = [
        ('raw forward (model only)', args.n_cutouts, t_forward),
        ('classify(array)', args.n_cutouts, t_classify),
        ('extract_cutouts(7 mosaics)', args.n_sources, t_extract),
        ('classify_catalog(7 mosaics)', args.n_sources, t_catalog),
    ]
    shapes = {b: im.data.shape for b, im in images.items()}
    n_params = sum(p.numel() for p in clf.model.parameters())
    print(f'model {clf.name} ({n_params:,} parameters); '
          f'astro_galclass {__version__}, torch {torch.__version__}, '
          f'device {device}, {torch.get_num_threads()} threads, '
          f'{platform.processor() or platform.machine()}')
    print(f'batch size {args.batch_size}; mosaics {field_size:.0f} on a side: '
          f"F090W-F200W {shapes['F090W']} at 0.031\"/pix, "
          f"F277W-F444W {shapes['F444W']} at 0.063\"/pix "
          f'(made in {t_field:.1f} s); {n_classified} of {args.n_sources} '
          f'sources classified, {args.n_sources - n_classified} flagged as '
          'unclassifiable')
    print()
    print(f"{'step':<30} {'N':>6} {'time [s]':>9} {'per s':>9} {'vs forward':>11}")
    results = []
    for name, n, t in rows:
        rate = n / t
        print(f'{name:<30} {n:>6} {t:>9.2f} {rate:>9.1f} {rate / forward_rate:>11.2f}')
        results.append({'step': name, 'n': n, 'seconds': t, 'per_second': rate,
                        'ratio_to_forward': rate / forward_rate})
    ratio = (args.n_sources / t_catalog) / forward_rate
    verdict = 'met' if ratio >= 0.8 else 'NOT met'
    print(f'\nclassify_catalog / raw forward throughput = {ratio:.2f} '
          f'(goal >= 0.80: {verdict})')
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump({'device': str(device), 'results': results,
                       'catalog_ratio': ratio}, fh, indent=2)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
