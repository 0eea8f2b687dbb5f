# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Where the time of one high-z training step goes, and training cutouts/s of
v3's widths (the shipped recipe's network, `LymanBreakCNN` defaults) against
the fast network (`FAST_ARCHITECTURE`), side by side in one run (issue 32).

One step is what `train_highz_simulated` does per batch with ``workers=0``:
``NIRCamSimulator.sample`` (balanced population, JADES-deep; in chunks of
``--simulate-chunk`` cutouts, as `SimulatedBatches`), the flips,
rotations and sub-pixel shifts of `CutoutAugmentation`, the asinh
normalisation, and forward + backward + Adam step (channels-last, as the
`Trainer` on a CPU). Each network is timed in fp32 and, where the CPU has
native BF16 (AVX-512 BF16 or AMX), under ``torch.autocast('cpu',
torch.bfloat16)``. The configurations are interleaved within every repeat,
so that a shared machine's load falls on all of them alike; the table gives
the median over repeats and, for the ratios to v3 fp32, their spread
(min-max of the per-repeat ratios).

``python benchmarks/bench_training_speed.py [--steps N] [--batch-size B]
[--repeats R] [--threads T] [--simulate-chunk N] [--json FILE]``; a few minutes with the defaults.
Earlier versions of this script also timed the morphology ParallelCNN's
training step (19.7 images/s, notes of issue 4); it is not timed here any more.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from astropy import units as u

from astro_galclass.highz import LymanBreakCNN
from astro_galclass.highz.normalization import AsinhNormalization
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import COMPACT_ARCHITECTURE
from astro_galclass.training.augment import CutoutAugmentation
from astro_galclass.training.highz import FAST_ARCHITECTURE


def native_bf16():
    """True where the CPU advertises AVX-512 BF16 or AMX (Linux only)."""
    try:
        flags = Path('/proc/cpuinfo').read_text()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


class Step:
    """One network, precision and its optimiser; ``__call__`` times one step."""

    def __init__(self, name, model, bf16):
        self.name, self.bf16 = name, bf16
        self.model = model.to(memory_format=torch.channels_last).train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), 5e-4)
        self.n_params = sum(p.numel() for p in model.parameters())

    def __call__(self, x, y):
        start = time.perf_counter()
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return time.perf_counter() - start


def simulate(simulator, n):
    """``n`` cutouts (nJy per pixel) and labels, and the seconds per cutout."""
    start = time.perf_counter()
    flux, truth = simulator.sample(n)
    flux = flux.to_value(u.nJy)
    seconds = (time.perf_counter() - start) / n
    return flux, np.asarray(truth['label'], np.int64), seconds


