# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``galclass classify``: classify the sources of a catalog on FITS mosaics."""

import argparse
import time
from pathlib import Path

from astro_galclass.cli._args import positive, priors


def _band_images(pairs):
    """``['F090W=a.fits', ...]`` -> ordered dict band -> path."""
    images = {}
    for item in pairs:
        band, sep, path = item.partition('=')
        if not sep or not band or not path:
            msg = f'--images takes BAND=FILE pairs (e.g. F444W=f444w.fits), got {item!r}'
            raise SystemExit(msg)
        if band in images:
            msg = f'--images gives the band {band} twice'
            raise SystemExit(msg)
        if not Path(path).is_file():
            msg = f'--images: {path} (band {band}) is not a file'
            raise SystemExit(msg)
        images[band] = path
    return images


def _angle_or_column(text):
    """``'10 arcsec'`` -> an angle Quantity; anything else is a column name."""
    import astropy.units as u

    try:
        value = u.Quantity(text)
    except (TypeError, ValueError):
        return text
    if not value.unit.is_equivalent(u.arcsec):
        msg = f'--size must be an angle such as "10 arcsec" or a column name, got {text!r}'
        raise SystemExit(msg)
    return value


def _check_output(path, overwrite):
    """Fail before any work when the output cannot be written."""
    from astro_galclass.io import catalog_format

    path = Path(path)
    try:
        catalog_format(path)
    except ValueError as exc:
        msg = f'--output: {exc}'
        raise SystemExit(msg) from None
    if path.exists() and not overwrite:
        msg = f'{path} exists; pass --overwrite to replace it'
        raise SystemExit(msg)
    if not path.parent.is_dir():
        msg = f'the folder of --output, {path.parent}, does not exist'
        raise SystemExit(msg)


def run(args):
    """
    Run ``galclass classify``.

    Parameters
    ----------
    args : `argparse.Namespace`
        The parsed options of the command.

    Returns
    -------
    status : int
        0 when it succeeds.
    """
    import numpy as np
    from astropy.table import QTable

    _check_output(args.output, args.overwrite)
    images = _band_images(args.images)
    try:
        catalog = QTable.read(args.catalog)
    except Exception as exc:   # astropy raises many types for unreadable files
        msg = f'could not read the catalog {args.catalog}: {exc}'
        raise SystemExit(msg) from exc
    position = tuple(args.position_column) if args.position_column else None
    if position is not None and len(position) == 1:
        position = position[0]
    start = time.perf_counter()
    if args.model == 'highz':
        from astro_galclass.highz import HighZClassifier

        clf = (HighZClassifier.pretrained(device=args.device, batch_size=args.batch_size)
               if args.weights is None else
               HighZClassifier(args.weights, device=args.device, batch_size=args.batch_size))
        out = clf.classify_catalog(catalog, images, position_column=position,
                                   priors=args.priors, overwrite=args.overwrite_columns,
                                   progress=not args.no_progress)
        labels = np.asarray(np.ma.filled(out['highz_class'], 'unclassified')).astype(str)
        flags = np.asarray(out['highz_flags'])
        names = [*clf.classes, 'unclassified']
    else:
        from astro_galclass.morphology import MorphologyClassifier

        if args.priors is not None:
            msg = '--priors applies to --model highz only'
            raise SystemExit(msg)
        if len(images) not in (1, 3):
            msg = ('--model morphology takes one colour image or three bands (red, green, '
                   f'blue, in that order), got {len(images)}')
            raise SystemExit(msg)
        clf = (MorphologyClassifier.pretrained(device=args.device, batch_size=args.batch_size)
               if args.weights is None else
               MorphologyClassifier(args.weights, device=args.device,
                                    batch_size=args.batch_size))
        if len(images) == 1:
            from astropy.nddata import NDData

            from astro_galclass.utils._images import unpack_image

            (band, path), = images.items()
            one = unpack_image(path, f'image {band}')
            image = NDData(one.data, wcs=one.wcs, mask=one.mask)
        else:
            image = list(images.values())
        out = clf.classify_catalog(catalog, image, position_column=position,
                                   size=_angle_or_column(args.size),
                                   overwrite=args.overwrite_columns)
        smooth = out['t01_smooth_or_features_a01_smoothfraction']
        featured = out['t01_smooth_or_features_a02_features_or_diskfraction']
        labels = np.where(np.ma.getmaskarray(smooth), 'unclassified',
                          np.where(np.ma.filled(smooth, 0) >= np.ma.filled(featured, 0),
                                   'smooth', 'featured'))
        flags = np.asarray(out['morph_flags'])
        names = ['smooth', 'featured', 'unclassified']
    from astro_galclass.io import write_catalog

    write_catalog(out, args.output, overwrite=args.overwrite)
    counts = ', '.join(f'{name} {int(np.sum(labels == name))}' for name in names)
    print(f'{len(out)} sources in {time.perf_counter() - start:.0f} s: {counts}; '
          f'{int(np.sum(flags != 0))} flagged; wrote {args.output}')
    return 0


def add_parser(sub):
    """
    Add ``classify`` and its options to the ``galclass`` sub-command parsers.

    Parameters
    ----------
    sub : argparse sub-parsers
        What ``ArgumentParser.add_subparsers`` returned.
    """
    p = sub.add_parser('classify', help='classify the sources of a catalog on FITS mosaics',
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description='Classify every source of CATALOG (any format astropy '
                       'reads) on one FITS mosaic per band and write the catalog with the '
                       'classification columns appended (ECSV or FITS, by extension). '
                       'Every row is kept; rows that cannot be classified are masked and '
                       'flagged.')
    p.add_argument('catalog', type=Path, help='source catalog with sky positions')
    p.add_argument('--images', nargs='+', required=True, metavar='BAND=FILE',
                   help='one FITS mosaic per band with a WCS, e.g. F090W=f090w.fits ... '
                   'F444W=f444w.fits (highz); one colour image or three bands red, green, '
                   'blue in that order (morphology)')
    p.add_argument('-o', '--output', required=True, type=Path,
                   help='catalog to write (.ecsv, .fits or .h5), provenance included '
                   '(astro_galclass.io.write_catalog)')
    p.add_argument('--model', choices=('highz', 'morphology'), default='highz',
                   help='which classifier')
    p.add_argument('--weights', type=Path, default=None,
                   help='weights file (default: the shipped model)')
    p.add_argument('--position-column', nargs='+', default=None, metavar='COLUMN',
                   help='SkyCoord column, or RA and Dec columns (default: found as '
                   'classify_catalog finds them, e.g. sky_centroid)')
    p.add_argument('--priors', type=priors, default=None,
                   help='highz: the class mix of your field, e.g. '
                   'low_z=0.9,high_z=0.1,brown_dwarf=0.001')
    p.add_argument('--size', default='10 arcsec',
                   help='morphology: cutout side, an angle or a catalog column of angles')
    p.add_argument('--batch-size', type=positive, default=64, help='sources per forward pass')
    p.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    p.add_argument('--overwrite', action='store_true', help='replace the output file')
    p.add_argument('--overwrite-columns', action='store_true',
                   help='replace classification columns the catalog already has')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.set_defaults(func=run)
