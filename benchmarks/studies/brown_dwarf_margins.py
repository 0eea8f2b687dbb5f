# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Brown-dwarf logit margins of a high-z model, and what a deep-field prior does to them.

On simulated sky-population sources (classes in equal thirds), F444W
S/N >= 10: the quantiles of the brown-dwarf minus low-z logit (divided by
the temperature) for each true class, and the brown-dwarf recall at equal
thirds and at the sky's class mix (JADES-deep, brown dwarfs 5.2e-5). The
shift to that mix moves the brown-dwarf/low-z decision by
log(0.759 / 5.2e-5) = 9.6 nats.

    python benchmarks/studies/brown_dwarf_margins.py [--weights FILE] [--n 4000] [--seed 103]

About 2 minutes on two CPU cores with the defaults.
"""

import argparse

import numpy as np
import torch

from astro_galclass import HighZClassifier
from astro_galclass.nircam import HIGHZ_CLASSES, check_priors, shift_priors
from astro_galclass.simulate import NIRCamSimulator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', default=None, help='weights file (default: shipped)')
    parser.add_argument('--n', type=int, default=4000, help='simulated sources')
    parser.add_argument('--seed', type=int, default=103)
    args = parser.parse_args(argv)

    clf = (HighZClassifier.pretrained(device='cpu') if args.weights is None
           else HighZClassifier(args.weights, device='cpu'))
    sim = NIRCamSimulator(depth='jades-deep', seed=args.seed, population='sky',
                          class_fractions=dict.fromkeys(HIGHZ_CLASSES, 1.0))
    mix = sim.sky_class_fractions()
    cutouts, truth = sim.sample(args.n)
    model = clf.model
    logits = clf.infer(cutouts.value.astype(np.float32), lambda x: model(x),
                       empty_shape=(0, len(clf.classes))) / clf.temperature
    labels, snr = np.asarray(truth['label']), np.asarray(truth['snr_F444W'])
    keep = snr >= 10
    logits, labels = logits[keep], labels[keep]
    margin = logits[:, 2] - logits[:, 0]
    print(f'{clf.name}: {keep.sum()} sources at F444W S/N >= 10 (seed {args.seed})')
    print('brown_dwarf - low_z logit / T:   5%     50%     95%')
    for c, name in enumerate(HIGHZ_CLASSES):
        q = np.quantile(margin[labels == c], [0.05, 0.5, 0.95])
        print(f'  true {name:<12} {(labels == c).sum():5d} {q[0]:7.1f} {q[1]:7.1f} {q[2]:7.1f}')
    thirds = torch.softmax(torch.from_numpy(logits), 1).numpy()
    sky = shift_priors(thirds, [1 / 3] * 3, check_priors({c: mix[c] for c in HIGHZ_CLASSES}))
    dwarfs = labels == 2
    print(f'brown-dwarf recall: {np.mean(thirds[dwarfs].argmax(1) == 2):.4f} at equal thirds, '
          f"{np.mean(sky[dwarfs].argmax(1) == 2):.4f} at the sky's mix "
          f"(brown_dwarf {mix['brown_dwarf']:.2g})")


if __name__ == '__main__':
    main()
