# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Smoke test of issue 32 (not a shipped model): does `FAST_ARCHITECTURE` learn?

Trains one network, v3's widths (``v3``) or the fast one (``fast``), with
`train_highz_simulated` on the balanced population for a wall-clock budget
(1 torch thread, batches of 64, epochs of 10 batches, 600 validation
cutouts, constant learning rate), then scores it on 1,500 fresh cutouts
(seed 7) with no S/N cut.

    python benchmarks/studies/fast_network_smoke.py v3|fast BUDGET_SECONDS

Run the two side by side (two processes) so that a shared machine's load
falls on both alike. One JSON line per run.
"""

import json
import sys
import time

import numpy as np
import torch

from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import FAST_ARCHITECTURE, RunOptions, train_highz_simulated


def main(which, budget):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = LymanBreakCNN(**({} if which == 'v3' else FAST_ARCHITECTURE))
    start = time.perf_counter()
    clf, history = train_highz_simulated(
        NIRCamSimulator(seed=101), val_simulator=NIRCamSimulator(seed=102), n_val=600,
        batch_size=64, batches_per_epoch=10, model=model, max_epochs=10000,
        patience=10000, schedule='constant', calibrate=False,
        run=RunOptions(device='cpu', seed=0, progress=False, time_budget=budget))
    seconds = time.perf_counter() - start
    flux, truth = NIRCamSimulator(seed=7).sample(1500)
    accuracy = float((np.argmax(clf.predict_proba(flux), 1)
                      == np.asarray(truth['label'])).mean())
    print(json.dumps({'network': which, 'budget_s': budget, 'train_s': round(seconds, 1),
                      'epochs': len(history), 'cutouts_seen': len(history) * 640,
                      'val_accuracy': float(history['val_accuracy'][-1]),
                      'test_accuracy': accuracy}))


if __name__ == '__main__':
    main(sys.argv[1], float(sys.argv[2]))
