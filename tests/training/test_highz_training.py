# Licensed under a 3-clause BSD style license - see LICENSE.rst
import numpy as np
import pytest
import torch
from astropy import units as u
from conftest import TINY

from astro_galclass import HighZClassifier
from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training import (
    ArrayBatches,
    RunOptions,
    SimulatedBatches,
    train_highz,
    train_highz_simulated,
)
from astro_galclass.training.recipes import highz as highz_recipes
from astro_galclass.training.recipes.highz import (
    HIGHZ_BANDS_RECIPE,
    HIGHZ_SKY_RECIPE,
    HIGHZ_STAGE2_RECIPE,
    continue_highz_bands,
    continue_highz_sky,
    reproduce_highz,
)
from astro_galclass.training.recipes.highz_head import (
    HIGHZ_HEAD_RECIPE,
    HIGHZ_TOP_RECIPE,
    retrain_highz_head,
    retrain_highz_top,
)

CPU = RunOptions(device='cpu', progress=False)


def test_train_highz_on_labelled_cutouts(tiny_model, simulated, tmp_path):
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    before = cutouts.copy()
    clf, history = train_highz(cutouts, labels, model=tiny_model, max_epochs=2,
                               batch_size=32, run=CPU.replace(checkpoint_dir=tmp_path / 'ckpt'))
    assert np.array_equal(cutouts, before)                  # input untouched
    assert len(history) == 2
    assert clf.temperature > 0 and clf.temperature != 1.0   # calibrated
    assert clf.metadata['recipe']['n_train'] == 240
    assert clf.metadata['recipe']['n_val'] == 60
    path = tmp_path / 'mine.pt'
    clf.save(path)
    again = HighZClassifier(path, device='cpu')
    assert again.temperature == pytest.approx(clf.temperature)
    assert again.weights_sha256 == clf.weights_sha256
    p1 = clf.predict_proba(cutouts[:5])
    p2 = again.predict_proba(cutouts[:5])
    assert np.allclose(p1, p2, atol=1e-5)
    # a class-balanced loss: the probabilities assume equal shares
    assert again.training_priors == pytest.approx(dict.fromkeys(clf.classes, 1 / 3))


def test_training_priors_follow_the_loss_weights(tiny_model, simulated):
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    keep = (labels != 2) | (np.arange(len(labels)) % 4 == 0)   # few brown dwarfs
    clf, _ = train_highz(cutouts[keep], labels[keep], model=tiny_model, max_epochs=1,
                         batch_size=32, run=CPU, class_weights=None)
    train_shares = np.bincount(labels[keep], minlength=3) / keep.sum()
    recorded = np.array(list(clf.training_priors.values()))
    # the stratified training split keeps the shares to within a source or two
    np.testing.assert_allclose(recorded, train_shares, atol=0.01)


def test_train_highz_label_checks(tiny_model, simulated):
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    with pytest.raises(ValueError, match='one class index or class name per item'):
        train_highz(cutouts, labels[:-1], model=tiny_model, run=CPU)
    with pytest.raises(ValueError, match=r'class indices in \[0, 2\]'):
        train_highz(cutouts, labels + 1, model=tiny_model, run=CPU)
    with pytest.raises(TypeError, match=r'class indices \(int\) or class names'):
        train_highz(cutouts, labels.astype(float), model=tiny_model, run=CPU)
    with pytest.raises(ValueError, match='unknown class names'):
        train_highz(cutouts, np.where(labels == 0, 'galaxy', 'high_z'), model=tiny_model,
                    run=CPU)
    with pytest.raises(ValueError, match='validation labels must be one class index'):
        train_highz(cutouts[:200], labels[:200], validation=(cutouts[200:], labels[:3]),
                    model=tiny_model, run=CPU)
    with pytest.raises(ValueError, match='validation must be a fraction'):
        train_highz(cutouts, labels, model=tiny_model, run=CPU, validation=1.5)


