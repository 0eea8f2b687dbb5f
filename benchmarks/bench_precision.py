# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
bfloat16 inference against float32, for both shipped models (issue 17, part 2).

On the same simulated cutouts and in the same run (the ratios hold on a
shared machine), for ``precision='fp32'`` and ``'bf16'``: throughput of
``predict_proba`` (high-z) and ``predict_kaggle`` (morphology), the
agreement of the predicted classes (high-z argmax; morphology smooth vs
featured), the largest probability difference, and for the high-z model the
expected calibration error of each against the simulated truth. The goal
for a default: at least 2x the throughput, argmax agreement >= 99.5% and
ECE within 0.005 of fp32; otherwise bf16 stays opt-in.

Run: ``python benchmarks/bench_precision.py`` (about 3 minutes on two CPU
cores).
"""

import argparse

import numpy as np
import torch
from bench_highz_inference import timed as _timed

from astro_galclass import HighZClassifier
from astro_galclass.morphology import MorphologyClassifier
from astro_galclass.simulate import MorphologySimulator, NIRCamSimulator
from astro_galclass.training.calibration import expected_calibration_error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-highz', type=int, default=2000)
    parser.add_argument('--n-morphology', type=int, default=500)
    parser.add_argument('--repeat', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    print(f'torch {torch.__version__}, CPU capability '
          f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, '
          f'device {args.device}')

    clf = HighZClassifier.pretrained(device=args.device, batch_size=128)
    cutouts, truth = NIRCamSimulator(seed=5).sample(args.n_highz)
    labels = np.asarray(truth['label'])
    results = {}
    for precision in ('fp32', 'bf16'):
        clf.precision = precision
        seconds, proba = _timed(lambda: clf.predict_proba(cutouts, priors='training'),
                                args.repeat)
        results[precision] = (len(cutouts) / seconds, proba)
    (fast32, p32), (fast16, p16) = results['fp32'], results['bf16']
    agree = np.mean(p32.argmax(1) == p16.argmax(1))
    ece32 = expected_calibration_error(p32, labels)
    ece16 = expected_calibration_error(p16, labels)
    print(f'\nhigh-z ({clf.name}), {len(cutouts)} simulated JADES-deep cutouts:')
    print(f'  fp32 {fast32:7.1f} cutouts/s   bf16 {fast16:7.1f} cutouts/s   '
          f'ratio {fast16 / fast32:.2f}')
    print(f'  argmax agreement {agree:.4f}; max |dp| {np.abs(p32 - p16).max():.4f}; '
          f'ECE fp32 {ece32:.4f}, bf16 {ece16:.4f}')
    good = fast16 / fast32 >= 2 and agree >= 0.995 and abs(ece16 - ece32) <= 0.005
    print(f'  default-worthy (>= 2x, >= 99.5% agreement, ECE within 0.005): {good}')

    morph = MorphologyClassifier.pretrained(device=args.device, batch_size=64)
    images, _ = MorphologySimulator(seed=6).sample(args.n_morphology)
    out = {}
    for precision in ('fp32', 'bf16'):
        morph.precision = precision
        seconds, cumulative = _timed(lambda: morph.predict_kaggle(images), args.repeat)
        out[precision] = (len(images) / seconds, cumulative)
    (m32, c32), (m16, c16) = out['fp32'], out['bf16']
    smooth32, smooth16 = c32[:, 0] > c32[:, 1], c16[:, 0] > c16[:, 1]
    print(f'\nmorphology ({morph.name}), {len(images)} simulated galaxies:')
    print(f'  fp32 {m32:7.1f} images/s   bf16 {m16:7.1f} images/s   ratio {m16 / m32:.2f}')
    print(f'  smooth-vs-featured agreement {np.mean(smooth32 == smooth16):.4f}; '
          f'max |d fraction| {np.abs(c32 - c16).max():.4f}')


if __name__ == '__main__':
    main()
