# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Would a photometric consistency test flag what the embedding's score misses?

Issue 14's injections that ``highz_ood`` does not flag are a band off by
0.5 mag, little-red-dot-like point sources and blends. None is strange in
its pixels; each is strange in its spectral energy distribution, if at all.
This probe asks whether the photometry alone says so: is there any simulated
in-distribution source whose photometry fits the source's, up to a free
normalisation?

- Photometry: photutils aperture fluxes in r = 0.3" (``aperture_fluxes``),
  1-sigma errors from the depth preset (the r = 0.16" aperture noise of the
  Random Forest baseline scaled by the radius, white noise).
- Empirical templates: the ``--n-ref`` reference sources (half balanced,
  half sky population, classes in equal thirds, drawn directly) with S/N
  >= 30 in their best band, noisy as observed.
- Score: the smallest chi-square over the templates, with the best
  non-negative normalisation for each, the template's own noise and a
  fractional error ``floor`` of the model added in quadrature.
- Threshold: the 99th percentile of fresh in-distribution sources (1% of
  them flagged). Reported per injected kind: the share above it; for the
  zero-point errors also the share whose shifted band moved by at least 5
  sigma, which no per-source test can beat by much.

Run: ``python benchmarks/studies/sed_consistency_probe.py`` (about a
minute per floor on two CPU cores).
"""

import argparse
import time

import astropy.units as u
import numpy as np

from astro_galclass.nircam import NIRCAM_BANDS
from astro_galclass.nircam.photometry import aperture_fluxes
from astro_galclass.simulate import ARTIFACT_KINDS, NIRCamSimulator, inject_artifacts
from astro_galclass.training.baselines import ApertureRandomForest

EQUAL = {'low_z': 1.0, 'high_z': 1.0, 'brown_dwarf': 1.0}
RADIUS = 0.3 * u.arcsec


def _draw(n, seed):
    """``n`` direct cutouts, half of each population, classes in equal thirds."""
    parts = [NIRCamSimulator(seed=seed + k, population=pop, class_fractions=EQUAL)
             .sample(n // 2)[0].to_value(u.nJy) for k, pop in enumerate(('balanced', 'sky'))]
    return np.concatenate(parts)


def _photometry(cutouts):
    return aperture_fluxes(cutouts, [RADIUS])[:, :, 0]


def _min_chi2(flux, templates, error, floor, chunk=256):
    """Smallest chi-square of each row of ``flux`` over ``templates`` (free scale >= 0)."""
    out = np.empty(len(flux))
    for start in range(0, len(flux), chunk):
        f = flux[start:start + chunk, None, :]                        # (n, 1, bands)
        w = 1.0 / (error ** 2 + (floor * f) ** 2)
        scale = np.maximum((templates * f * w).sum(-1) / (templates ** 2 * w).sum(-1), 0)
        model = scale[..., None] * templates                          # (n, T, bands)
        var = error ** 2 * (1 + scale[..., None] ** 2) + (floor * model) ** 2
        out[start:start + chunk] = ((f - model) ** 2 / var).sum(-1).min(axis=1)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-ref', type=int, default=6000, help='reference sources')
    parser.add_argument('--n-test', type=int, default=2000, help='fresh in-distribution sources')
    parser.add_argument('--n-kind', type=int, default=300, help='sources per injected kind')
    parser.add_argument('--floors', type=float, nargs='+', default=[0.03, 0.05, 0.1],
                        help='fractional model errors to try')
    parser.add_argument('--seed', type=int, default=61)
    args = parser.parse_args(argv)
    start = time.perf_counter()

    error = ApertureRandomForest().sigma * float(RADIUS / (0.16 * u.arcsec))
    reference = _photometry(_draw(args.n_ref, args.seed))
    templates = reference[(reference / error).max(axis=1) >= 30]
    test = _photometry(_draw(args.n_test, args.seed + 10))
    pool = _draw(2 * args.n_kind, args.seed + 20)
    blank = NIRCamSimulator(seed=args.seed + 30).noise(args.n_kind).to_value(u.nJy)
    rng = np.random.default_rng(args.seed)
    injected = {}
    for kind in ARTIFACT_KINDS:
        base = blank if kind == 'little_red_dot' else pool[:args.n_kind]
        injected[kind] = _photometry(inject_artifacts(base, kind, rng=rng,
                                                      others=pool[args.n_kind:]))
    shift = np.abs(injected['zero_point'] - _photometry(pool[:args.n_kind])) / error
    visible = shift.max(axis=1) >= 5
    print(f'{len(templates)} templates (S/N >= 30) of {args.n_ref} reference sources; '
          f'{len(test)} in-distribution test sources; bands {" ".join(NIRCAM_BANDS)}')
    print(f'zero-point errors that moved their band by >= 5 sigma: {visible.mean():.3f}')
    header = (f'{"floor":>6s} {"threshold":>10s} ' + ' '.join(f'{k[:14]:>14s}'
                                                               for k in ARTIFACT_KINDS)
              + f' {"zp >= 5 sigma":>14s}')
    print(header)
    for floor in args.floors:
        threshold = np.quantile(_min_chi2(test, templates, error, floor), 0.99)
        shares = {k: np.mean(_min_chi2(f, templates, error, floor) > threshold)
                  for k, f in injected.items()}
        zp = _min_chi2(injected['zero_point'][visible], templates, error, floor)
        print(f'{floor:6.2f} {threshold:10.1f} '
              + ' '.join(f'{shares[k]:14.3f}' for k in ARTIFACT_KINDS)
              + f' {np.mean(zp > threshold):14.3f}')
    print(f'\n{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
