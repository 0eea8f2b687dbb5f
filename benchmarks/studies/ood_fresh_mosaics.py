"""
How many in-distribution sources of fresh simulated mosaics get ``OUT_OF_DISTRIBUTION``?

The shipped statistics are fitted so that at most 1% of each kind of
in-distribution source is flagged (``bench_highz_ood.py``). Its own test
set is cut out of fields of the same size as the fit's. This script cuts
cutouts out of other fields, of two sizes, with seeds the fit and the
benchmark never used (900 and up; alternately the ``'balanced'`` and the
``'sky'`` population, classes in equal thirds, `SimulatedMosaicBatches` as
in training), and prints the share flagged per field and in all, and the
share above the pixel test's threshold alone:

- ``--large`` fields of 600 sources on 2000 x 2000 short-wave pixels;
- ``--small`` fields of 150 sources on 1000 x 1000 (the same density).

    python benchmarks/studies/ood_fresh_mosaics.py [--weights FILE] [--large 4] [--small 12]

About 2 minutes on two CPU cores with the defaults.
"""

import argparse
import time

import numpy as np

from astro_galclass import HighZClassifier
from astro_galclass.highz.ood import single_band_scores
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import SimulatedMosaicBatches

EQUAL = {'low_z': 1.0, 'high_z': 1.0, 'brown_dwarf': 1.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', default=None, help='weights file (default: shipped)')
    parser.add_argument('--large', type=int, default=4, help='fields of 600 sources')
    parser.add_argument('--small', type=int, default=12, help='fields of 150 sources')
    args = parser.parse_args()
    clf = (HighZClassifier.pretrained(device='cpu') if args.weights is None
           else HighZClassifier(args.weights, device='cpu'))
    pixel_threshold = clf.metadata['ood']['single_band_threshold']
    start = time.perf_counter()
    seed = 900
    for n_sources, shape, n_fields in ((600, (2000, 2000), args.large),
                                       (150, (1000, 1000), args.small)):
        rates, scores, pixels = [], [], []
        for _ in range(n_fields):
            population = ('balanced', 'sky')[seed % 2]
            sim = NIRCamSimulator(depth='jades-deep', seed=seed, population=population,
                                  class_fractions=EQUAL)
            batches = SimulatedMosaicBatches(sim, batch_size=n_sources, batches_per_epoch=1,
                                             normalization=None, seed=seed,
                                             field_sources=n_sources, field_shape=shape)
            cutouts, _ = batches.draw(n_sources // 2)
            score = clf.ood_score(np.asarray(cutouts))
            rates.append(np.mean(score > clf.ood_threshold))
            scores.append(score)
            pixels.append(single_band_scores(np.asarray(cutouts), clf.bands,
                                             clf.metadata['pixel_scale']))
            seed += 1
        score, pixel = np.concatenate(scores), np.concatenate(pixels)
        if len(score):
            print(f'{n_fields} fields of {n_sources} sources on {shape[0]} x {shape[1]}: '
                  f'{np.sum(score > clf.ood_threshold)} of {len(score)} flagged '
                  f'({np.mean(score > clf.ood_threshold):.4f}); per field '
                  f'{np.round(rates, 3).tolist()}; above the pixel threshold '
                  f'{np.mean(pixel > pixel_threshold):.4f}', flush=True)
    print(f'{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