def prepare(flux, labels, augmentation, normalization, generator):
    """Augment and normalise one batch; return it and the two times per cutout."""
    t0 = time.perf_counter()
    x = torch.from_numpy(np.nan_to_num(np.asarray(flux, np.float32)))
    x = augmentation(x, generator=generator)
    t1 = time.perf_counter()
    x = normalization(x)
    t2 = time.perf_counter()
    return x, torch.from_numpy(labels), ((t1 - t0) / len(x), (t2 - t1) / len(x))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--steps', type=int, default=3,
                        help='timed training steps per configuration and repeat')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--simulate-chunk', type=int, default=1024,
                        help='cutouts simulated at once, as SimulatedBatches (default 1024)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch\'s choice)')
    parser.add_argument('--no-bf16', action='store_true', help='fp32 only')
    parser.add_argument('--compact', action='store_true',
                        help='also time COMPACT_ARCHITECTURE')
    parser.add_argument('--json', type=Path, default=None, help='write the results here')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    bf16 = native_bf16() and not args.no_bf16
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, native BF16: '
          f'{native_bf16()}, batch {args.batch_size}, {args.steps} steps x '
          f'{args.repeats} repeats')

    networks = [('v3 widths', {}), ('fast', FAST_ARCHITECTURE)]
    if args.compact:
        networks.insert(1, ('compact', COMPACT_ARCHITECTURE))
    steps = [Step(f'{name} fp32', LymanBreakCNN(**kw), False) for name, kw in networks]
    if bf16:
        steps += [Step(f'{name} bf16', LymanBreakCNN(**kw), True) for name, kw in networks]
    steps.sort(key=lambda s: [n for n, _ in networks].index(s.name.rsplit(' ', 1)[0]))

    simulator = NIRCamSimulator(seed=1)
    augmentation = CutoutAugmentation(flips=True, max_shift=0.5)
    normalization = AsinhNormalization()
    generator = torch.Generator().manual_seed(0)
    flux, labels, _ = simulate(simulator, args.batch_size)
    x, y, _ = prepare(flux, labels, augmentation, normalization, generator)
    for step in steps:                                     # warm-up (oneDNN primitives)
        step(x, y)

    data = {'simulate': [], 'augment': [], 'normalise': []}
    compute = {s.name: [] for s in steps}                  # per repeat: s per cutout
    n = args.steps * args.batch_size
    for _ in range(args.repeats):
        # simulated in chunks, as SimulatedBatches does (one call has a fixed cost)
        flux, labels, sim = simulate(simulator, max(args.simulate_chunk, n))
        times = {s.name: 0.0 for s in steps}
        parts = np.zeros(2)
        for i in range(args.steps):
            batch = slice(i * args.batch_size, (i + 1) * args.batch_size)
            x, y, t = prepare(flux[batch], labels[batch], augmentation, normalization,
                              generator)
            parts += t
            for step in steps:
                times[step.name] += step(x, y)
        data['simulate'].append(sim)
        data['augment'].append(parts[0] / args.steps)
        data['normalise'].append(parts[1] / args.steps)
        for name, value in times.items():
            compute[name].append(value / n)

    med = {k: statistics.median(v) for k, v in data.items()}
    print('\ndata per cutout (median over repeats, shared by all networks):')
    for key, value in med.items():
        print(f'  {key:<10} {1e3 * value:7.3f} ms  ({1 / value:8.0f} cutouts/s)')
    data_per_repeat = [sum(v) for v in zip(*data.values(), strict=True)]

    ref = steps[0].name
    header = (f"\n{'network':<16}{'parameters':>11}{'step/s':>9}{'end-to-end/s':>14}"
              f"{'step share':>12}{'x v3 fp32 (end-to-end)':>26}")
    print(header)
    rows = []
    for step in steps:
        net = compute[step.name]
        total = [c + d for c, d in zip(net, data_per_repeat, strict=True)]
        ref_total = [c + d for c, d in zip(compute[ref], data_per_repeat, strict=True)]
        ratios = [r / t for r, t in zip(ref_total, total, strict=True)]
        net_ratios = [r / c for r, c in zip(compute[ref], net, strict=True)]
        row = {
            'network': step.name, 'parameters': step.n_params,
            'step_rate': 1 / statistics.median(net),
            'end_to_end_rate': 1 / statistics.median(total),
            'step_share': statistics.median(c / t for c, t in zip(net, total, strict=True)),
            'ratio_end_to_end': statistics.median(ratios),
            'ratio_end_to_end_range': [min(ratios), max(ratios)],
            'ratio_step': statistics.median(net_ratios),
            'ratio_step_range': [min(net_ratios), max(net_ratios)],
        }
        rows.append(row)
        print(f"{step.name:<16}{step.n_params:>11,}{row['step_rate']:>9.1f}"
              f"{row['end_to_end_rate']:>14.1f}{row['step_share']:>12.2f}"
              f"{row['ratio_end_to_end']:>11.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
              f"  step {row['ratio_step']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({
            'torch': torch.__version__, 'threads': torch.get_num_threads(),
            'native_bf16': native_bf16(), 'batch_size': args.batch_size,
            'steps': args.steps, 'repeats': args.repeats,
            'simulate_chunk': args.simulate_chunk,
            'data_seconds_per_cutout': data, 'compute_seconds_per_cutout': compute,
            'rows': rows}, indent=1))
    return rows


if __name__ == '__main__':
    main()
