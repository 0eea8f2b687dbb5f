"""
Which inputs let a dense head select z >= 4 galaxies at the sky's mix?

A probe of the shipped high-z network's frozen features (issue 13). For the
same simulated sources it computes three feature sets:

- ``pooled``: the network's pooled features (`LymanBreakCNN.pool`, the input
  of its dense head; 256 numbers);
- ``spectral``: the output of its spectral stage and channel attention
  (1x1 convolutions only, pixel-wise colour features), averaged within
  r = 0.1", 0.16" and 0.3" of the centre (3 x 64 numbers);
- ``photometry``: the Random Forest baseline's aperture photometry
  (`ApertureRandomForest.features`: asinh-scaled fluxes in the same three
  apertures and adjacent-band colours, 27 numbers);

and trains the same dense head as ``galclass train-highz --recipe head``
(class-balanced cross-entropy plus 0.3 times the cross-entropy at the sky's
mix, early stopping on 15%, ``Trainer``) on each set and on combinations,
from sky-population and balanced-population sources drawn directly (no
mosaic cutouts). Each head is then scored on a sky-population test set
(seed 7) weighted to the sky's class mix at F444W S/N >= 10: its argmax,
its ROC AUC, and selections whose ``p_high_z`` threshold is set on a second
set (seed 9) for completeness 0.85 and 0.9 and for contamination 0.03.

    python benchmarks/studies/photometry_probe.py [--n-train-sky 24000] \\
        [--n-train-balanced 16000] [--n-test 9000] [--cache probe.npz] \\
        [--sets pooled "pooled + spectral" ...]

About 40 minutes on two CPU cores at the default sizes (the feature pass is
most of it; ``--cache`` keeps the features for reruns; ``--sets`` trains
heads on some of the feature sets only). It changes no weights.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from astropy import units as u
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from astro_galclass import HighZClassifier
from astro_galclass.nircam import (
    HIGHZ_CLASSES,
    prevalence_weights,
    selection_threshold,
    shift_priors,
)
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training.baselines import ApertureRandomForest
from astro_galclass.training.recipes.highz_head import HIGHZ_HEAD_RECIPE, _FeatureBatches
from astro_galclass.training.trainer import Trainer, balanced_class_weights

RADII = (0.1, 0.16, 0.3) * u.arcsec
SETS = {'pooled': ('pooled',), 'spectral': ('spectral',), 'photometry': ('photometry',),
        'pooled + photometry': ('pooled', 'photometry'),
        'spectral + photometry': ('spectral', 'photometry'),
        'pooled + spectral': ('pooled', 'spectral')}


def features(clf, simulator, n, chunk=3000):
    """The three feature sets, labels and F444W S/N of ``n`` simulated sources."""
    model = clf.model.eval()
    rf = ApertureRandomForest(depth='jades-deep', pixel_scale=clf.pixel_scale)
    size = clf.cutout_size
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    radius = np.hypot(yy, xx) * clf.pixel_scale.to_value(u.arcsec)
    masks = torch.tensor(np.stack([(radius <= r) / np.sum(radius <= r)
                                   for r in RADII.to_value(u.arcsec)]), dtype=torch.float32)
    out = {k: [] for k in ('pooled', 'spectral', 'photometry', 'label', 'snr')}
    for start in range(0, n, chunk):
        cutouts, truth = simulator.sample(min(chunk, n - start))
        flux = cutouts.to_value(u.nJy).astype(np.float32)
        for i in range(0, len(flux), 500):
            with torch.no_grad():
                x = clf._input_tensor(flux[i:i + 500])
                _, _, attention, spatial = model._stages(x)
                out['pooled'].append(spatial.mean(dim=(2, 3)).numpy())
                out['spectral'].append(
                    torch.einsum('bchw,khw->bck', attention, masks).flatten(1).numpy())
        out['photometry'].append(rf.features(flux))
        out['label'].append(np.asarray(truth['label']))
        out['snr'].append(np.asarray(truth['snr_F444W']))
    return {k: np.concatenate(v) for k, v in out.items()}


def train_head(train, names, sky, seed):
    """The recipe's dense head on the concatenated feature sets; returns a predictor."""
    x = np.hstack([train[k] for k in names]).astype(np.float32)
    y = train['label'].astype(np.int64)
    fit, val = train_test_split(np.arange(len(y)), test_size=HIGHZ_HEAD_RECIPE['val_fraction'],
                                random_state=seed, stratify=y + 3 * train['population'])
    mean, std = x[fit].mean(axis=0), x[fit].std(axis=0) + 1e-6
    x = torch.from_numpy((x - mean) / std)
    y = torch.from_numpy(y)
    torch.manual_seed(seed)
    head = nn.Sequential(nn.Linear(x.shape[1], 512), nn.BatchNorm1d(512), nn.ReLU(),
                         nn.Dropout(0.3), nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(),
                         nn.Dropout(0.15), nn.Linear(256, 3))
    counts = np.bincount(y[fit].numpy(), minlength=3).astype(float)
    trainer = Trainer(head, n_classes=3, lr=HIGHZ_HEAD_RECIPE['lr'],
                      weight_decay=HIGHZ_HEAD_RECIPE['weight_decay'],
                      class_weights=balanced_class_weights(counts), schedule='plateau',
                      max_epochs=HIGHZ_HEAD_RECIPE['max_epochs'],
                      patience=HIGHZ_HEAD_RECIPE['patience'], device='cpu', seed=seed,
                      progress=False, logit_shift=np.log(sky * 3),
                      logit_shift_weight=HIGHZ_HEAD_RECIPE['sky_loss_weight'])
    history = trainer.fit(_FeatureBatches(x[fit], y[fit], batch_size=256, seed=seed),
                          (x[val], y[val]))
    head.eval()

    def predict(data):
        z = torch.from_numpy((np.hstack([data[k] for k in names]).astype(np.float32) - mean)
                             / std)
        with torch.no_grad():
            return torch.softmax(head(z), dim=1).numpy()
    return predict, len(history)


