# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The high-z benchmark: a network against the baselines on a fresh simulated test set."""

import numpy as np
from astropy import units as u
from astropy.table import QTable, vstack

from astro_galclass.nircam import (
    HIGHZ_CLASSES,
    NIRCAM_BANDS,
    check_priors,
    prevalence_weights,
    selection_threshold,
    shift_priors,
)
from astro_galclass.simulate import NIRCamSimulator
from astro_galclass.training.baselines import ApertureRandomForest, LymanBreakSelection
from astro_galclass.training.evaluate import (
    DEFAULT_SNR_BINS,
    _present,
    _scores,
    _truth_arrays,
    evaluate_highz,
)

__all__ = ['HIGHZ_SKY_TARGETS', 'HIGHZ_TARGETS', 'benchmark_highz', 'check_targets',
           'improvement_table']

#: Goals of the shipped model at JADES-deep depth, F444W S/N >= 10 (issue 3).
HIGHZ_TARGETS = {'accuracy': ('>=', 0.98), 'recall_brown_dwarf': ('>=', 0.97),
                 'highz_completeness': ('>=', 0.95),
                 'highz_contamination': ('<=', 0.03), 'ece': ('<=', 0.02)}

#: Goals at the sky's class mix, on a test set of ``population='sky'``,
#: F444W S/N >= 10 (issue 13).
HIGHZ_SKY_TARGETS = {'highz_completeness': ('>=', 0.85), 'highz_contamination': ('<=', 0.03),
                     'roc_auc_high_z': ('>=', 0.99), 'recall_brown_dwarf': ('>=', 0.97),
                     'ece': ('<=', 0.02)}


