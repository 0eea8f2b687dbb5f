# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Inference throughput of each morphology architecture.

For every network of `astro_galclass.morphology` (random weights: the speed
does not depend on them), ``MorphologyClassifier.classify`` on 64 x 64
uint8 RGB images, resizing included (to 224 x 224 for the torchvision
backbones), in images per second, with the number of parameters. The same
images, batch size and device for all.

``python benchmarks/bench_morphology_inference.py [--device cuda]`` (part of
``tox -e bench``).
"""

import argparse
import os
import platform
import time

import numpy as np
import torch
from astropy.table import QTable

from astro_galclass.morphology import (
    CompactViT,
    MorphologyClassifier,
    ParallelCNN,
    TorchvisionBackbone,
)

ARCHITECTURES = {
    'ParallelCNN (seed width, shipped)': lambda: ParallelCNN(),
    'ParallelCNN (width 0.25)': lambda: ParallelCNN(width=0.25),
    'CompactViT': lambda: CompactViT(),
    'resnet50': lambda: TorchvisionBackbone('resnet50'),
    'vgg16': lambda: TorchvisionBackbone('vgg16'),
    'vit_b_16': lambda: TorchvisionBackbone('vit_b_16'),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-images', type=int, default=128,
                        help='images per timing for the 64-pixel networks')
    parser.add_argument('--n-images-large', type=int, default=32,
                        help='images per timing for the 224-pixel torchvision backbones')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    rows = []
    for name, build in ARCHITECTURES.items():
        net = build()
        clf = MorphologyClassifier(net, device=args.device, batch_size=args.batch_size,
                                   name=name)
        n = args.n_images if clf.input_size == 64 else args.n_images_large
        images = rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)
        clf.classify(images[:args.batch_size])              # warm-up
        best = np.inf
        for _ in range(2):
            start = time.perf_counter()
            clf.classify(images)
            best = min(best, time.perf_counter() - start)
        rows.append({'architecture': name, 'input_px': clf.input_size,
                     'parameters': sum(p.numel() for p in net.parameters()),
                     'images': n, 'images_per_s': n / best})
        print(f'{name}: {n / best:.1f} images/s', flush=True)
    table = QTable(rows=rows)
    table['images_per_s'].info.format = '.1f'
    device = clf.device
    where = (torch.cuda.get_device_name(device) if device.type == 'cuda'
             else f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, '
                  f'{torch.get_num_threads()} torch threads')
    print(f'\nMorphologyClassifier.classify throughput on {device} ({where}), '
          f'batch size {args.batch_size}, torch {torch.__version__}:')
    table.pprint(max_lines=-1, max_width=-1)


if __name__ == '__main__':
    main()