def score(p_test, test, p_cal, cal, sky):
    """Argmax and threshold selections at the sky's mix, F444W S/N >= 10."""
    def at_sky(p, data):
        keep = data['snr'] >= 10
        y = data['label'][keep]
        return shift_priors(p[keep], [1 / 3] * 3, sky), y, prevalence_weights(y, sky)

    q, y, w = at_sky(p_test, test)
    qc, yc, wc = at_sky(p_cal, cal)

    def selection(picked):
        tp = np.sum(w * (picked & (y == 1)))
        fp = np.sum(w * (picked & (y != 1)))
        return tp / np.sum(w * (y == 1)), fp / (tp + fp)

    row = {}
    row['argmax'] = selection(q.argmax(axis=1) == 1)
    row['brown-dwarf recall'] = np.mean(q[y == 2].argmax(axis=1) == 2)
    row['AUC'] = roc_auc_score(y == 1, q[:, 1], sample_weight=w)
    for goal in ({'min_completeness': 0.85}, {'min_completeness': 0.9},
                 {'max_contamination': 0.03}):
        threshold = selection_threshold(qc[:, 1], yc, sample_weight=wc, **goal)['threshold']
        row[next(iter(goal.values()))] = selection(q[:, 1] >= threshold)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-train-sky', type=int, default=24000)
    parser.add_argument('--n-train-balanced', type=int, default=16000)
    parser.add_argument('--n-test', type=int, default=9000)
    parser.add_argument('--seeds', type=int, nargs='+', default=[3, 4],
                        help='seeds of the heads trained on each feature set')
    parser.add_argument('--sets', nargs='+', choices=list(SETS), default=list(SETS),
                        metavar='SET', help=f'feature sets to train heads on (default all: '
                        f'{", ".join(SETS)})')
    parser.add_argument('--cache', type=Path, default=None,
                        help='npz file keeping the features (read when it exists)')
    args = parser.parse_args()
    clf = HighZClassifier.pretrained(device='cpu')
    start = time.perf_counter()
    if args.cache is not None and args.cache.exists():
        flat = dict(np.load(args.cache))
        data = {name: {k[len(name) + 1:]: v for k, v in flat.items() if k.startswith(name + '/')}
                for name in ('test', 'cal', 'sky', 'balanced')}
    else:
        data = {}
        for name, seed, population, n in (
                ('test', 7, 'sky', args.n_test), ('cal', 9, 'sky', args.n_test),
                ('sky', HIGHZ_HEAD_RECIPE['train_seed'], 'sky', args.n_train_sky),
                ('balanced', HIGHZ_HEAD_RECIPE['train_seed'] + 1, 'balanced',
                 args.n_train_balanced)):
            sim = NIRCamSimulator(depth='jades-deep', seed=seed, pixel_scale=clf.pixel_scale,
                                  cutout_size=clf.cutout_size, population=population,
                                  class_fractions=dict.fromkeys(HIGHZ_CLASSES, 1.0))
            data[name] = features(clf, sim, n)
            print(f'features of {n} {name} sources: {time.perf_counter() - start:.0f} s',
                  flush=True)
        if args.cache is not None:
            np.savez(args.cache, **{f'{name}/{k}': v for name, d in data.items()
                                    for k, v in d.items()})
    train = {k: np.concatenate([data['sky'][k], data['balanced'][k]]) for k in data['sky']}
    train['population'] = np.repeat([0, 1], [len(data['sky']['label']),
                                             len(data['balanced']['label'])])
    sky_mix = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    sky = np.array([sky_mix[c] for c in HIGHZ_CLASSES])
    print(f"\n{clf.name}; test: {np.sum(data['test']['snr'] >= 10)} sources at S/N >= 10 "
          "(seed 7), thresholds set on seed 9; (completeness, contamination) at the sky's mix")
    for title in args.sets:
        names = SETS[title]
        for seed in args.seeds:
            predict, epochs = train_head(train, names, sky, seed)
            row = score(predict(data['test']), data['test'], predict(data['cal']),
                        data['cal'], sky)
            cells = [f"{title:22s} seed {seed} ({epochs:3d} epochs)",
                     'argmax {:.3f} {:.4f}'.format(*row['argmax']),
                     f"AUC {row['AUC']:.4f}", f"BD recall {row['brown-dwarf recall']:.4f}"]
            cells += [f'{goal}: {{:.3f}} {{:.4f}}'.format(*row[goal])
                      for goal in (0.85, 0.9, 0.03)]
            print(' | '.join(cells), flush=True)


if __name__ == '__main__':
    main()