def benchmark_highz(classifier, *, n_test=30000, n_train_baseline=30000,
                    depth='jades-deep', seed=7, baselines=True, progress=None,
                    priors=None, mix='priors', population='balanced',
                    train_population='balanced', bands=None, selection=None,
                    n_calibration=None, snr_min=10.0):
    """
    Evaluate a classifier and the two baselines on the same simulated test set.

    Parameters
    ----------
    classifier : `~astro_galclass.HighZClassifier`
    n_test : int, optional
        Test sources, simulated with ``seed`` (never used for training).
    n_train_baseline : int, optional
        Training sources of the Random Forest (seed ``seed + 1``).
    depth : str or dict, optional
    seed : int, optional
    baselines : bool, optional
        Also evaluate the colour selection and the Random Forest.
    progress : callable, optional
        Called with a short message at each step.
    priors : dict, optional
        A class mix (class -> fraction) at which to score every model as
        well, e.g. the sky's: the probabilities are shifted to it (the
        network's from its `~astro_galclass.HighZClassifier.training_priors`,
        the class-balanced Random Forest's from equal shares) and the test
        set is weighted to it (`~astro_galclass.training.evaluate_highz`).
    mix : str, optional
        Name of that mix in the ``mix`` column.
    population : {'balanced', 'sky'}, optional
        Population of the test sources within each class
        (`~astro_galclass.simulate.NIRCamSimulator`); the classes are equal
        thirds either way, so that each has enough sources. With ``'sky'``
        and no ``priors``, the models are also scored at the sky's class
        mix at this depth (``NIRCamSimulator.sky_class_fractions``; ``mix``
        ``'sky'``).
    train_population : {'balanced', 'sky'}, optional
        Population the Random Forest baseline is trained on (that of the
        network under test, for a fair comparison).
    bands : sequence of str, optional
        Evaluate on these bands only (e.g.
        ``astro_galclass.nircam.SURVEY_BANDS['cosmos-web']``): the network
        gets the cutouts of these bands (it needs a band-availability
        input, `~astro_galclass.HighZClassifier.band_mask`, unless they are
        all its bands) and the Random Forest is trained and applied on the
        same bands. The colour selection, which needs all seven bands, is
        left out then.
    selection : dict, optional
        A ``p_high_z`` selection goal, ``{'max_contamination': C}`` or
        ``{'min_completeness': C}``, to compare the models at one operating
        point instead of at their argmax: a model whose argmax is purer but
        less complete is not better for it. Each probabilistic model (the
        network, the Random Forest) gets its own threshold
        (`~astro_galclass.nircam.selection_threshold`), measured on a second
        simulated set of ``n_calibration`` sources (seed ``seed + 2``, same
        depth, population and bands) at the mix ``priors`` (or the test
        set's equal thirds), on its sources with F444W S/N >= ``snr_min``.
        Applied to the test set, a source is high-z when its ``p_high_z``
        reaches the threshold and otherwise the likelier of the two other
        classes. So the test-set scores are honest estimates, not fitted to
        the test set. The rows have the mix ``'<mix>, selection'``
        (``'test set, selection'`` without ``priors``), the thresholds go to
        ``table.meta['selection']``.
    n_calibration : int, optional
        Sources of that second set (default: ``n_test``).
    snr_min : float, optional
        The S/N cut of the threshold's measurement.

    Returns
    -------
    table : `~astropy.table.QTable`
        `~astro_galclass.training.evaluate_highz` rows for each model: on
        the test set's own mix (``mix`` = ``'test set'``), then at
        ``priors`` when given.
    probabilities : `~numpy.ndarray`
        The classifier's probabilities on the test set.
    truth : `~astropy.table.QTable`
        The test set's truth table.
    predictions : dict
        Baseline name -> predicted labels (argmax at the models' training
        mix). With ``priors``, also ``'<model> @ <mix>'`` -> the labels each
        model (the network's included) predicts at that mix, for a paired
        test there (`improvement_table`); with ``selection``, also
        ``'<model> @ <mix>, selection'`` -> the labels of each model's
        selection.
    """
    say = progress or (lambda msg: None)
    goal = None if selection is None else _check_selection(selection)
    say(f'simulating {n_test} test cutouts (depth {depth!r}, seed {seed}, '
        f'population {population!r})')

    def simulator(sim_seed, sim_population):
        # classes in equal thirds, on the network's grid
        return NIRCamSimulator(depth=depth, seed=sim_seed, pixel_scale=classifier.pixel_scale,
                               cutout_size=classifier.cutout_size, population=sim_population,
                               class_fractions={c: 1.0 for c in HIGHZ_CLASSES})

    sim = simulator(seed, population)
    if population == 'sky' and priors is None:
        priors = {c: f for c, f in sim.sky_class_fractions().items() if c != 'density'}
        mix = 'sky'
    bands = tuple(classifier.bands) if bands is None else tuple(bands)
    pick = [list(sim.bands).index(b) for b in bands]
    cutouts, truth = sim.sample(int(n_test))
    cutouts = cutouts[:, pick]
    say(f'classifying with the network (bands {list(bands)})')
    # the network's own probabilities (its training mix), whatever its default
    probs = classifier.predict_proba(cutouts, bands=bands, priors='training',
                                     progress=progress is not None)
    results = {'CNN': probs}
    # probabilistic models -> (model, the class mix of its probabilities)
    models = {'CNN': (classifier, check_priors(classifier.training_priors, classifier.classes))}
    predictions = {}
    colour_cuts = baselines and set(bands) == set(NIRCAM_BANDS)
    if colour_cuts:
        say('colour selection')
        colour = LymanBreakSelection(depth=depth, pixel_scale=classifier.pixel_scale,
                                     bands=bands)
        predictions['colour cuts'] = colour.predict(cutouts)
    if baselines:
        say(f'training the Random Forest on {n_train_baseline} simulated cutouts')
        train_sim = simulator(seed + 1, train_population)
        rf = ApertureRandomForest(depth=depth, pixel_scale=classifier.pixel_scale, seed=seed,
                                  bands=bands)
        train_x, train_truth = train_sim.sample(int(n_train_baseline))
        rf.fit(train_x.to_value(u.nJy)[:, pick], np.asarray(train_truth['label']))
        del train_x
        rf_probs = rf.predict_proba(cutouts)
        results['random forest'] = rf_probs
        models['random forest'] = (rf, np.full(len(classifier.classes),
                                               1 / len(classifier.classes)))
        predictions['random forest'] = rf_probs.argmax(axis=1)
    if colour_cuts:
        results['colour cuts'] = predictions['colour cuts']
    table = evaluate_highz(results, truth)
    target = None if priors is None else check_priors(priors, classifier.classes)
    if target is not None:
        at_mix = {name: shift_priors(results[name], trained, target)
                  for name, (_, trained) in models.items()}
        if colour_cuts:
            at_mix['colour cuts'] = results['colour cuts']
        table = vstack([table, evaluate_highz(at_mix, truth, priors=target, mix=mix)],
                       metadata_conflicts='silent')
        for name, result in at_mix.items():
            predictions[f'{name} @ {mix}'] = _scores(result, len(target))[0]
        table.meta['priors'] = dict(zip(classifier.classes, target.tolist(), strict=True))
    if goal is not None:
        say(f'measuring each model\'s p_high_z threshold for {goal[0]} {goal[1]} on '
            f'{n_calibration or n_test} other simulated sources (seed {seed + 2})')
        cal_cutouts, cal_truth = simulator(seed + 2, population).sample(
            int(n_calibration or n_test))
        cal_cutouts = cal_cutouts[:, pick]
        picked, table.meta['selection'] = {}, {'goal': {goal[0]: goal[1]},
                                               'snr_min': float(snr_min)}
        for name, (model, trained) in models.items():
            cal = (model.predict_proba(cal_cutouts, bands=bands, priors='training')
                   if model is classifier else model.predict_proba(cal_cutouts))
            test = results[name] if target is None else at_mix[name]
            if target is not None:
                cal = shift_priors(cal, trained, target)
            try:
                chosen = _threshold(cal, cal_truth, goal, target, classifier.classes, snr_min)
            except ValueError as err:     # the goal is out of this model's reach
                table.meta['selection'][name] = {'threshold': np.nan, 'error': str(err)}
                continue
            picked[name] = _select(test, chosen['threshold'], classifier.classes)
            table.meta['selection'][name] = chosen
        where = 'test set' if target is None else mix
        if picked:
            table = vstack([table, evaluate_highz(picked, truth, priors=target,
                                                  mix=f'{where}, selection')],
                           metadata_conflicts='silent')
        for name, labels in picked.items():
            predictions[f'{name} @ {where}, selection'] = labels
    table.meta.update({'n_test': int(n_test), 'depth': str(depth), 'seed': int(seed),
                       'population': population, 'train_population': train_population,
                       'bands': list(bands),
                       'model': classifier.name,
                       'weights_sha256': classifier.weights_sha256})
    return table, probs, truth, predictions


