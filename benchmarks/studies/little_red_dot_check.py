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

At JADES-deep it also prints:

- the redshifts and the median F277W - F356W and F356W - F444W (r =
  0.3") of the selected z >= 4 galaxies: what the selection picks among
  simulated galaxies;
- the median ``p_brown_dwarf`` the shipped network gives the injected
  little red dots, at its default priors and at its training priors;
- the F444W aperture noise (r = 0.16") the selection estimates from the
  cutouts' outskirts, and a white-noise estimate from the same pixels,
  over the depth's calibrated aperture noise, on direct and mosaic
  cutouts (median and 95th percentile);
- the time `little_red_dots` takes per source.

Run: ``python benchmarks/studies/little_red_dot_check.py`` (about 3
minutes on two CPU cores).
"""

import argparse
import time

import astropy.units as u
import numpy as np
from astropy.stats import mad_std

from astro_galclass import HighZClassifier
from astro_galclass.highz.red_dots import _aperture_noise, little_red_dots
from astro_galclass.nircam import (
    NIRCAM_BANDS,
    SURVEY_BANDS,
    aperture_fluxes,
    aperture_noise,
    njy_to_mag,
)
from astro_galclass.simulate import NIRCamSimulator, inject_artifacts
from astro_galclass.training import SimulatedMosaicBatches

CLASSES = ('low_z', 'high_z', 'brown_dwarf')
SCALE = 0.03   # arcsec per pixel of the cutouts
EQUAL = dict.fromkeys(CLASSES, 1.0)


def _rates(selected, labels):
    per_class = ' '.join(f'{name} {selected[labels == k].mean():.4f} (n={np.sum(labels == k)})'
                         if np.any(labels == k) else f'{name} -'
                         for k, name in enumerate(CLASSES))
    return f'all {selected.mean():.4f}; {per_class}'


def _noise_check(depth, samples):
    truth = aperture_noise(depth)['F444W']
    size = next(iter(samples.values())).shape[-1]
    yy, xx = np.mgrid[:size, :size]
    outskirts = np.hypot(xx - (size - 1) / 2, yy - (size - 1) / 2) * SCALE > 0.75
    for kind, cutouts in samples.items():
        images = cutouts[:, -1].astype(float)
        estimate = _aperture_noise(images, SCALE, 0.16) / truth
        white = (mad_std(images[:, outskirts], axis=-1, ignore_nan=True)
                 * np.sqrt(np.pi) * 0.16 / SCALE / truth)
        high = np.nanpercentile(estimate, 95)
        print(f'  F444W aperture noise over the depth\'s, {kind} cutouts: estimate median '
              f'{np.nanmedian(estimate):.2f} (95th percentile {high:.2f}), '
              f'white-noise estimate median {np.median(white):.2f}')


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
            high = selected & (labels == 1)
            mag = njy_to_mag(np.clip(aperture_fluxes(flux.value[high], [0.3] * u.arcsec)[:, :, 0],
                                     1e-3, None))
            z = np.asarray(truth['redshift'])[high]
            print(f'  selected z >= 4 galaxies: redshift 10/50/90% '
                  f'{" / ".join(f"{q:.1f}" for q in np.percentile(z, [10, 50, 90]))}; median '
                  f'F277W - F356W {np.median(mag[:, 4] - mag[:, 5]):.2f}, F356W - F444W '
                  f'{np.median(mag[:, 5] - mag[:, 6]):.2f}')
            mosaic = SimulatedMosaicBatches(sky, batch_size=args.n // 2, batches_per_epoch=1,
                                            normalization=None, seed=args.seed,
                                            field_sources=150, field_shape=(1000, 1000))
            m_flux, m_labels = mosaic.draw(args.n // 2)
            selected = little_red_dots(np.asarray(m_flux)[:, keep], bands=bands)
            print(f'  sky population, sky mix, mosaics:  '
                  f'{_rates(selected, np.asarray(m_labels))}')
            _noise_check(depth, {'direct': flux.value, 'mosaic': np.asarray(m_flux)})
        balanced = NIRCamSimulator(depth=depth, seed=args.seed + 1, class_fractions=EQUAL)
        flux, truth = balanced.sample(args.n // 2)
        selected = little_red_dots(flux.value[:, keep], bands=bands)
        print(f'  balanced population, equal thirds: '
              f'{_rates(selected, np.asarray(truth["label"]))}')
        blank = NIRCamSimulator(depth=depth, seed=args.seed + 2).noise(args.n_lrd).value
        lrd = inject_artifacts(blank, 'little_red_dot', rng=np.random.default_rng(args.seed))
        print(f'  injected little red dots:          '
              f'{little_red_dots(lrd[:, keep], bands=bands).mean():.3f}')
        if depth == 'jades-deep':
            clf = HighZClassifier.pretrained(device='cpu')
            p_bd = [np.median(clf.predict_proba(lrd, priors=priors)[:, 2])
                    for priors in (None, 'training')]
            print(f'  shipped network on them: median p_brown_dwarf {p_bd[0]:.4f} (default '
                  f'priors), 1 - {1 - p_bd[1]:.1e} (training priors)')
            tick = time.perf_counter()
            little_red_dots(blank)
            print(f'  little_red_dots: {(time.perf_counter() - tick) / len(blank) * 1e3:.2f} ms '
                  'per source')
    print(f'\n{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
