# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
GPU throughput of both shipped models, in one short call (issue 17, part 2).

Meant for a session lent a GPU (``run`` on the device machine, one call of a
few minutes). Prints the GPU's name, then, in the same run:

- high-z raw forward (``predict_proba`` on a prepared array, no resampling)
  in fp32 and bf16 at two batch sizes;
- high-z end to end: ``classify_catalog`` on seven simulated mosaics with
  the sources of a catalog (resampling on the CPU cores, network on the
  GPU), and its ratio to the raw forward; the goal is >= 20,000 cutouts/s
  end to end on one H100/H200-class GPU and a ratio >= 0.9;
- morphology raw forward (``predict_kaggle`` with ``reframe=False``) and
  with reframing, fp32 and bf16.

``--json FILE`` also writes the figures, to be copied into the docs with the
GPU's name. Exits with an error when no CUDA device is present (``--device
cpu`` runs the same steps on the CPU, e.g. to test the script).

Run: ``python benchmarks/bench_gpu.py --json gpu.json`` (about 3 minutes on
an H100 with the defaults).
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from astro_galclass import HighZClassifier, __version__
from astro_galclass.morphology import MorphologyClassifier
from astro_galclass.simulate import MorphologySimulator, NIRCamSimulator


def rate(func, n, repeat):
    """Best items per second of ``repeat`` calls of ``func`` (after one warm-up)."""
    func()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return n / best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--n-cutouts', type=int, default=8192)
    parser.add_argument('--n-sources', type=int, default=20000,
                        help='catalog sources on the mosaics (default 20000)')
    parser.add_argument('--n-morphology', type=int, default=2048)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[256, 1024])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--json', help='also write the results to this file')
    args = parser.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error('no CUDA device; pass --device cpu to try the script on the CPU')
    device = torch.device(args.device)
    name = (torch.cuda.get_device_name(device) if device.type == 'cuda'
            else platform.processor() or 'CPU')
    out = {'device': name, 'torch': torch.__version__, 'astro_galclass': __version__,
           'cpu_cores': os.cpu_count(), 'highz_forward': {}, 'morphology': {}}
    print(f'{name}; torch {torch.__version__}; {os.cpu_count()} CPU cores')

    cutouts, _ = NIRCamSimulator(seed=5).sample(args.n_cutouts)
    values = np.asarray(cutouts.value, np.float32)
    best_forward = 0.0
    for batch in args.batch_sizes:
        clf = HighZClassifier.pretrained(device=device, batch_size=batch)
        for precision in ('fp32', 'bf16'):
            clf.precision = precision
            r = rate(lambda clf=clf: clf.predict_proba(values), len(values), args.repeat)
            out['highz_forward'][f'{precision}/batch{batch}'] = round(r)
            best_forward = max(best_forward, r)
            print(f'high-z predict_proba  {precision} batch {batch:5d}: {r:9.0f} cutouts/s')

    side = int(np.sqrt(args.n_sources) * 40)          # about 1 source per 40 x 40 px
    images, catalog = NIRCamSimulator(seed=6).make_field(n_sources=args.n_sources,
                                                         shape=(side, side))
    coords = catalog['sky_centroid']
    for precision in ('fp32', 'bf16'):
        clf = HighZClassifier.pretrained(device=device, batch_size=max(args.batch_sizes))
        clf.precision = precision
        r = rate(lambda clf=clf: clf.classify_catalog(coords, images, progress=False),
                 len(coords), 1)
        out[f'highz_catalog_{precision}'] = round(r)
        print(f'high-z classify_catalog {precision}: {r:9.0f} sources/s '
              f'({r / best_forward:.2f} of the best raw forward)')
    out['catalog_over_forward'] = round(max(out['highz_catalog_fp32'],
                                            out['highz_catalog_bf16']) / best_forward, 3)

    images_m, _ = MorphologySimulator(seed=7).sample(args.n_morphology)
    for precision in ('fp32', 'bf16'):
        morph = MorphologyClassifier.pretrained(device=device, batch_size=256)
        morph.precision = precision
        for reframe in (False, True):
            r = rate(lambda m=morph, f=reframe: m.predict_kaggle(images_m, reframe=f),
                     len(images_m), 1 if reframe else args.repeat)
            out['morphology'][f'{precision}/reframe={reframe}'] = round(r)
            print(f'morphology predict_kaggle {precision} reframe={reframe}: '
                  f'{r:9.0f} images/s')

    end_to_end = max(out['highz_catalog_fp32'], out['highz_catalog_bf16'])
    print(f'\ngoal: >= 20,000 cutouts/s end to end: '
          f'{"met" if end_to_end >= 20000 else "NOT met"} ({end_to_end}); '
          f'catalog / raw forward >= 0.9: '
          f'{"met" if out["catalog_over_forward"] >= 0.9 else "NOT met"} '
          f'({out["catalog_over_forward"]})')
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(out, handle, indent=1)


if __name__ == '__main__':
    main()