def test_train_highz_accepts_class_names(tiny_model, simulated):
    # the one label check of every entry point: class names or class indices
    cutouts, truth = simulated
    labels = np.asarray(truth['label'])
    names = np.array(['low_z', 'high_z', 'brown_dwarf'])[labels]
    by_index, h1 = train_highz(cutouts, labels, model=tiny_model, max_epochs=1,
                               batch_size=32, run=CPU)
    torch.manual_seed(0)
    again = LymanBreakCNN(**TINY)
    by_name, h2 = train_highz(cutouts, names, model=again, max_epochs=1, batch_size=32,
                              run=CPU)
    assert by_name.weights_sha256 == by_index.weights_sha256
    assert np.array_equal(h1['val_loss'], h2['val_loss'])


def test_train_highz_simulated_records_the_simulator(tiny_model, tmp_path):
    sim = NIRCamSimulator(seed=5)
    val = NIRCamSimulator(seed=6)
    clf, _ = train_highz_simulated(sim, val_simulator=val, n_val=64, batch_size=16,
                                   batches_per_epoch=2, model=tiny_model,
                                   max_epochs=1, run=CPU)
    assert clf.metadata['simulator']['seed'] == 5
    assert clf.metadata['validation_simulator']['seed'] == 6
    assert clf.metadata['recipe']['cutouts_seen'] == 32
    clf.save(tmp_path / 'sim.pt')
    reloaded = HighZClassifier(tmp_path / 'sim.pt')
    assert reloaded.metadata['simulator'] == clf.metadata['simulator']


def test_simulated_batches_are_fresh_and_seeded():
    from astro_galclass.highz import AsinhNormalization

    def first_batch(seed):
        b = SimulatedBatches(NIRCamSimulator(seed=seed), batch_size=4, batches_per_epoch=2,
                             normalization=AsinhNormalization(), simulate_chunk=4)
        return [x for x, _ in b]

    a, b = first_batch(1), first_batch(1)
    assert torch.equal(a[0], b[0])
    assert not torch.equal(a[0], a[1])
    assert not torch.equal(a[0], first_batch(2)[0])


def test_array_batches_cover_every_cutout_once():
    flux = np.arange(10, dtype=np.float32)[:, None, None, None] * np.ones((10, 1, 4, 4))
    b = ArrayBatches(flux * u.nJy, np.arange(10) % 2, batch_size=4, normalization=None,
                     shuffle=True, seed=0)
    seen = np.concatenate([x[:, 0, 0, 0].numpy() for x, _ in b])
    assert sorted(seen) == list(range(10))
    assert len(b) == 3
    with pytest.raises(u.UnitsError, match='flux units'):
        ArrayBatches(flux * u.m, np.zeros(10, int), batch_size=4, normalization=None)
    with pytest.raises(ValueError, match='shape'):
        ArrayBatches(flux[:, 0], np.zeros(10, int), batch_size=4, normalization=None)


def test_weights_metadata_accepts_str_subclasses(tmp_path):
    from astro_galclass.utils._weights import load_weights, save_weights

    path = tmp_path / 'w.pt'
    save_weights(path, {'a': torch.zeros(2)}, {'torch': torch.__version__,
                                               'x': np.float32(1.5)})
    _, meta = load_weights(path)
    assert meta['torch'] == str(torch.__version__)
    assert type(meta['torch']) is str
    assert meta['x'] == 1.5


def test_mosaic_batches_come_from_extracted_cutouts():
    from astro_galclass.highz import AsinhNormalization
    from astro_galclass.training import SimulatedMosaicBatches

    batches = SimulatedMosaicBatches(NIRCamSimulator(seed=41), batch_size=8,
                                     batches_per_epoch=2, normalization=AsinhNormalization(),
                                     field_sources=60, field_shape=(600, 600))
    out = list(batches)
    assert len(out) == 2
    x, y = out[0]
    assert x.shape == (8, 7, 64, 64) and y.dtype == torch.int64
    assert torch.isfinite(x).all()
    # the refill kept only unflagged sources, fewer than the field's 60
    assert len(batches._labels) + 16 <= 60


