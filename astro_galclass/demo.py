# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The end-to-end demonstration behind ``galclass demo``.

Simulate a JADES-like field, detect its sources with photutils, classify
them with the shipped high-z model, and write the catalog, a DS9 region file
and a figure; since the field is simulated, report the accuracy.
"""

import time
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.convolution import convolve
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.stats import sigma_clipped_stats
from astropy.table import QTable

from astro_galclass.highz import HighZClassifier
from astro_galclass.highz.flags import UNCLASSIFIED
from astro_galclass.highz.resample import extract_cutouts
from astro_galclass.nircam import LONG_WAVE_BANDS, NIRCAM_BANDS, selection_metrics
from astro_galclass.simulate import NIRCamSimulator

__all__ = ['CLASS_COLOURS', 'class_counts', 'detect_sources_multiband', 'run_demo', 'write_regions']

#: Marker colours of the classes in region files and figures.
CLASS_COLOURS = {'low_z': 'cyan', 'high_z': 'red', 'brown_dwarf': 'yellow',
                 'unclassified': 'white'}


def detect_sources_multiband(images, *, bands=LONG_WAVE_BANDS, nsigma=3.0, npixels=10):
    """
    Detect sources on an S/N-weighted stack of mosaics with photutils.

    The images (same grid) are each divided by their sigma-clipped noise and
    summed; the stack is smoothed with a Gaussian of 2.5 pixels FWHM
    (about the long-wave PSF on 0.063" pixels), thresholded at ``nsigma``
    times its noise with ``npixels`` connected pixels
    (`photutils.segmentation.detect_sources`), deblended
    (`~photutils.segmentation.deblend_sources`) and measured
    (`~photutils.segmentation.SourceCatalog`).

    Parameters
    ----------
    images : dict
        Band -> `~astropy.nddata.NDData` with a WCS; ``bands`` must share
        one pixel grid.
    bands : sequence of str, optional
    nsigma : float, optional
    npixels : int, optional

    Returns
    -------
    catalog : `~astropy.table.QTable`
        ``label``, ``x_centroid``, ``y_centroid`` (pixels of the detection
        grid), ``sky_centroid``, ``area`` and ``segment_flux`` from photutils'
        `~photutils.segmentation.SourceCatalog` (the flux of the detection
        stack, in S/N units), and ``detection_snr``.
    """
    from photutils.segmentation import (
        SourceCatalog,
        deblend_sources,
        detect_sources,
        make_2dgaussian_kernel,
    )

    stack = None
    shape = images[bands[0]].data.shape
    for band in bands:
        data = np.asarray(images[band].data, float)
        if data.shape != shape:
            msg = f'detection bands must share one grid; {band} has shape {data.shape}'
            raise ValueError(msg)
        _, _, std = sigma_clipped_stats(data[np.isfinite(data)], sigma=3.0)
        term = np.where(np.isfinite(data), data / std, np.nan)
        stack = term if stack is None else stack + term
    stack /= np.sqrt(len(bands))
    mask = ~np.isfinite(stack)
    stack = np.where(mask, 0.0, stack)
    kernel = make_2dgaussian_kernel(2.5, size=5)
    smooth = convolve(stack, kernel)         # NaN were set to 0; masked below
    _, _, noise = sigma_clipped_stats(smooth[~mask], sigma=3.0)
    segm = detect_sources(smooth, nsigma * noise, n_pixels=npixels, mask=mask)
    if segm is None:
        return QTable({'label': np.array([], int),
                       'sky_centroid': SkyCoord([], [], unit='deg')})
    segm = deblend_sources(smooth, segm, n_pixels=npixels, n_levels=32, contrast=0.005,
                           progress_bar=False)
    cat = SourceCatalog(stack, segm, convolved_data=smooth, mask=mask,
                        wcs=images[bands[0]].wcs)
    # built from attributes, not column names (photutils 3 renamed xcentroid)
    centroid = np.atleast_2d(cat.centroid)
    table = QTable({'label': np.atleast_1d(cat.label),
                    'x_centroid': centroid[:, 0], 'y_centroid': centroid[:, 1],
                    'sky_centroid': cat.sky_centroid,
                    'area': np.atleast_1d(cat.area),
                    'segment_flux': np.atleast_1d(cat.segment_flux)})
    table['detection_snr'] = table['segment_flux'] / np.sqrt(table['area'].value)
    good = np.isfinite(table['x_centroid']) & np.isfinite(table['y_centroid'])
    return table[good]


def write_regions(catalog, path, *, radius=0.3 * u.arcsec):
    """
    A DS9 region file with one circle per source, coloured by class (regions).

    Sources that could not be classified are white; the text label is the
    class and p_high_z.

    Parameters
    ----------
    catalog : `~astropy.table.QTable`
        A classified catalog with ``sky_centroid``, ``highz_class`` and
        ``p_high_z`` columns (as from `~astro_galclass.highz.HighZClassifier.classify_catalog`);
        colours are those of `CLASS_COLOURS`.
    path : str or `~pathlib.Path`
        The region file to write (DS9 format); an existing file is overwritten.
    radius : `~astropy.units.Quantity`, optional
        Angular radius of the circles; 0.3 arcsec by default.
    """
    from regions import CircleSkyRegion, Regions

    regs = []
    for row in catalog:
        masked = np.ma.is_masked(row['highz_class']) or not row['highz_class']
        cls = 'unclassified' if masked else str(row['highz_class'])
        p = row['p_high_z']
        text = cls if np.ma.is_masked(p) else f'{cls} {float(p):.2f}'
        regs.append(CircleSkyRegion(row['sky_centroid'], radius,
                                    visual={'color': CLASS_COLOURS[cls]},
                                    meta={'text': text}))
    Regions(regs).write(str(path), format='ds9', overwrite=True)


def _rgb(images):
    """A Lupton RGB composite on the long-wave grid: F444W, F277W, F150W."""
    from astropy.visualization import make_lupton_rgb
    from scipy.ndimage import map_coordinates

    ref = images['F444W']
    ny, nx = ref.data.shape
    yy, xx = np.mgrid[:ny, :nx]
    sky = ref.wcs.pixel_to_world(xx.ravel(), yy.ravel())
    planes = []
    for band in ('F444W', 'F277W', 'F150W'):
        img = images[band]
        if img.data.shape == ref.data.shape and img.wcs.wcs.compare(ref.wcs.wcs):
            data = np.asarray(img.data, float)
        else:
            x, y = img.wcs.world_to_pixel(sky)
            data = map_coordinates(np.nan_to_num(np.asarray(img.data, float)),
                                   [y, x], order=1, cval=0.0).reshape(ny, nx)
        planes.append(np.nan_to_num((data * img.unit).to_value(u.MJy / u.sr)))
    return make_lupton_rgb(*planes, minimum=-0.002, stretch=0.02, Q=8)


def class_counts(catalog):
    """
    Number of sources per class in a classified catalog, unclassified included.

    Parameters
    ----------
    catalog : `~astropy.table.Table`
        With a ``highz_class`` column as `~astro_galclass.HighZClassifier`
        writes it (masked where a source was not classified).

    Returns
    -------
    counts : dict
        Class name -> count, in the order of the figure's legend, with
        ``'unclassified'`` last; the counts add up to the catalog's length.
    """
    labels = np.asarray(np.ma.filled(catalog['highz_class'], 'unclassified')).astype(str)
    return {cls: int(np.sum(labels == cls)) for cls in CLASS_COLOURS}


def _figure(images, catalog, cutouts, path):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    ref = images['F444W']
    order = np.argsort(-np.nan_to_num(np.asarray(catalog['p_high_z'].filled(0.0))))
    best = order[:min(6, len(order))]
    fig = plt.figure(figsize=(16, 9), layout='constrained')
    sub = fig.subfigures(1, 2, width_ratios=[1.15, 1])
    ax = sub[0].add_subplot(projection=ref.wcs)
    ax.imshow(_rgb(images), origin='lower')
    x, y = ref.wcs.world_to_pixel(catalog['sky_centroid'])
    classes = np.asarray(np.ma.filled(catalog['highz_class'], 'unclassified')).astype(str)
    for cls, count in class_counts(catalog).items():
        sel = classes == cls
        if count:
            ax.scatter(x[sel], y[sel], s=60, facecolors='none',
                       edgecolors=CLASS_COLOURS[cls], linewidths=0.8,
                       label=f'{cls} ({count})')
    for rank, i in enumerate(best):
        ax.text(x[i] + 6, y[i] + 6, str(rank + 1), color='red', fontsize=9)
    ax.legend(loc='upper right', fontsize='small', framealpha=0.6)
    ax.set(xlabel='RA', ylabel='Dec',
           title='simulated JADES-deep field: F444W / F277W / F150W')
    axes = sub[1].subplots(len(best), len(NIRCAM_BANDS), squeeze=False)
    for r, i in enumerate(best):
        stamp = cutouts[r]
        scale = np.nanpercentile(stamp, 99.5) or 1.0
        for b, band in enumerate(NIRCAM_BANDS):
            a = axes[r, b]
            a.imshow(stamp[b], origin='lower', cmap='gray_r', vmin=-0.1 * scale, vmax=scale)
            a.set_xticks([])
            a.set_yticks([])
            if r == 0:
                a.set_title(band, fontsize=9)
            if b == 0:
                a.set_ylabel(f'#{r + 1} p={float(catalog["p_high_z"][i]):.2f}', fontsize=8)
    sub[1].suptitle('best high-z candidates (2" cutouts, model grid)')
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _selection(pred, truth):
    """High-z completeness and contamination (NaN where undefined)."""
    metrics = selection_metrics(truth == 'high_z', pred == 'high_z', high_z=True)
    return {k: metrics[k] for k in ('highz_completeness', 'highz_contamination')}


def run_demo(output='galclass-demo', *, n_sources=500, shape=(2000, 2000), seed=2026,
             device='auto', classifier=None, say=print):
    """
    Simulate, detect, classify and write the demo products.

    Parameters
    ----------
    output : path-like, optional
        Output folder (created).
    n_sources : int, optional
        Sources in the simulated field.
    shape : tuple of int, optional
        Short-wave mosaic shape (0.031"/pix).
    seed : int, optional
    device : str, optional
    classifier : `~astro_galclass.HighZClassifier`, optional
        Default: `~astro_galclass.HighZClassifier.pretrained`.
    say : callable, optional
        Where progress and the summary are printed.

    Returns
    -------
    catalog : `~astropy.table.QTable`
        Detections with the classification and the matched truth.
    summary : dict
        Counts, accuracy, the field's class mix (``priors``, at which the
        sources are drawn and classified: ``population='sky'`` of
        `~astro_galclass.simulate.NIRCamSimulator`) and the high-z
        completeness and contamination at F444W S/N >= 10.
    """
    start = time.perf_counter()
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    clf = classifier or HighZClassifier.pretrained(device=device)
    # the sources as a deep field has them: its class mix, redshifts, number
    # counts and emission lines (population='sky'), not a training mix
    sim = NIRCamSimulator(depth='jades-deep', seed=seed, population='sky')
    field_mix = dict(sim.class_fractions)
    say(f'simulating a JADES-deep field: {n_sources} sources, {shape[1]}x{shape[0]} '
        'short-wave pixels (0.031"), long-wave at 0.063"; class mix '
        + ', '.join(f'{c} {f:.2g}' for c, f in field_mix.items()))
    images, truth = sim.make_field(n_sources=n_sources, shape=shape)
    for band, img in images.items():
        header = img.wcs.to_header()
        header['BUNIT'] = img.unit.to_string('fits')
        header['FILTER'] = band
        header['TELESCOP'] = 'JWST (simulated by astro_galclass)'
        fits.PrimaryHDU(img.data, header=header).writeto(
            out / f'mosaic_{band.lower()}.fits', overwrite=True)
    say('detecting sources with photutils on the F277W+F356W+F444W S/N stack')
    detections = detect_sources_multiband(images)
    say(f'  {len(detections)} detections; classifying with {clf.name!r} on {clf.device}')
    mosaics = {b: str(out / f'mosaic_{b.lower()}.fits') for b in NIRCAM_BANDS}
    # probabilities for the field's own mix (the Bayes correction of the
    # model's training mix)
    catalog = clf.classify_catalog(detections, mosaics, priors=field_mix)

    # the truth is known: match detections to simulated sources within 0.15"
    idx, sep, _ = catalog['sky_centroid'].match_to_catalog_sky(truth['sky_centroid'])
    matched = sep < 0.15 * u.arcsec
    catalog['true_class'] = np.where(matched, np.asarray(truth['class'])[idx], '')
    catalog['true_redshift'] = np.where(matched, np.asarray(truth['redshift'])[idx], np.nan)
    catalog['true_snr_F444W'] = np.where(matched, np.asarray(truth['snr_F444W'])[idx], np.nan)
    catalog.write(out / 'catalog.ecsv', overwrite=True)
    write_regions(catalog, out / 'classes.reg')

    classified = (np.asarray(catalog['highz_flags']) & UNCLASSIFIED) == 0
    pred = np.asarray(catalog['highz_class'].filled(''))
    truth_cls = np.asarray(catalog['true_class'])
    best = np.argsort(-np.nan_to_num(np.asarray(catalog['p_high_z'].filled(0.0))))[:6]
    stamps, _ = extract_cutouts(mosaics, catalog['sky_centroid'][best], bands=NIRCAM_BANDS,
                                size=clf.cutout_size, pixel_scale=clf.pixel_scale)
    _figure(images, catalog, stamps.to_value(u.nJy), out / 'field.png')

    ok = matched & classified
    bright = ok & (catalog['true_snr_F444W'] >= 10)
    summary = {
        'detections': len(catalog),
        'classified': int(classified.sum()),
        'matched_to_truth': int(matched.sum()),
        'counts': {c: int(np.sum(pred == c)) for c in clf.classes},
        'true_counts': {c: int(np.sum(truth_cls[ok] == c)) for c in clf.classes},
        'accuracy': float(np.mean(pred[ok] == truth_cls[ok])) if ok.any() else np.nan,
        'accuracy_snr10': (float(np.mean(pred[bright] == truth_cls[bright]))
                           if bright.any() else np.nan),
        'n_snr10': int(bright.sum()),
        'priors': field_mix,
        **_selection(pred[bright], truth_cls[bright]),
        'seconds': time.perf_counter() - start,
        'output': str(out),
    }
    say('')
    say(f"{summary['detections']} detections, {summary['classified']} classified "
        f"({summary['detections'] - summary['classified']} flagged, kept masked), "
        f"{summary['matched_to_truth']} matched to a simulated source within 0.15\"")
    say(f"{'class':<13} {'predicted':>9} {'true (matched)':>15}")
    for c in clf.classes:
        say(f"{c:<13} {summary['counts'][c]:>9} {summary['true_counts'][c]:>15}")
    say(f"accuracy on matched, classified detections: {summary['accuracy']:.3f} "
        f"({ok.sum()} sources); F444W S/N >= 10: {summary['accuracy_snr10']:.3f} "
        f"({summary['n_snr10']} sources)")
    say(f"high-z selection at F444W S/N >= 10: completeness {summary['highz_completeness']:.3f}, "
        f"contamination {summary['highz_contamination']:.3f} (simulated field at the sky's mix)")
    say(f"wrote {out}/catalog.ecsv, classes.reg, field.png and 7 mosaics "
        f"in {summary['seconds']:.0f} s")
    return catalog, summary
