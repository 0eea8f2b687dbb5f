# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Experiment: fine-tune the shipped high-z model on cutouts cut out of
simulated mosaics, and measure its accuracy on both kinds of cutouts.

The shipped model is trained on cutouts rendered directly on its grid; on
cutouts extracted from native-scale mosaics it is less accurate (see the
model card). This script measures how much a short fine-tuning on
`~astro_galclass.training.SimulatedMosaicBatches` closes that gap. It does
not change the shipped weights. About 10 minutes on 2 CPU cores:
``python benchmarks/studies/experiment_mosaic_finetune.py``.
"""

import argparse
import time

import numpy as np
import torch

from astro_galclass import HighZClassifier
from astro_galclass.highz import extract_cutouts
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import (
    ArrayBatches,
    CutoutAugmentation,
    SimulatedMosaicBatches,
    Trainer,
)


def mosaic_set(clf, seed, fields):
    """Cutouts at the true positions of ``fields`` simulated fields (unflagged only)."""
    sim = NIRCamSimulator(seed=seed)
    xs, labels, snrs = [], [], []
    for _ in range(fields):
        images, cat = sim.make_field(600, (2000, 2000))
        cutouts, flags = extract_cutouts(images, cat['sky_centroid'], bands=clf.bands)
        ok = flags == 0
        xs.append(cutouts.value[ok])
        labels.append(np.asarray(cat['label'])[ok])
        snrs.append(np.asarray(cat['snr_F444W'])[ok])
    return np.concatenate(xs), np.concatenate(labels).astype(int), np.concatenate(snrs)


def accuracy(clf, x, labels, snr):
    bright = snr >= 10
    pred = clf.predict_proba(x).argmax(axis=1)
    return float(np.mean(pred[bright] == labels[bright])), int(bright.sum())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--batches-per-epoch', type=int, default=25)
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    clf = HighZClassifier.pretrained(device='cpu')
    val = mosaic_set(clf, 501, 3)
    test = mosaic_set(clf, 502, 4)
    direct_x, direct_truth = NIRCamSimulator(seed=12).sample(3000)
    direct = (direct_x, np.asarray(direct_truth['label']), np.asarray(direct_truth['snr_F444W']))
    print('before: mosaic cutouts S/N>=10 accuracy {:.3f} (n={})'.format(*accuracy(clf, *test)))
    print('before: direct cutouts S/N>=10 accuracy {:.3f} (n={})'.format(
        *accuracy(clf, *direct)))
    start = time.perf_counter()
    train = SimulatedMosaicBatches(NIRCamSimulator(seed=503), batch_size=128,
                                   batches_per_epoch=args.batches_per_epoch,
                                   normalization=clf.normalization,
                                   augmentation=CutoutAugmentation(max_shift=0))
    val_batches = ArrayBatches(val[0], val[1], batch_size=256,
                               normalization=clf.normalization, shuffle=False)
    trainer = Trainer(clf.model, n_classes=3, lr=2.5e-4, class_weights=[1, 1, 1],
                      max_epochs=args.epochs, patience=4, device='cpu', progress=False)
    history = trainer.fit(train, val_batches)
    clf.model.to(memory_format=torch.channels_last)
    history.pprint(max_width=-1)
    print(f'fine-tuning took {time.perf_counter() - start:.0f} s')
    print('after: mosaic cutouts S/N>=10 accuracy {:.3f} (n={})'.format(*accuracy(clf, *test)))
    print('after: direct cutouts S/N>=10 accuracy {:.3f} (n={})'.format(
        *accuracy(clf, *direct)))


if __name__ == '__main__':
    main()
