"""
Classify a field from a handful of labels
=========================================

A simulated JADES-deep field of 4,000 sources in which only 5% have a known
class (as if from spectroscopy), plus a few artifacts no class describes.
`~astro_galclass.semisupervised.SemiSupervisedClassifier` clusters all
sources with HDBSCAN, spreads the few labels over the field, and trains a
Random Forest on labelled plus confidently pseudo-labelled sources. The
clusters are shown in a colour-colour diagram, with the outliers marked.
"""

import astropy.units as u
import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier

from astro_galclass.nircam import HIGHZ_CLASSES, selection_metrics
from astro_galclass.semisupervised import (
    SemiSupervisedClassifier,
    cutout_photometry,
    photometry_features,
)
from astro_galclass.simulate import NIRCamSimulator

# %%
# Aperture photometry of the simulated sources: a catalog with
# ``flux_<band>`` and ``fluxerr_<band>`` columns, as photutils would give for a
# real field. A separate set of sources is kept back to test on.
sim = NIRCamSimulator(depth='jades-deep', seed=42)
cutouts, truth = sim.sample(4000)
catalog = cutout_photometry(cutouts)
test_cutouts, test_truth = sim.sample(2000)
test_catalog = cutout_photometry(test_cutouts)

# %%
# Twenty artifacts: a hot pixel or a persistence ghost puts flux into one
# band only. No class describes them; they should stand out as outliers.
rng = np.random.default_rng(1)
artifact = np.zeros(len(catalog), bool)
artifact[rng.choice(len(catalog), 20, replace=False)] = True
for i in np.flatnonzero(artifact):
    band = sim.bands[rng.integers(len(sim.bands))]
    for b in sim.bands:
        noise = catalog[f'fluxerr_{b}'][i]
        catalog[f'flux_{b}'][i] = rng.normal() * noise
    catalog[f'flux_{band}'][i] = rng.uniform(20, 60) * catalog[f'fluxerr_{band}'][i]

# %%
# Keep the class of 5% of the (real) sources; the others get -1.
y_true = np.asarray(truth['label'])
labelled = (rng.uniform(size=len(catalog)) < 0.05) & ~artifact
y = np.where(labelled, y_true, -1)
print(f'{labelled.sum()} labelled sources of {len(catalog)}')

X, names = photometry_features(catalog)
model = SemiSupervisedClassifier(random_state=0).fit(X, y)
print(f'{model.n_pseudo_labelled_} sources pseudo-labelled in {model.n_iter_} forest fits')
model.cluster_summary(classes=HIGHZ_CLASSES).pprint(max_width=-1)

# %%
# Compare with a Random Forest trained on the labelled sources alone, on the
# test sources neither has seen.
X_test, _ = photometry_features(test_catalog)
rf = RandomForestClassifier(n_estimators=300, class_weight='balanced', random_state=0)
rf.fit(X[labelled], y_true[labelled])
for name, learner in (('semi-supervised', model), ('labelled-only forest', rf)):
    scores = selection_metrics(test_truth['label'], learner.predict(X_test))
    print(f'{name:22s}', ', '.join(f'{k} {v:.3f}' for k, v in scores.items()))

# %%
# The classified field: probabilities, cluster, membership and outlier
# score appended to a copy of the catalog.
table = model.classify(catalog)
print(table['p_high_z', 'ssl_class', 'cluster_id', 'cluster_membership',
            'outlier_score'][:5])


def colour(table, blue, red):
    """Colour with fluxes floored at their 1-sigma errors (limits for non-detections)."""
    f = {b: np.maximum(table[f'flux_{b}'], table[f'fluxerr_{b}']).to_value(u.nJy)
         for b in (blue, red)}
    return -2.5 * np.log10(f[blue] / f[red])


x = colour(table, 'F277W', 'F444W')
yc = colour(table, 'F090W', 'F150W')
outlier = np.asarray(table['outlier_score'])
top = outlier >= np.quantile(outlier, 0.99)
print(f'artifacts among the 1% highest outlier scores: {np.sum(artifact & top)} of '
      f'{artifact.sum()}; median outlier score: artifacts {np.median(outlier[artifact]):.2f}, '
      f'other sources {np.median(outlier[~artifact]):.2f}')

# %%
# Left: the HDBSCAN clusters (grey: no cluster) with the labelled sources
# ringed; right: the predicted classes. Crosses are the 1% of sources with
# the highest GLOSH outlier scores; the artifacts are among them.
cluster = np.asarray(table['cluster_id'])
fig, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
ax = axes[0]
ax.scatter(x[cluster < 0], yc[cluster < 0], s=3, c='0.8', label='no cluster')
for cid in np.unique(cluster[cluster >= 0]):
    sel = cluster == cid
    ax.scatter(x[sel], yc[sel], s=4, label=f'cluster {cid}')
ax.scatter(x[labelled], yc[labelled], s=18, facecolors='none', edgecolors='k',
           linewidths=0.5, label='labelled')
ax.set_title('HDBSCAN clusters')
ax = axes[1]
colours = {'low_z': 'tab:blue', 'high_z': 'tab:red', 'brown_dwarf': 'tab:olive'}
for name, c in colours.items():
    sel = np.asarray(table['ssl_class']) == name
    ax.scatter(x[sel], yc[sel], s=4, c=c, label=name)
ax.set_title('semi-supervised classes')
for ax in axes:
    ax.scatter(x[top], yc[top], marker='x', c='k', s=30, label='top 1% outliers')
    ax.set_xlabel('F277W - F444W [mag]')
    ax.legend(fontsize=7, markerscale=2, loc='upper left')
axes[0].set_ylabel('F090W - F150W [mag]')
axes[0].set_xlim(-2, 3)
axes[0].set_ylim(-1.5, 5)
fig.tight_layout()
plt.show()