_SELECTION_GOALS = ('max_contamination', 'min_completeness')


def _check_selection(selection):
    """(goal name, value) of a ``selection`` dict, or a clear error."""
    if (not isinstance(selection, dict) or len(selection) != 1
            or next(iter(selection)) not in _SELECTION_GOALS):
        msg = ("selection must be a dict with one key, 'max_contamination' or "
               f"'min_completeness', got {selection!r}")
        raise ValueError(msg)
    (name, value), = selection.items()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not 0 < float(value) < 1:
        msg = f'the selection goal {name} must be a fraction in (0, 1), got {value!r}'
        raise ValueError(msg)
    return name, float(value)


def _threshold(probs, truth, goal, target, classes, snr_min):
    """A model's threshold for ``goal``, measured on ``truth``'s sources at ``snr_min``."""
    labels, snr = _truth_arrays(truth, 'F444W')
    keep = snr >= snr_min
    weights = (None if target is None
               else prevalence_weights(labels[keep], _present(target, labels[keep])))
    chosen = selection_threshold(np.asarray(probs)[keep, list(classes).index('high_z')],
                                 labels[keep], sample_weight=weights, **{goal[0]: goal[1]})
    return {'threshold': float(chosen['threshold']),
            'calibration_completeness': float(chosen['highz_completeness']),
            'calibration_contamination': float(chosen['highz_contamination'])}


