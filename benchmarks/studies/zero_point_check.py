"""
Does `zero_point_offsets` find a wrong zero point in mosaics, and spare right ones?

Issue 14 injects a 0.5 mag zero-point error into one band of single cutouts;
the per-source ``highz_ood`` score flags almost none of them, and a fit of
each source's photometry cannot either (``sed_consistency_probe.py``). A
zero point is a property of a mosaic, so `zero_point_offsets` checks it
across a field. This script measures, for each depth preset and its survey's
bands (JADES-deep, all seven; CEERS, six; COSMOS-Web, four):

1. on simulated fields of the sky population (`NIRCamSimulator.make_field`,
   ``--fields`` fields of 600 sources on 2000 x 2000 short-wave pixels,
   about 1 arcmin^2 each, cut out at the true positions with
   `extract_cutouts` as `classify_catalog` does), the largest offset of any
   band and the bands called ``suspect``: none should be;
2. the same cutouts with each band in turn 0.5 mag too faint (the error
   applied to the cutouts of that band: extraction is linear in the image):
   the offset found for that band, whether it is ``suspect``, and whether
   any other band is;
3. a field of a different population (`population='balanced'`: classes in
   equal thirds, most z >= 4 galaxies at z > 8) checked against the sky
   reference: how far a field unlike the training data moves the offsets
   with every zero point right.

    python benchmarks/studies/zero_point_check.py [--fields 3]

About 5 minutes on two CPU cores with the defaults.
"""

import argparse
import time

import numpy as np
from astropy import units as u

from astro_galclass.highz import extract_cutouts, zero_point_offsets
from astro_galclass.nircam import SURVEY_BANDS
from astro_galclass.simulate import NIRCamSimulator


def cutouts_of_fields(depth, bands, population, n_fields, seed):
    """Cutouts of ``n_fields`` simulated fields at the true source positions."""
    parts = []
    for k in range(n_fields):
        images, truth = NIRCamSimulator(depth=depth, seed=seed + k,
                                        population=population).make_field(n_sources=600)
        images = {b: images[b] for b in bands}
        cutouts, _ = extract_cutouts(images, truth['sky_centroid'], bands=bands,
                                     progress=False)
        parts.append(cutouts.to_value(u.nJy))
    return np.concatenate(parts)


def describe(table):
    offset = table['offset'].to_value(u.mag)
    suspect = [str(b) for b in table['band'][table['suspect']]]
    return offset, suspect


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--fields', type=int, default=3, help='simulated fields per preset')
    parser.add_argument('--seed', type=int, default=600)
    args = parser.parse_args()
    start = time.perf_counter()
    for depth in ('jades-deep', 'ceers', 'cosmos-web'):
        bands = SURVEY_BANDS[depth]
        values = cutouts_of_fields(depth, bands, 'sky', args.fields, args.seed)
        table = zero_point_offsets(values, bands=bands, depth=depth)
        offset, suspect = describe(table)
        print(f"{depth} ({len(bands)} bands), {args.fields} sky-population fields: "
              f"{table['n_sources'].max()} of {len(values)} sources used "
              f"({table.meta['n_reference_used']} simulated); largest |offset| "
              f"{np.max(np.abs(offset)):.3f} mag; errors "
              f"{np.min(table['offset_err'].value):.3f}-{np.max(table['offset_err'].value):.3f}; "
              f"suspect {suspect or 'none'}", flush=True)
        for b, band in enumerate(bands):
            wrong = values.copy()
            wrong[:, b] *= 10 ** (-0.4 * 0.5)
            offset, suspect = describe(zero_point_offsets(wrong, bands=bands, depth=depth))
            others = np.delete(offset, b)
            print(f'  {band} 0.5 mag too faint: found {offset[b]:+.3f} mag; suspect '
                  f'{suspect or "none"}; other bands within {np.max(np.abs(others)):.3f}',
                  flush=True)
        values = cutouts_of_fields(depth, bands, 'balanced', args.fields, args.seed + 50)
        offset, suspect = describe(zero_point_offsets(values, bands=bands, depth=depth))
        print('  balanced-population fields, zero points right: offsets '
              + ', '.join(f'{b} {o:+.2f}' for b, o in zip(bands, offset, strict=True))
              + f'; suspect {suspect or "none"}', flush=True)
    print(f'\n{time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
