"""
Train a small high-z model
==========================

Train a deliberately tiny network for a few epochs on simulated cutouts,
calibrate it, and evaluate it against the Random Forest baseline on a test
set it never saw. The same calls train a model on your own labelled
cutouts (see "Training your own model"); the shipped model used the same
functions, for much longer, with a larger network.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import (
    ApertureRandomForest,
    RunOptions,
    evaluate_highz,
    train_highz,
)

# %%
# Training and test sets from two simulators with different seeds.
train_x, train_truth = NIRCamSimulator(depth='jades-deep', seed=100).sample(3000)
test_x, test_truth = NIRCamSimulator(depth='jades-deep', seed=200).sample(1500)
print(f'training cutouts {train_x.shape}, classes: '
      f'{np.bincount(train_truth["label"])} (low_z, high_z, brown_dwarf)')

# %%
# A tiny network (one spatial block) and four epochs, so that this page
# builds in a minute on a laptop; 20% of the training set is held out for
# early stopping and temperature scaling.
torch.manual_seed(0)
tiny = LymanBreakCNN(stem_channels=8, spectral_channels=16, n_spectral_blocks=1,
                     spatial_channels=(16, 32), head_units=(32,), head_dropout=(0.1,))
clf, history = train_highz(train_x, train_truth['label'], model=tiny, max_epochs=4,
                           batch_size=64, lr=2e-3, run=RunOptions(progress=False))
print(history)
print(f'temperature {clf.temperature:.2f}')

# %%
# The baseline: a Random Forest on photutils aperture photometry, trained
# on the same cutouts.
rf = ApertureRandomForest(n_estimators=200).fit(train_x, train_truth['label'])

table = evaluate_highz({'tiny CNN': clf.predict_proba(test_x),
                        'random forest': rf.predict_proba(test_x)}, test_truth)
table['model', 'snr_slice', 'n', 'accuracy', 'highz_completeness',
      'highz_contamination', 'recall_brown_dwarf', 'ece'].pprint(max_width=-1)

# %%
# The table shows where this quick model stands against the forest; the
# model card shows what the shipped model reaches after a much longer
# training. The learning curves:
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(history['epoch'], history['train_loss'], 'o-', label='training loss')
ax.plot(history['epoch'], history['val_loss'], 's-', label='validation loss')
ax.set(xlabel='epoch', ylabel='weighted cross-entropy')
ax.legend()
plt.show()