def _select(probs, threshold, classes):
    """Labels of a selection: high-z at ``p_high_z >= threshold``, else the likelier other."""
    probs = np.asarray(probs, float)
    hi = list(classes).index('high_z')
    others = np.nan_to_num(probs, nan=-1.0)
    others[:, hi] = -np.inf
    labels = np.where(probs[:, hi] >= threshold, hi, np.argmax(others, axis=1))
    return np.where(np.all(np.isfinite(probs), axis=1), labels, -1)


def improvement_table(table, *, reference='CNN', results=None, truth=None, paired_on='class'):
    """
    How much ``reference`` beats each other model, per S/N slice.

    Returns a table of differences (reference minus other) in accuracy,
    high-z completeness, brown-dwarf recall, and of the other's minus the
    reference's high-z contamination (positive = reference better).

    Given the per-source ``results`` (model name -> probabilities or
    predicted labels, as for `~astro_galclass.training.evaluate_highz`) and
    the ``truth`` table of the same test set, it adds an exact McNemar test
    of the accuracy difference, which is paired (both models classify the
    same sources): ``n_only_reference`` and ``n_only_other`` count the
    sources only one of the two gets right, and ``p_accuracy`` is the
    two-sided binomial probability of so uneven a split if the two models
    were equally accurate.

    With ``paired_on='high_z'``, for comparing two selections, the tests
    are on the high-z decision and made within a class, where a class mix
    weights every source alike (the test set's counts are unweighted):
    among the true z >= 4 galaxies, which model keeps more of them
    (``n_high_z_only_reference``, ``n_high_z_only_other``,
    ``p_completeness``); among the true low-z galaxies, which model rejects
    more of them (``n_low_z_only_reference``, ``n_low_z_only_other``,
    ``p_low_z_rejection``), the galaxies whose selection makes a field's
    contamination. Brown dwarfs have their own column,
    ``d_recall_brown_dwarf``.

    Parameters
    ----------
    table : `~astropy.table.QTable`
        Rows of `~astro_galclass.training.evaluate_highz` (or the first
        output of `benchmark_highz`), with ``model`` and ``snr_slice``
        columns; ``table.meta['snr_band']`` names the S/N band of the
        paired test (default F444W).
    reference : str, optional
        The model compared with every other one (default ``'CNN'``); it
        must have a row for each S/N slice.
    results : dict, optional
        Model name -> probabilities ``(N, n_classes)`` or predicted labels
        ``(N,)`` of every model of ``table``; with ``truth``, adds the paired
        test, which needs the slices of
        `~astro_galclass.training.DEFAULT_SNR_BINS`.
    truth : `~astropy.table.Table`, optional
        The test set's truth table (``label`` and ``snr_<band>`` columns),
        for the paired test.
    paired_on : {'class', 'high_z'}, optional
        What the paired test counts as right: the class, or the high-z
        decision.

    Returns
    -------
    `~astropy.table.QTable`
        One row per other model and S/N slice: ``comparison``,
        ``snr_slice``, ``d_accuracy``, ``d_highz_completeness``,
        ``d_highz_contamination``, ``d_recall_brown_dwarf`` and, with the
        paired test, ``n_only_reference``, ``n_only_other`` and
        ``p_accuracy`` (with ``paired_on='high_z'`` the six columns above).
    """
    from scipy.stats import binomtest

    if paired_on not in ('class', 'high_z'):
        msg = f"paired_on must be 'class' or 'high_z', got {paired_on!r}"
        raise ValueError(msg)
    paired = results is not None and truth is not None
    if paired:
        labels, snr = _truth_arrays(truth, table.meta.get('snr_band', 'F444W'))
        high = HIGHZ_CLASSES.index('high_z')
        right = {}
        for name, result in results.items():
            pred = _scores(result, len(HIGHZ_CLASSES))[0]
            right[name] = (pred == labels if paired_on == 'class'
                           else (pred >= 0) & ((pred == high) == (labels == high)))
        groups = ({'': np.ones(len(labels), bool)} if paired_on == 'class' else
                  {'high_z': labels == high, 'low_z': labels == HIGHZ_CLASSES.index('low_z')})
        bins = {name: (lo, hi) for name, lo, hi in DEFAULT_SNR_BINS}
    rows = []
    ref_rows = {r['snr_slice']: r for r in table if r['model'] == reference}
    for r in table:
        if r['model'] == reference:
            continue
        ref = ref_rows[r['snr_slice']]
        row = [f"{reference} vs {r['model']}", r['snr_slice'],
               ref['accuracy'] - r['accuracy'],
               ref['highz_completeness'] - r['highz_completeness'],
               r['highz_contamination'] - ref['highz_contamination'],
               ref['recall_brown_dwarf'] - r['recall_brown_dwarf']]
        if paired:
            if str(r['snr_slice']) not in bins:
                msg = (f"the paired test needs the S/N slices {list(bins)}, "
                       f"got {r['snr_slice']!r}")
                raise ValueError(msg)
            lo, hi = bins[str(r['snr_slice'])]
            sel = (snr >= lo) & (snr < hi)
            for group in groups.values():
                within = sel & group
                only_ref = int(np.sum(right[reference][within] & ~right[r['model']][within]))
                only_other = int(np.sum(~right[reference][within] & right[r['model']][within]))
                n = only_ref + only_other
                row += [only_ref, only_other,
                        binomtest(only_ref, n, 0.5).pvalue if n else 1.0]
        rows.append(row)
    names = ['comparison', 'snr_slice', 'd_accuracy', 'd_highz_completeness',
             'd_highz_contamination', 'd_recall_brown_dwarf']
    if paired:
        if paired_on == 'class':
            names += ['n_only_reference', 'n_only_other', 'p_accuracy']
        else:
            names += ['n_high_z_only_reference', 'n_high_z_only_other', 'p_completeness',
                      'n_low_z_only_reference', 'n_low_z_only_other', 'p_low_z_rejection']
    out = QTable(rows=rows, names=names)
    for col in names[2:6]:
        out[col].format = '+.4f'
    for col in names[6:]:
        if col.startswith('p_'):
            out[col].format = '.2g'
    return out


