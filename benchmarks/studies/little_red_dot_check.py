# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
How often the little-red-dot selection fires, on simulated sources and on
injected little red dots, for each survey's bands.

`astro_galclass.highz.red_dots.little_red_dots` applies the published
photometric selection of little red dots (colour cuts of Labbé et al. 2025,
Akins et al. 2024 for COSMOS-Web's bands, F444W compactness, a near-IR
brown-dwarf cut). The high-z classifier sets ``HighZFlag.LITTLE_RED_DOT``
where it holds. This script reports, for JADES-deep (seven bands), CEERS
(six) and COSMOS-Web (four):

- the share selected among simulated sources of the ``'sky'`` population
  at the sky's class mix (what a real field's false flags would be, if the
  sky were the simulator), per class, drawn directly and, for JADES-deep,
  cut out of simulated mosaics;
- the share selected per class among ``'balanced'`` sources (equal thirds:
  the brown dwarfs that pass, as real ones do);
- the share selected among injected little red dots on blank sky
  (`~astro_galclass.simulate.inject_artifacts`). These have the colours
  the selection was built for, so this checks the apertures, the S/N and
  the compactness measure, not how complete the selection is on real
  little red dots.

Run: ``python benchmarks/studies/little_red_dot_check.py`` (about 3
minutes on two CPU cores).
"""

import argparse
import time

import numpy as np

from astro_galclass.highz.red_dots import little_red_dots
from astro_galclass.nircam import NIRCAM_BANDS, SURVEY_BANDS
from astro_galclass.simulate import NIRCamSimulator, inject_artifacts
from astro_galclass.training import SimulatedMosaicBatches

CLASSES = ('low_z', 'high_z', 'brown_dwarf')
EQUAL = dict.fromkeys(CLASSES, 1.0)


def _rates(selected, labels):
    per_class = ' '.join(f'{name} {selected[labels == k].mean():.4f} (n={np.sum(labels == k)})'
                         if np.any(labels == k) else f'{name} -'
                         for k, name in enumerate(CLASSES))
    return f'all {selected.mean():.4f}; {per_class}'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n', type=int, default=6000, help='simulated sources per sample')
    parser.add_argument('--n-lrd', type=int, default=300, help='injected little red dots')
    parser.add_argument('--seed', type=int, default=71)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for depth in ('jades-deep', 'ceers', 'cosmos-web'):
        bands = SURVEY_BANDS.get(depth, NIRCAM_BANDS)
        keep = [NIRCAM_BANDS.index(b) for b in bands]
        print(f'\n{depth}, bands {", ".join(bands)}')
        sky = NIRCamSimulator(depth=depth, seed=args.seed, population='sky')
        flux, truth = sky.sample(args.n)
        labels = np.asarray(truth['label'])
        selected = little_red_dots(flux.value[:, keep], bands=bands)
        print(f'  sky population, sky mix, direct:   {_rates(selected, labels)}')
        if depth == 'jades-deep':
            mosaic = SimulatedMosaicBatches(sky, batch_size=args.n // 2, batches_per_epoch=1,
                                            normalization=None, seed=args.seed,
                                            field_sources=150, field_shape=(1000, 1000))
            m_flux, m_labels = mosaic.draw(args.n // 2)
            selected = little_red_dots(np.asarray(m_flux)[:, keep], bands=bands)
            print(f'  sky population, sky mix, mosaics:  '
                  f'{_rates(selected, np.asarray(m_labels))}')
        balanced = NIRCamSimulator(depth=depth, seed=args.seed + 1, class_fractions=EQUAL)
        flux, truth = balanced.sample(args.n // 2)
        selected = little_red_dots(flux.value[:, keep], bands=bands)
        print(f'  balanced population, equal thirds: '
              f'{_rates(selected, np.asarray(truth["label"]))}')
        blank = NIRCamSimulator(depth=depth, seed=args.seed + 2).noise(args.n_lrd).value
        lrd = inject_artifacts(blank, 'little_red_dot', rng=np.random.default_rng(args.seed))
        print(f'  injected little red dots:          '
              f'{little_red_dots(lrd[:, keep], bands=bands).mean():.3f}')
    print(f'\n{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
