# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Training throughput (cutouts or images per second, forward + backward +
Adam step) of the networks on this machine's CPU, batch 64, channels-last.
``python benchmarks/bench_training_speed.py``.
"""

import time

import torch

from astro_galclass.highz import LymanBreakCNN
from astro_galclass.morphology import ParallelCNN
from astro_galclass.training import COMPACT_ARCHITECTURE


def rate(model, shape, n_out, steps=3):
    model = model.to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(model.parameters(), 5e-4)
    x = torch.randn(*shape).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, n_out, (shape[0],)) if n_out else torch.rand(shape[0], 37)
    for i in range(steps + 1):
        if i == 1:
            start = time.perf_counter()
        out = model(x)
        loss = (torch.nn.functional.cross_entropy(out, y) if n_out
                else torch.nn.functional.mse_loss(out, y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return shape[0] * steps / (time.perf_counter() - start)


def main():
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    for name, model, shape, n_out in (
            ('LymanBreakCNN (default, shipped)', LymanBreakCNN(), (64, 7, 64, 64), 3),
            ('LymanBreakCNN (compact widths)', LymanBreakCNN(**COMPACT_ARCHITECTURE),
             (64, 7, 64, 64), 3),
            ('ParallelCNN (morphology)', ParallelCNN(), (64, 3, 64, 64), 0)):
        n_params = sum(p.numel() for p in model.parameters())
        print(f'{name:<32} {n_params:>10,} parameters  {rate(model, shape, n_out):7.1f} per s')


if __name__ == '__main__':
    main()
