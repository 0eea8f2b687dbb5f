# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
First check of the semi-supervised pipeline (not the issue's full
benchmark): 4,000 simulated JADES-deep sources, 5% labelled; accuracy on the
unlabelled rows of SemiSupervisedClassifier and of a Random Forest trained on
the labelled rows only. ``python benchmarks/bench_semisupervised_quick.py``.
"""

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from astro_galclass.semisupervised import (
    SemiSupervisedClassifier,
    cutout_photometry,
    photometry_features,
)
from astro_galclass.simulate import NIRCamSimulator


def main():
    cutouts, truth = NIRCamSimulator(seed=5).sample(4000)
    X, _ = photometry_features(cutout_photometry(cutouts))
    y_true = np.asarray(truth['label']).astype(int)
    labelled = np.random.default_rng(0).uniform(size=len(X)) < 0.05
    y = np.where(labelled, y_true, -1)
    model = SemiSupervisedClassifier().fit(X, y)
    acc = np.mean(model.predict(X)[~labelled] == y_true[~labelled])
    rf = RandomForestClassifier(300, class_weight='balanced', random_state=0)
    rf.fit(X[labelled], y_true[labelled])
    acc_rf = np.mean(rf.predict(X[~labelled]) == y_true[~labelled])
    print(f'{labelled.sum()} labelled of {len(X)}; {model.n_pseudo_labelled_} pseudo-labelled')
    print(f'semi-supervised accuracy (unlabelled rows) {acc:.3f}')
    print(f'labelled-only Random Forest accuracy       {acc_rf:.3f}')


if __name__ == '__main__':
    main()