def check_targets(table, *, model='CNN', snr_slice='S/N >= 10', targets=HIGHZ_TARGETS,
                  mix='test set'):
    """
    Lines saying whether each target is met, for the given model and slice.

    Parameters
    ----------
    table : `~astropy.table.QTable`
        Rows of `~astro_galclass.training.evaluate_highz`, with ``model``
        and ``snr_slice`` columns and one column per metric of ``targets``.
    model : str, optional
        The model whose row is checked (default ``'CNN'``).
    snr_slice : str, optional
        The S/N slice whose row is checked (default ``'S/N >= 10'``).
    targets : dict, optional
        Metric name -> (``'>='`` or ``'<='``, goal); by default
        `HIGHZ_TARGETS`.
    mix : str, optional
        The class mix whose row is checked, for tables with a ``mix`` column
        (default the test set's own).

    Returns
    -------
    list of str
        One line per target: the metric, its value, the goal and whether it
        is met.
    """
    row = next(r for r in table if r['model'] == model and r['snr_slice'] == snr_slice
               and ('mix' not in table.colnames or r['mix'] == mix))
    lines = []
    for key, (op, goal) in targets.items():
        value = float(row[key])
        met = value >= goal if op == '>=' else value <= goal
        lines.append(f'{key:<22} {value:.4f}  (goal {op} {goal}: '
                     f'{"met" if met else "NOT met"})')
    return lines
