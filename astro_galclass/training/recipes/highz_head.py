# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The recipes that retrain the top of a high-z network on frozen features.

`retrain_highz_head` (`HIGHZ_HEAD_RECIPE`) made the shipped version 4 from
version 3: the convolutional layers stay as they are and the dense head is
retrained on both populations. `retrain_highz_top` (`HIGHZ_TOP_RECIPE`)
retrains the last spatial block too. From the shell: ``galclass
train-highz --recipe head|top``.
"""

import time

import numpy as np
import torch
from astropy import units as u
from sklearn.model_selection import train_test_split

from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training._records import (
    fit_record,
    override_recipe,
    run_record,
    save_classifier,
)
from astro_galclass.training.calibration import fit_temperature
from astro_galclass.training.data import SimulatedMosaicBatches
from astro_galclass.training.freezing import freeze_layers, unfreeze_layers
from astro_galclass.training.options import RunOptions
from astro_galclass.training.recipes.highz import _equal_thirds, _set_sky_priors, _start_from
from astro_galclass.training.trainer import Trainer, balanced_class_weights

__all__ = ['HIGHZ_HEAD_RECIPE', 'HIGHZ_TOP_RECIPE', 'retrain_highz_head', 'retrain_highz_top']

#: Stage 3 of the shipped model (version 4): the convolutional layers of a
#: seven-band network (version 3) kept as they are, and its dense head and
#: output layer retrained on both populations: ``n_sky`` sources of
#: ``NIRCamSimulator(population='sky')`` (the low-z galaxies and the z ~ 4-6
#: galaxies of a real deep field) and ``n_balanced`` of the balanced
#: population (the z > 8 tail, dusty and Balmer-break interlopers and bright
#: brown dwarfs that the sky holds few of), classes in equal thirds in both,
#: ``mosaic_fraction`` of each cut out of simulated mosaics. The frozen
#: layers' pooled features are computed once, so the run is a forward pass
#: over the sources plus seconds of head training: about 15 minutes on two
#: CPU cores. Frozen layers cannot forget what they learned, which is what
#: the full fine-tunes of ``benchmarks/studies/README.md`` did. The loss adds
#: ``sky_loss_weight`` times the cross-entropy of the decisions at the sky's
#: class mix (`~astro_galclass.training.Trainer` ``logit_shift``), so that
#: the margins of separable classes (bright brown dwarfs) survive the shift
#: to the default priors.
HIGHZ_HEAD_RECIPE = {
    'depth': 'jades-deep',
    'train_seed': 20261204,
    'n_sky': 24000,
    'n_balanced': 16000,
    'mosaic_fraction': 0.1,
    'val_fraction': 0.15,
    'batch_size': 256,
    'lr': 3e-4,
    'weight_decay': 1e-4,
    'sky_loss_weight': 0.3,
    'max_epochs': 200,
    'patience': 10,
    'seed': 3,
}

#: The head recipe with the last spatial block of the network retrained as
#: well (``retrain_blocks``). `HIGHZ_HEAD_RECIPE` keeps every convolutional
#: layer of version 3, trained on the balanced population only; the probe of
#: ``benchmarks/studies/photometry_probe.py`` found those layers, not the
#: head, limit the purity at the sky's mix (the colours read at the centre
#: of the spectral stage select more purely than the pooled features). The
#: input of the last block (128 x 16 x 16 numbers per source, stored as
#: float16) is computed once, so training costs that block and the head
#: only: about an hour on two CPU cores for the recipe's 40,000 sources.
#: An experiment, not the shipped recipe: measured on version 4 it gained
#: little (``benchmarks/studies/README.md``).
HIGHZ_TOP_RECIPE = {
    **HIGHZ_HEAD_RECIPE,
    'train_seed': 20261206,
    'retrain_blocks': 1,
    'lr': 1e-4,
    'max_epochs': 12,
    'patience': 3,
}




class _Top(torch.nn.Module):
    """
    The trainable top of a `LymanBreakCNN`: its last ``retrain_blocks``
    spatial blocks (none: the input is the pooled features), the average
    over the image, the dense head and the output layer. The modules are the
    network's own, so training this trains the network.
    """

    def __init__(self, model, retrain_blocks=0):
        super().__init__()
        cut = len(model.spatial) - 2 * retrain_blocks
        self.blocks = model.spatial[cut:] if retrain_blocks else None
        self.head, self.classifier = model.head, model.classifier

    def forward(self, x):
        if self.blocks is not None:
            x = self.blocks(x).mean(dim=(2, 3))
        return self.classifier(self.head(x))


def _frozen_part(model, retrain_blocks, size=64):
    """``(forward, shape)``: the layers below `_Top` and their output per ``size``-pixel cutout."""
    width = model.config['spatial_channels']
    if not retrain_blocks:
        return model.pool, (width[-1],)
    kept = len(width) - retrain_blocks
    below = model.spatial[:2 * kept]

    def forward(x):
        return below(model.attention(model.spectral(model.stem(x))))

    channels = ([model.config['spectral_channels'], *width])[kept]
    return forward, (channels, size // 2 ** kept, size // 2 ** kept)


class _FeatureBatches:
    """Shuffled ``(features, labels)`` batches, reshuffled every epoch."""

    def __init__(self, features, labels, *, batch_size, seed):
        self.features, self.labels = features, labels
        self.batch_size = int(batch_size)
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self):
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            take = order[start:start + self.batch_size]
            yield self.features[take], self.labels[take]


def _frozen_features(clf, simulator, n, *, retrain_blocks, mosaic_fraction, chunk=2048,
                     seed=0):
    """
    Outputs of the frozen layers (`_frozen_part`) and labels of ``n`` simulated sources.

    ``mosaic_fraction`` of them are cut out of simulated mosaics
    (`SimulatedMosaicBatches`, seed ``seed``); the rest are drawn directly.
    The cutouts are simulated and passed through the network ``chunk`` at a
    time, so memory stays bounded. Pooled features are float32; the maps
    below retrained blocks are stored as float16 (128 x 16 x 16 numbers per
    source for the last block).
    """
    forward, shape = _frozen_part(clf.model, retrain_blocks, clf.metadata['cutout_size'])
    dtype = torch.float16 if retrain_blocks else torch.float32
    n_mosaic = round(n * mosaic_fraction)
    mosaic = (SimulatedMosaicBatches(simulator, batch_size=min(n_mosaic, 256),
                                     batches_per_epoch=1, normalization=None, seed=seed)
              if n_mosaic else None)
    features, labels = [], []
    for kind, total in (('direct', n - n_mosaic), ('mosaic', n_mosaic)):
        for start in range(0, total, chunk):
            size = min(chunk, total - start)
            if kind == 'direct':
                flux, truth = simulator.sample(size)
                flux, label = flux.to_value(u.nJy), np.asarray(truth['label'])
            else:
                flux, label = mosaic.draw(size)
            out = clf.infer(np.asarray(flux, np.float32), forward,
                            empty_shape=(0, *shape))
            features.append(torch.from_numpy(out).to(dtype))
            labels.append(np.asarray(label, np.int64))
    return torch.cat(features), torch.from_numpy(np.concatenate(labels))


def retrain_highz_head(output, *, init=None, n_sky=None, n_balanced=None, max_epochs=None,
                       name='highz-sim-jades-deep-v4', run=None):
    """
    Retrain the dense head of a high-z network on both populations (`HIGHZ_HEAD_RECIPE`).

    This is how the shipped version 4 was made from version 3. The
    convolutional layers stay frozen: their pooled features
    (`~astro_galclass.highz.LymanBreakCNN.pool`) of ``n_sky``
    sky-population and ``n_balanced`` balanced-population sources (classes
    in equal thirds, a tenth cut out of simulated mosaics) are computed once;
    the dense head and output layer then train on them with class-balanced
    cross-entropy, early stopping on a held-out part (``val_fraction``),
    and a temperature fitted on that part. The loss adds ``sky_loss_weight``
    times the cross-entropy of the posteriors at the sky's class mix: bright
    brown dwarfs and galaxies are separable, so the cross-entropy alone
    leaves their logit margin wherever training stops (7-10 nats measured),
    and the shift to a deep field's brown-dwarf share (5e-5, 9.6 nats) then
    turns many of them into galaxies. ``training_priors`` stay uniform;
    ``default_priors`` becomes the sky's class mix at the recipe's depth
    (`~astro_galclass.simulate.NIRCamSimulator.sky_class_fractions`), so
    that ``p_high_z`` is a deep field's posterior by default. The
    out-of-distribution statistics of the old head no longer apply and are
    dropped: refit them with `~astro_galclass.HighZClassifier.fit_ood`
    (the shipped file's come from ``benchmarks/bench_highz_ood.py
    --write-weights``). From the shell: ``galclass train-highz --recipe
    head``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The seven-band network whose head is retrained (default: the shipped
        weights).
    n_sky, n_balanced, max_epochs : int, optional
        Override the recipe (e.g. for a quick smoke run); the metadata
        records what was used.
    name : str, optional
        Name of the result.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints and time budget (of the head's
        training, not the feature pass); the recipe fixes the seeds.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The retrained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The head's training history.
    """
    recipe = override_recipe(HIGHZ_HEAD_RECIPE, n_sky=n_sky, n_balanced=n_balanced,
                             max_epochs=max_epochs)
    return _retrain_top(output, 'head', recipe, init=init, name=name, run=run)


def retrain_highz_top(output, *, init=None, n_sky=None, n_balanced=None, max_epochs=None,
                      name='highz-sim-jades-deep-top', run=None):
    """
    Retrain the last spatial block and the dense head of a high-z network (`HIGHZ_TOP_RECIPE`).

    As `retrain_highz_head`, on the same kinds of sources, but the last
    ``retrain_blocks`` spatial blocks of the network train with the head:
    the input of those blocks (the output of the frozen layers below them,
    128 x 16 x 16 numbers per source, float16) is computed once and the
    blocks, the average over the image, the head and the output layer train
    on it. The lower layers (stem, spectral stage, channel attention and
    the first spatial blocks) stay as they are. From the shell:
    ``galclass train-highz --recipe top``.

    Parameters
    ----------
    output : path-like
        Weights file to write.
    init : path-like, optional
        The seven-band network to continue (default: the shipped weights).
    n_sky, n_balanced, max_epochs : int, optional
        Override the recipe (e.g. for a quick smoke run); the metadata
        records what was used.
    name : str, optional
        Name of the result.
    run : `~astro_galclass.training.RunOptions`, optional
        Device, progress bars, checkpoints and time budget (of the training,
        not the feature pass); the recipe fixes the seeds.

    Returns
    -------
    classifier : `~astro_galclass.HighZClassifier`
        The retrained, calibrated classifier, also saved to ``output``.
    history : `~astropy.table.QTable`
        The training history.
    """
    recipe = override_recipe(HIGHZ_TOP_RECIPE, n_sky=n_sky, n_balanced=n_balanced,
                             max_epochs=max_epochs)
    return _retrain_top(output, 'top', recipe, init=init, name=name, run=run)


def _retrain_top(output, recipe_name, recipe, *, init, name, run):
    """The head and top recipes: `_Top` trained on the frozen layers' outputs."""
    start = time.perf_counter()
    run = RunOptions.check(run)
    blocks = recipe.get('retrain_blocks', 0)
    loaded, previous = _start_from(init, run.device)
    if loaded.model.band_mask:
        msg = (f'{loaded.name!r} takes a band-availability input; the {recipe_name} recipe '
               'retrains seven-band networks')
        raise ValueError(msg)
    n_spatial = len(loaded.model.config['spatial_channels'])
    if blocks > n_spatial:
        msg = (f'retrain_blocks must be at most the number of spatial blocks ({n_spatial}), '
               f'got {blocks}')
        raise ValueError(msg)
    clf = loaded
    clf.metadata['name'] = name
    clf.metadata.pop('ood', None)
    seed = recipe['seed']
    torch.manual_seed(seed)
    simulators = {population: _equal_thirds(recipe, population, recipe['train_seed'] + k)
                  for k, population in enumerate(('sky', 'balanced'))}
    parts = [_frozen_features(clf, sim, recipe[f'n_{population}'], seed=seed + k,
                              retrain_blocks=blocks, mosaic_fraction=recipe['mosaic_fraction'])
             for k, (population, sim) in enumerate(simulators.items())]
    features = torch.cat([p[0] for p in parts])
    labels = torch.cat([p[1] for p in parts])
    del parts
    # the held-out part is stratified by class and population
    strata = (labels + len(clf.classes) * torch.cat(
        [torch.full((recipe[f'n_{population}'],), k)
         for k, population in enumerate(simulators)])).numpy()
    train, val = train_test_split(np.arange(len(labels)), test_size=recipe['val_fraction'],
                                  random_state=seed, stratify=strata)
    train, val = torch.from_numpy(train), torch.from_numpy(val)
    features_seconds = time.perf_counter() - start
    counts = np.bincount(labels[train].numpy(), minlength=len(clf.classes)).astype(float)
    sky_mix = NIRCamSimulator(depth=recipe['depth']).sky_class_fractions()
    shift = np.log([sky_mix[c] * len(clf.classes) for c in clf.classes])
    freeze_layers(clf.model, 'features')
    top = _Top(clf.model, blocks)
    if blocks:
        for p in top.blocks.parameters():
            p.requires_grad_(True)
    trainer = Trainer(top, n_classes=len(clf.classes), lr=recipe['lr'],
                      weight_decay=recipe['weight_decay'],
                      class_weights=balanced_class_weights(counts), schedule='plateau',
                      max_epochs=recipe['max_epochs'], patience=recipe['patience'],
                      device=clf.device, **run.replace(seed=seed).trainer_options(),
                      logit_shift=shift,
                      logit_shift_weight=recipe['sky_loss_weight'])
    val_batches = list(_FeatureBatches(features[val], labels[val], batch_size=512, seed=seed))
    history = trainer.fit(_FeatureBatches(features[train], labels[train],
                                          batch_size=recipe['batch_size'], seed=seed),
                          val_batches)
    unfreeze_layers(clf.model)
    logits, val_labels = trainer.predict_logits(val_batches)
    clf.temperature = fit_temperature(logits.numpy(), val_labels.numpy())
    clf.metadata['training_priors'] = dict.fromkeys(clf.classes, 1 / len(clf.classes))
    _set_sky_priors(clf, recipe['depth'])
    clf.metadata['sky_simulator'] = simulators['sky'].settings()
    seen = int(recipe['n_sky'] + recipe['n_balanced'])
    function = f'astro_galclass.training.recipes.highz_head.retrain_highz_{recipe_name}'
    clf.metadata['recipe'] = {
        'reproduce': f'galclass train-highz --recipe {recipe_name} --init PREVIOUS.pt',
        'previous': previous,
        recipe_name: {**fit_record(function, history, **recipe, time_budget=run.time_budget,
                                   features_seconds=features_seconds, n_train=len(train),
                                   n_val=len(val)),
                      **run_record(clf, start)},
        'cutouts_seen': previous.get('cutouts_seen', 0) + seen,
        'device': str(clf.device), 'torch_version': str(torch.__version__)}
    retrained = (f'its last {blocks} spatial block(s) and dense head retrained (lower layers '
                 'frozen)' if blocks else
                 'its dense head retrained (convolutional layers frozen)')
    clf.metadata['training'] = (
        f"{loaded.metadata.get('training', 'not recorded')}; then {retrained} on "
        f"{recipe['n_sky']} sky-population and {recipe['n_balanced']} balanced-population "
        f"NIRCamSimulator sources (depth {recipe['depth']!r})")
    clf.model_changed()
    return save_classifier(clf, output), history
