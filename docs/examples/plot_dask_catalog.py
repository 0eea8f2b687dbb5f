"""
Classify a Dask catalog, partition by partition
===============================================

Survey catalogs of 10^5 to 10^9 rows live in partitioned Parquet files, read
with `dask.dataframe` or with `LSDB <https://docs.lsdb.io>`_ (which is built
on it and partitions the sky in HEALPix cells). This example classifies such
a catalog one partition at a time with
`~astro_galclass.HighZClassifier.classify_catalog`, then shows
`astro_galclass.distributed.classify_catalog`, which partitions a catalog
itself, runs on a `dask.distributed.Client` when given one, and writes
Parquet partitions instead of one table.

The field is simulated (`~astro_galclass.simulate.NIRCamSimulator`): the
point is the plumbing, not the scores.
"""

import tempfile

import astropy.units as u
import dask
import dask.dataframe as dd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from astropy.table import Table

from astro_galclass import HighZClassifier
from astro_galclass.distributed import classify_catalog, read_parquet
from astro_galclass.simulate import NIRCamSimulator

images, truth = NIRCamSimulator(seed=3).make_field(n_sources=120, shape=(700, 700))
clf = HighZClassifier.pretrained(device='cpu', batch_size=8)   # chunks of 32 sources

# %%
# A Dask catalog
# --------------
# A plain `pandas` table of positions in degrees, split into four
# partitions, as `dask.dataframe.read_parquet` or an LSDB catalog's
# ``_ddf`` would give.

frame = pd.DataFrame({'id': np.arange(len(truth)),
                      'ra': truth['sky_centroid'].ra.deg,
                      'dec': truth['sky_centroid'].dec.deg})
catalog = dd.from_pandas(frame, npartitions=4)
print(catalog)

# %%
# One partition at a time
# -----------------------
# A function turns a partition (a pandas DataFrame) into an astropy
# `~astropy.table.Table` with units, classifies it and returns the result
# columns as a DataFrame. ``map_partitions`` applies it lazily to every
# partition; ``meta`` tells Dask the columns it will get. Each partition is
# classified with the mosaics already in memory here; on a cluster, give
# FITS paths instead (below).


def classify_partition(part):
    table = Table({'ra': part['ra'].to_numpy() * u.deg,
                   'dec': part['dec'].to_numpy() * u.deg})
    result = clf.classify_catalog(table, images, progress=False)
    columns = {name: np.ma.filled(result[name], np.nan)
               for name in ('p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_ood')}
    columns['highz_class'] = result['highz_class'].filled()
    columns['highz_flags'] = np.asarray(result['highz_flags'])
    return part.assign(**columns)


meta = frame.iloc[:0].assign(p_low_z=0.0, p_high_z=0.0, p_brown_dwarf=0.0,
                             highz_ood=0.0, highz_class='', highz_flags=np.int32(0))
classified = catalog.map_partitions(classify_partition, meta=meta)
with dask.config.set(scheduler='threads', num_workers=1):
    done = classified.compute()
print(done[['id', 'p_high_z', 'highz_class', 'highz_flags']].head())

# %%
# Every row comes back, classified or flagged: sources too close to the
# mosaic's edge keep their row, with ``OFF_IMAGE`` or ``BAD_PIXELS`` in
# ``highz_flags`` and NaN probabilities.

print(done['highz_class'].value_counts())

# %%
# Partitions chosen for you, and Parquet out
# ------------------------------------------
# `astro_galclass.distributed.classify_catalog` cuts the catalog into
# partitions of sources close on the sky (1-arcmin cells), which is what
# keeps each partition's reads of a memory-mapped mosaic small. Without a
# client it runs them here; ``output=`` writes one Parquet file per
# partition and releases each partition's results once written, so that
# memory does not grow with the catalog. With a `dask.distributed.Client`
# (``client=Client(...)``) the partitions are tasks on its workers, which
# open the mosaics by path.

with tempfile.TemporaryDirectory() as folder:
    files = classify_catalog(clf, truth, images, partition_size=32,
                             output=f'{folder}/classified', progress=False)
    print([f.name for f in files])
    table = read_parquet(f'{folder}/classified')        # rows in catalog order
    back = dd.read_parquet(f'{folder}/classified')      # or lazily, with Dask
    print(back.columns[-6:].tolist(), back.npartitions)
    partition = np.empty(len(table), int)
    for i, f in enumerate(files):
        partition[np.asarray(Table.read(f)['row'])] = i

# %%
# The partitions on the sky: each colour is one Parquet file. The last one
# would hold the rows without a usable position (there are none here).

fig, ax = plt.subplots(figsize=(5, 5))
points = ax.scatter(table['sky_centroid'].ra.deg, table['sky_centroid'].dec.deg,
                    c=partition, cmap='tab10', s=15)
ax.invert_xaxis()
ax.set_xlabel('RA [deg]')
ax.set_ylabel('Dec [deg]')
ax.set_title('Parquet partitions of the classified catalog')
fig.colorbar(points, ax=ax, label='partition')
plt.show()