def test_mixed_batches_join_their_streams():
    from astro_galclass.training import MixedBatches

    a = ArrayBatches(np.zeros((6, 7, 8, 8), np.float32), [0, 1, 2, 0, 1, 2], batch_size=3,
                     normalization=None, shuffle=False)
    b = ArrayBatches(np.ones((4, 7, 8, 8), np.float32), [2, 2, 2, 2], batch_size=1,
                     normalization=None, shuffle=False)
    mixed = MixedBatches([a, b])
    out = list(mixed)
    assert len(mixed) == len(out) == 2                  # the shorter stream sets the epoch
    x, y = out[0]
    assert x.shape == (4, 7, 8, 8)
    assert y.tolist() == [0, 1, 2, 2]
    assert x[:3].sum() == 0 and torch.all(x[3] == 1)
    # per epoch: a gives 2 of each class; b gives 1 cutout per batch, all class 2
    assert np.allclose(mixed.class_counts(3), [2, 2, 2 + 2])
    with pytest.raises(ValueError, match='at least one'):
        MixedBatches([])
    with pytest.raises(TypeError, match='class_counts'):
        MixedBatches([[(x, y)]])


def test_simulated_batches_draw_gives_raw_cutouts():
    sim = NIRCamSimulator(seed=8)
    batches = SimulatedBatches(sim, batch_size=4, batches_per_epoch=1, normalization=None,
                               simulate_chunk=16)
    flux, labels = batches.draw(40)
    assert flux.shape == (40, 7, 64, 64) and labels.shape == (40,)
    # raw fluxes in nJy: the same as the simulator gives with the same seed
    direct, truth = NIRCamSimulator(seed=8).sample(16)
    assert np.allclose(flux[:16], direct.to_value(u.nJy))
    assert np.array_equal(labels[:16], truth['label'])


def test_reproduce_stage2_mixes_mosaic_cutouts(tiny_model, tmp_path):
    stage1 = HighZClassifier(tiny_model, device='cpu')
    stage1.metadata['recipe'] = {'cutouts_seen': 10, 'function': 'test'}
    stage1.save(tmp_path / 'stage1.pt')
    out = tmp_path / 'stage2.pt'
    _clf, history = reproduce_highz(out, init=tmp_path / 'stage1.pt', stage2_epochs=1,
                                   batches_per_epoch=1, n_val=60, workers=1, run=CPU)
    assert len(history) == 1
    recipe = HighZClassifier(out).metadata['recipe']
    assert recipe['stage1']['loaded_from'] == 'stage1.pt'
    assert recipe['stage2']['mosaic_fraction'] == HIGHZ_STAGE2_RECIPE['mosaic_fraction']
    assert recipe['cutouts_seen'] == 10 + HIGHZ_STAGE2_RECIPE['batch_size']
    assert recipe['stage2']['workers'] == 1
    with pytest.raises(ValueError, match='mosaic_fraction'):
        train_highz_simulated(NIRCamSimulator(seed=1), val_simulator=NIRCamSimulator(seed=2),
                              model=tiny_model, mosaic_fraction=1.0, run=CPU)


def test_continue_on_the_sky_population(tiny_model, tmp_path):
    start = HighZClassifier(tiny_model, device='cpu')
    start.metadata['recipe'] = {'cutouts_seen': 10, 'function': 'test'}
    start.save(tmp_path / 'v3.pt')
    out = tmp_path / 'v4.pt'
    _clf, history = continue_highz_sky(out, init=tmp_path / 'v3.pt', max_epochs=1,
                                       batches_per_epoch=1, n_val=60, workers=0, run=CPU)
    assert len(history) == 1
    clf = HighZClassifier(out)
    recipe = clf.metadata['recipe']
    assert recipe['previous']['loaded_from'] == 'v3.pt'
    assert recipe['sky']['population'] == 'sky' == HIGHZ_SKY_RECIPE['population']
    assert recipe['cutouts_seen'] == 10 + HIGHZ_SKY_RECIPE['batch_size']
    # trained on equal thirds of the sky population ...
    assert clf.metadata['simulator']['population'] == 'sky'
    assert clf.training_priors == pytest.approx({c: 1 / 3 for c in clf.classes})
    # ... and by default a deep field's posterior
    sky = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    assert clf.default_priors == pytest.approx({c: sky[c] for c in clf.classes})
    assert 'sky_class_fractions' in clf.metadata['default_priors_source']


def test_continue_into_a_band_masked_network(tiny_model, tmp_path):
    from astro_galclass.nircam import NIRCAM_BANDS, SURVEY_BANDS

    start = HighZClassifier(tiny_model, device='cpu')
    start.metadata['recipe'] = {'cutouts_seen': 10, 'function': 'test'}
    start.save(tmp_path / 'v3.pt')
    out = tmp_path / 'bands.pt'
    _clf, history = continue_highz_bands(out, init=tmp_path / 'v3.pt', max_epochs=1,
                                         batches_per_epoch=1, n_val=60, workers=0, run=CPU)
    assert len(history) == 1
    clf = HighZClassifier(out)
    assert clf.band_mask and clf.model.n_inputs == 14
    recipe = clf.metadata['recipe']
    assert recipe['previous']['loaded_from'] == 'v3.pt'
    assert recipe['bands']['p_all'] == HIGHZ_BANDS_RECIPE['p_all']
    assert recipe['cutouts_seen'] == 10 + HIGHZ_BANDS_RECIPE['batch_size']
    assert clf.metadata['sky_simulator']['population'] == 'sky'
    assert clf.training_priors == pytest.approx({c: 1 / 3 for c in clf.classes})
    cutouts, _ = NIRCamSimulator(seed=4).sample(3)
    pick = [NIRCAM_BANDS.index(b) for b in SURVEY_BANDS['cosmos-web']]
    probs = clf.predict_proba(cutouts[:, pick], bands=SURVEY_BANDS['cosmos-web'])
    assert probs.shape == (3, 3) and np.isfinite(probs).all()
    with pytest.raises(ValueError, match='already takes a band-availability input'):
        continue_highz_bands(tmp_path / 'again.pt', init=out, max_epochs=1,
                             batches_per_epoch=1, n_val=60, run=CPU)


def test_reproduce_stage2_epochs_zero_is_stage1_only(monkeypatch, tiny_model, tmp_path):
    def small_stage1(*args, **kwargs):
        kwargs.update(model=tiny_model, n_val=60, batches_per_epoch=1, batch_size=16,
                      mosaic_fraction=0.0)
        return train_highz_simulated(*args, **kwargs)

    monkeypatch.setattr(highz_recipes, 'train_highz_simulated', small_stage1)
    out = tmp_path / 'stage1.pt'
    clf, history = reproduce_highz(out, max_epochs=1, stage2_epochs=0, workers=1, run=CPU)
    assert len(history) == 1                            # the history of stage 1
    recipe = HighZClassifier(out).metadata['recipe']
    assert recipe['reproduce'].endswith('--stage2-epochs 0')
    assert 'stage2' not in recipe and recipe['epochs_run'] == 1
    assert clf.temperature != 1.0                       # stage 1 alone is calibrated
    with pytest.raises(ValueError, match='stage2_epochs'):
        reproduce_highz(out, init=out, stage2_epochs=0)


def test_simulated_batches_in_worker_processes():
    # workers simulate in parallel; the batches are fixed by the seed and the
    # number of workers, new in every epoch, and the workers' streams differ
    from astro_galclass.highz import AsinhNormalization

    def two_epochs(seed, workers):
        b = SimulatedBatches(NIRCamSimulator(seed=seed), batch_size=4, batches_per_epoch=3,
                             normalization=AsinhNormalization(), simulate_chunk=4,
                             workers=workers)
        return [[(x, y) for x, y in b] for _ in range(2)]

    first, again = two_epochs(1, 2), two_epochs(1, 2)
    assert [len(epoch) for epoch in first] == [3, 3]
    for (x1, y1), (x2, y2) in zip(first[0] + first[1], again[0] + again[1], strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
        assert x1.shape == (4, 7, 64, 64) and torch.isfinite(x1).all()
    batches = [x for x, _ in first[0] + first[1]]
    assert all(not torch.equal(batches[0], x) for x in batches[1:])
    assert not torch.equal(first[0][0][0], two_epochs(2, 2)[0][0][0])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match='workers must be a non-negative int'):
            SimulatedBatches(NIRCamSimulator(seed=1), batch_size=4, batches_per_epoch=1,
                             normalization=None, workers=bad)


def test_head_recipe_keeps_the_convolutional_layers(tiny_model, tmp_path):
    start = HighZClassifier(tiny_model, device='cpu')
    start.metadata['recipe'] = {'cutouts_seen': 10, 'function': 'test'}
    cutouts, truth = NIRCamSimulator(seed=5).sample(90)
    start.fit_ood(cutouts, truth['label'])
    start.save(tmp_path / 'v3.pt')
    before = {k: v.clone() for k, v in start.model.state_dict().items()}
    out = tmp_path / 'v4.pt'
    _clf, history = retrain_highz_head(out, init=tmp_path / 'v3.pt', n_sky=90, n_balanced=60,
                                       max_epochs=2, run=CPU)
    assert 1 <= len(history) <= 2
    clf = HighZClassifier(out)
    after = clf.model.state_dict()
    frozen = [k for k in before if not k.startswith(('head.', 'classifier.'))]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert not torch.equal(before['classifier.weight'], after['classifier.weight'])
    assert all(p.requires_grad for p in clf.model.parameters())
    recipe = clf.metadata['recipe']
    assert recipe['previous']['loaded_from'] == 'v3.pt'
    assert recipe['head']['n_sky'] == 90 and recipe['head']['n_balanced'] == 60
    assert recipe['head']['sky_loss_weight'] == HIGHZ_HEAD_RECIPE['sky_loss_weight']
    assert recipe['head']['n_train'] + recipe['head']['n_val'] == 150
    assert recipe['cutouts_seen'] == 160
    # the old head's out-of-distribution statistics no longer apply
    assert 'ood' not in clf.metadata
    assert clf.training_priors == pytest.approx({c: 1 / 3 for c in clf.classes})
    sky = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    assert clf.default_priors == pytest.approx({c: sky[c] for c in clf.classes})
    assert clf.metadata['sky_simulator']['population'] == 'sky'


def test_top_recipe_retrains_the_last_spatial_block_and_the_head(tmp_path):
    torch.manual_seed(0)
    start = HighZClassifier(LymanBreakCNN(**{**TINY, 'spatial_channels': (8, 16)}),
                            device='cpu')
    start.save(tmp_path / 'v4.pt')
    before = {k: v.clone() for k, v in start.model.state_dict().items()}
    out = tmp_path / 'v5.pt'
    _clf, history = retrain_highz_top(out, init=tmp_path / 'v4.pt', n_sky=90, n_balanced=60,
                                      max_epochs=2, run=CPU)
    assert 1 <= len(history) <= 2
    clf = HighZClassifier(out)
    after = clf.model.state_dict()
    last = f'spatial.{len(clf.model.spatial) - 2}.'
    assert HIGHZ_TOP_RECIPE['retrain_blocks'] == 1
    frozen = [k for k in before if not k.startswith((last, 'head.', 'classifier.'))]
    assert any(k.startswith('spatial.0.') for k in frozen)
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    for name in (f'{last}body.0.weight', 'head.0.weight', 'classifier.weight'):
        assert not torch.equal(before[name], after[name]), name
    assert all(p.requires_grad for p in clf.model.parameters())
    recipe = clf.metadata['recipe']
    assert recipe['top']['retrain_blocks'] == 1 and recipe['top']['n_sky'] == 90
    assert recipe['reproduce'].startswith('galclass train-highz --recipe top')
    assert 'last 1 spatial block(s)' in clf.metadata['training']
    sky = NIRCamSimulator(depth='jades-deep').sky_class_fractions()
    assert clf.default_priors == pytest.approx({c: sky[c] for c in clf.classes})
    # the retrained network classifies as the file says
    cutouts, _ = NIRCamSimulator(seed=8).sample(6)
    assert np.allclose(clf.predict_proba(cutouts).sum(axis=1), 1)


def test_head_recipe_refuses_band_masked_networks(tiny_model, tmp_path):
    HighZClassifier(tiny_model.with_band_mask(), device='cpu').save(tmp_path / 'masked.pt')
    with pytest.raises(ValueError, match='band-availability input'):
        retrain_highz_head(tmp_path / 'out.pt', init=tmp_path / 'masked.pt', n_sky=30,
                           n_balanced=30, max_epochs=1, run=CPU)
    with pytest.raises(ValueError, match='the top recipe retrains seven-band networks'):
        retrain_highz_top(tmp_path / 'out.pt', init=tmp_path / 'masked.pt', n_sky=30,
                          n_balanced=30, max_epochs=1, run=CPU)
