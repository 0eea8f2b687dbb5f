# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The Astropy-facing Galaxy Zoo 2 morphology classifier."""

import os
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from astropy import units as u
from astropy.nddata import Cutout2D, NDData, NoOverlapError
from astropy.table import Column, MaskedColumn
from astropy.wcs.utils import proj_plane_pixel_scales

from astro_galclass.morphology.datasets import preprocess_rgb, read_rgb_image
from astro_galclass.morphology.flags import UNCLASSIFIED, MorphFlag
from astro_galclass.morphology.framing import (
    GZ2_FRAME_R90,
    SIMULATOR_FRAMING,
    FramingFailed,
)
from astro_galclass.morphology.framing import (
    reframe as _reframe,
)
from astro_galclass.morphology.models import CompactViT, ParallelCNN, TorchvisionBackbone
from astro_galclass.morphology.preprocess import asinh_rgb
from astro_galclass.morphology.tree import GZ2_TREE
from astro_galclass.utils._classifier import ClassifierBase
from astro_galclass.utils._images import unpack_image
from astro_galclass.utils._positions import catalog_positions

__all__ = ['MorphologyClassifier']


class MorphologyClassifier(ClassifierBase):
    """
    Galaxy Zoo 2 vote fractions for images of galaxies.

    Wraps one of the morphology networks
    (`~astro_galclass.morphology.ParallelCNN`,
    `~astro_galclass.morphology.CompactViT`,
    `~astro_galclass.morphology.TorchvisionBackbone`) with what applying it
    needs: preprocessing, device, batching and output tables. Outputs are the
    37 per-question vote fractions with the Galaxy Zoo 2 catalogue names
    (``t01_smooth_or_features_a01_smooth_fraction`` ...); they obey the
    decision tree exactly. `to_kaggle` gives the cumulative form.

    Parameters
    ----------
    weights : path-like or `torch.nn.Module`
        A weights file written by `save`, or a network instance.
    device : str or `torch.device`, optional
    batch_size : int, optional
    name : str, optional
        Model name (network instance only).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.morphology import MorphologyClassifier, ParallelCNN
    >>> clf = MorphologyClassifier(ParallelCNN(), device='cpu')   # untrained
    >>> t = clf.classify(np.random.default_rng(0).uniform(0, 1, (2, 64, 64, 3)))
    >>> t.colnames[0], t.colnames[-1], len(t.colnames)
    ('t01_smooth_or_features_a01_smooth_fraction', 'morph_flags', 38)
    """

    architectures = MappingProxyType({'ParallelCNN': ParallelCNN, 'CompactViT': CompactViT,
                                      'TorchvisionBackbone': TorchvisionBackbone})
    required_metadata = ('architecture', 'architecture_kwargs', 'input_size', 'name')
    meta_key = 'astro_galclass_morphology'
    task = 'Galaxy Zoo 2 morphology'
    shipped_weights = 'morphology_default.pt'

    def __init__(self, weights, *, device='auto', batch_size=64, name=None):
        super().__init__(weights, device=device, batch_size=batch_size,
                         model_options={'name': name}, file_checks={})

    def _metadata_for_model(self, model, *, name):
        if name is not None and not isinstance(name, str):
            msg = f'name must be a str, got {type(name).__name__}'
            raise TypeError(msg)
        return {'name': name or type(model).__name__,
                'architecture': type(model).__name__,
                'architecture_kwargs': dict(model.config),
                'input_size': int(model.input_size),
                'training': 'not recorded'}

    def _check_file_metadata(self, path, metadata):
        framing = metadata.get('framing')
        if framing is not None:
            values = [framing.get('frame_r90') if isinstance(framing, dict) else None,
                      *(framing.get('frame_r90_range', ()) if isinstance(framing, dict) else ())]
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                          and np.isfinite(v) and 1 <= v <= 100 for v in values)
            if not numbers or len(values) not in (1, 3) or (
                    len(values) == 3 and values[1] > values[2]):
                msg = (f'{path!s}: framing in its metadata must hold frame_r90 and an '
                       f'optional (low, high) frame_r90_range within 1-100, got {framing!r}')
                raise ValueError(msg)
        size = metadata['input_size']
        if isinstance(size, bool) or not isinstance(size, int) or size != self.model.input_size:
            msg = (f'{path!s}: input_size {size!r} in its metadata does not match the '
                   f'{metadata["architecture"]} it describes ({self.model.input_size})')
            raise ValueError(msg)

    @classmethod
    def pretrained(cls, *, device='auto', batch_size=64):
        """
        The shipped model, trained on simulated galaxies only.

        ``astro_galclass/data/morphology_default.pt`` (version 4): a
        `~astro_galclass.morphology.ParallelCNN` at the seed's full width,
        trained by ``galclass train-morphology --recipe shipped`` on
        images and vote fractions of
        `~astro_galclass.simulate.MorphologySimulator`, then continued on
        its simulated photographs (``--recipe photograph`` and
        ``photograph-stars``; recipes and seeds in ``metadata``). It has
        never seen a Galaxy Zoo image: read the model card, and fine-tune it
        on real labels (`~astro_galclass.training.fine_tune_morphology`)
        before using its fractions for science.

        Parameters
        ----------
        device : str or `torch.device`, optional
            ``'auto'`` (default: CUDA when available, else the CPU),
            ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        batch_size : int, optional
            Images per forward pass (default 64).

        Examples
        --------
        >>> from astro_galclass.morphology import MorphologyClassifier
        >>> m = MorphologyClassifier.pretrained(device='cpu')
        >>> m.metadata['architecture'], m.input_size
        ('ParallelCNN', 64)
        >>> m.metadata['simulator']['simulator']
        'MorphologySimulator'
        """
        return cls._load_shipped(device=device, batch_size=batch_size)

    @property
    def input_size(self):
        """Side in pixels of the images the network takes."""
        return int(self.metadata['input_size'])

    @property
    def framing(self):
        """
        How the training images were framed, in units of their galaxy's R90.

        A dict with ``frame_r90`` (the typical side) and ``frame_r90_range``
        (the range of the training framings), as
        `~astro_galclass.morphology.framing.measure_framing` measures them
        on the images: from ``metadata['framing']`` (written by
        `~astro_galclass.training.train_morphology` and
        `~astro_galclass.training.fine_tune_morphology`), else
        from the simulator the network was trained on
        (`~astro_galclass.morphology.framing.SIMULATOR_FRAMING`; version 3
        of the shipped network was trained on ``'clean'`` images), else the Galaxy Zoo
        2 Kaggle crop (4.2, exactly).
        """
        framing = self.metadata.get('framing')
        if isinstance(framing, dict) and 'frame_r90' in framing:
            centre = float(framing['frame_r90'])
            low, high = framing.get('frame_r90_range', (centre, centre))
            return {'frame_r90': centre, 'frame_r90_range': (float(low), float(high))}
        simulator = self.metadata.get('simulator')
        if isinstance(simulator, dict) and simulator.get('simulator') == 'MorphologySimulator':
            return dict(SIMULATOR_FRAMING[simulator.get('realism', 'clean')])
        return {'frame_r90': GZ2_FRAME_R90, 'frame_r90_range': (GZ2_FRAME_R90, GZ2_FRAME_R90)}

    @property
    def frame_r90(self):
        """The typical side of the training images in units of their galaxy's R90."""
        return self.framing['frame_r90']

    def __repr__(self):
        return (f'<MorphologyClassifier {self.name!r}: {self.metadata["architecture"]}, '
                f'input {self.input_size} px, device={self.device}>')

    # -- inputs ---------------------------------------------------------------------

    def prepare(self, images, *, crop=None, reframe=True):
        """
        Images in any accepted form -> ``(N, 3, S, S)`` float32 in [0, 1].

        Parameters
        ----------
        images
            - an array ``(N, 3, H, W)``, ``(N, H, W, 3)``, ``(3, H, W)`` or
              ``(H, W, 3)``: uint8 (0-255) or float in [0, 1], RGB;
            - a JPEG/PNG path, or a list of paths;
            - a 2-D NDData, Cutout2D or array of fluxes (one band, shown in
              grey), or a list or tuple of three of them (red, green, blue
              bands, e.g. i, r, g), stretched with
              `~astro_galclass.morphology.asinh_rgb`.
        crop : int, float or None, optional
            Centre crop first: pixels (int) or a fraction of the side
            (float; the Kaggle recipe is ``210 / 424``).
        reframe : bool, optional
            Find the central galaxy, measure its Petrosian R90 and crop and
            resample the image, centred on it, so that it is framed as the
            training images were (within `framing`'s ``frame_r90_range``;
            `~astro_galclass.morphology.framing.reframe`). Default True;
            False resizes the whole (cropped) image.

        Notes
        -----
        `classify` flags the images whose reframing failed
        (``REFRAME_FAILED``: they are resized whole) or needed pixels from
        outside the image (``REFRAME_PADDED``).
        """
        return self._prepare(images, crop, reframe)[0]

    def _prepare(self, images, crop, reframe):
        """Network inputs and ``MorphFlag`` bits for each image."""
        if not isinstance(reframe, (bool, np.bool_)):
            msg = f'reframe must be True or False, got {reframe!r}'
            raise TypeError(msg)
        rgb = self._rgb_images(images, crop)
        size = self.input_size
        x = np.empty((len(rgb), 3, size, size), np.float32)
        flags = np.zeros(len(rgb), np.int32)
        for i, im in enumerate(rgb):
            x[i], flags[i] = self._frame(im, reframe)
        return x, flags

    def _frame(self, im, reframe):
        """One float ``(3, H, W)`` image -> network input and its flag bits."""
        flags = 0
        if not np.isfinite(im).all():
            flags |= MorphFlag.BAD_PIXELS
            im = np.nan_to_num(im, nan=0.0, posinf=1.0, neginf=0.0)
        if reframe:
            try:
                out, padded = _reframe(im, frame_r90=self.framing['frame_r90_range'],
                                       size=self.input_size)
            except FramingFailed:
                flags |= MorphFlag.REFRAME_FAILED
            else:
                return out, flags | (MorphFlag.REFRAME_PADDED if padded else 0)
        return preprocess_rgb(im, size=self.input_size), flags

    def _rgb_images(self, images, crop):
        """Each image as float32 ``(3, H, W)`` in [0, 1] (NaN kept), centre-cropped."""
        if isinstance(images, (str, os.PathLike)):
            images = [images]
        if isinstance(images, (list, tuple)) and images and all(
                isinstance(i, (str, os.PathLike)) for i in images):
            rgb = [read_rgb_image(Path(p)) for p in images]
            return [preprocess_rgb(im, size=None, crop=_crop(crop, im.shape[:2]))
                    for im in rgb]
        if isinstance(images, (NDData, Cutout2D)) or (
                isinstance(images, (list, tuple)) and len(images) == 3 and all(
                    isinstance(i, (NDData, Cutout2D)) for i in images)):
            return [self._flux_rgb(images, crop)]
        if isinstance(images, (list, tuple)) and images and not all(
                isinstance(i, (NDData, Cutout2D)) for i in images) and len(
                    {np.shape(i) for i in images}) > 1:
            # images of different sizes: each on its own
            shapes = [np.shape(i) for i in images]
            if not all(len(shape) == 3 and 3 in (shape[0], shape[-1]) for shape in shapes):
                msg = ('a list of images of different sizes must hold RGB arrays (3, H, W) or '
                       f'(H, W, 3); got shapes {shapes[:5]}')
                raise ValueError(msg)
            return [im for i in images for im in self._rgb_images(np.asarray(i), crop)]
        a = np.asarray(images)
        if a.ndim == 2:
            return [self._flux_rgb(images, crop)]
        if a.ndim == 3:
            a = a[None]
        if a.ndim != 4 or 3 not in (a.shape[1], a.shape[-1]):
            msg = ('images must be RGB arrays (N, 3, H, W) or (N, H, W, 3), a list of '
                   'RGB arrays, image files, or NDData/Cutout2D bands; got an array of '
                   f'shape {np.shape(images)}')
            raise ValueError(msg)
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            msg = f'images must be numbers, got dtype {a.dtype}'
            raise TypeError(msg)
        hw = a.shape[1:3] if a.shape[-1] == 3 and a.shape[1] != 3 else a.shape[2:]
        return [preprocess_rgb(im, size=None, crop=_crop(crop, hw)) for im in a]

    def _flux_rgb(self, bands, crop):
        bands = list(bands) if isinstance(bands, (list, tuple)) else [bands]
        data = [np.asarray(unpack_image(b, f'band {i}').data, float) for i, b in enumerate(bands)]
        if len({d.shape for d in data}) != 1:
            msg = f'the bands must have the same shape, got {[d.shape for d in data]}'
            raise ValueError(msg)
        flux = np.stack(data if len(data) == 3 else data * 3)[None]
        bad = ~np.isfinite(flux[0])
        rgb = asinh_rgb(flux)[0]
        rgb[bad] = np.nan                      # flagged BAD_PIXELS by _frame
        return preprocess_rgb(rgb, size=None, crop=_crop(crop, rgb.shape[1:]))

    # -- outputs ----------------------------------------------------------------------

    def predict_kaggle(self, images, *, crop=None, reframe=True):
        """
        Kaggle cumulative fractions ``(N, 37)`` (see `prepare` for the inputs).

        Parameters
        ----------
        images, crop, reframe
            As in `prepare`.

        Returns
        -------
        cumulative : `~numpy.ndarray`
            ``(N, 37)``, columns in the order of the Kaggle ``Class1.1`` ...
            ``Class11.6`` targets.
        """
        x = self.prepare(images, crop=crop, reframe=reframe)
        return self._forward(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0))

    def _forward(self, x):
        return self.infer(x, empty_shape=(0, 37))

    def _columns(self, cumulative, flags):
        per_q = GZ2_TREE.from_kaggle(cumulative) if len(cumulative) else cumulative
        bad = (flags & UNCLASSIFIED) != 0
        cols = {}
        for name, values in zip(GZ2_TREE.gz2_columns('fraction'), per_q.T, strict=True):
            mask = bad | ~np.isfinite(values)
            cols[name] = MaskedColumn(np.where(mask, 0.0, values), mask=mask, dtype=float,
                                      description='Galaxy Zoo 2 vote fraction (per question)')
        cols['morph_flags'] = Column(flags.astype(np.int32),
                                     description='MorphFlag bits (astro_galclass)')
        return cols

    def classify(self, images, *, crop=None, reframe=True):
        """
        Vote fractions for each image.

        Parameters
        ----------
        images, crop, reframe
            As in `prepare`.

        Returns
        -------
        table : `~astropy.table.QTable`
            The 37 per-question fractions (GZ2 catalogue names) and
            ``morph_flags``, one row per image.
        """
        x, flags = self._prepare(images, crop, reframe)
        options = {'crop': crop, 'reframe': bool(reframe)}
        if reframe:
            options['frame_r90_range'] = list(self.framing['frame_r90_range'])
        return self._output(None, self._columns(self._forward(x), flags), options)

    def classify_catalog(self, catalog, image, *, size=10 * u.arcsec, position_column=None,
                         reframe=True, overwrite=False):
        """
        Classify the sources of a catalog on one colour image or three bands with a WCS.

        Parameters
        ----------
        catalog : `~astropy.coordinates.SkyCoord` or `~astropy.table.Table`
        image : NDData, or list/tuple of three NDData (red, green, blue)
            With a celestial WCS. One NDData of shape ``(H, W, 3)`` or
            ``(3, H, W)`` is taken as an RGB image (uint8 or [0, 1]); a 2-D one
            as a single flux band.
        size : `~astropy.units.Quantity` or str, optional
            Cutout side: an angle for all sources, or the name of a column of
            angles (e.g. a multiple of the Petrosian radius).
        position_column : str or tuple of str, optional
            SkyCoord column, or (RA, Dec) column names, to use; by default a
            ``sky_centroid`` column, else the only SkyCoord column, else a
            recognised RA/Dec pair.
        reframe : bool, optional
            Reframe each cutout around its galaxy as the training images
            were framed (see `prepare`; default True). Give cutouts wide
            enough to hold the galaxy at that framing, else the rows are
            flagged ``REFRAME_PADDED``.
        overwrite : bool, optional
            Replace existing columns of the same names instead of raising.

        Returns
        -------
        table
            A copy of the catalog with the 37 fraction columns and
            ``morph_flags``; every row is kept, unclassifiable ones masked.
        """
        if not isinstance(reframe, (bool, np.bool_)):
            msg = f'reframe must be True or False, got {reframe!r}'
            raise TypeError(msg)
        coords, valid, source = catalog_positions(catalog, position_column)
        n = len(coords)
        sizes = self._sizes(catalog, size, n)
        planes, wcs, kind = self._planes(image)
        scale = proj_plane_pixel_scales(wcs.celestial).mean() * 3600   # arcsec per pixel
        flags = np.zeros(n, np.int32)
        flags[~valid | ~np.isfinite(sizes) | (sizes <= 0)] |= MorphFlag.BAD_POSITION
        x = np.zeros((n, 3, self.input_size, self.input_size), np.float32)
        # a position the WCS cannot place on the image plane (non-finite pixel
        # coordinates, e.g. the far side of the sky) is off the image; so is a
        # cutout that does not overlap it (NoOverlapError). Other errors are bugs
        # and are not hidden.
        px, py = wcs.world_to_pixel(coords)
        placed = np.isfinite(np.atleast_1d(px)) & np.isfinite(np.atleast_1d(py))
        flags[(flags == 0) & ~placed] |= MorphFlag.OFF_IMAGE
        for i in np.flatnonzero(flags == 0):
            side = max(int(np.rint(sizes[i] / scale)), 4)
            stamps = []
            for plane in planes:
                try:
                    cut = Cutout2D(plane, coords[i], side, wcs=wcs, mode='partial',
                                   fill_value=np.nan)
                except NoOverlapError:
                    flags[i] |= MorphFlag.OFF_IMAGE
                    break
                stamps.append(cut.data)
            if flags[i]:
                continue
            stamp = np.stack(stamps)
            missing = ~np.isfinite(stamp)
            if missing.all():
                flags[i] |= MorphFlag.OFF_IMAGE
                continue
            if missing.any():
                flags[i] |= MorphFlag.PARTIAL_OVERLAP
            stamp = np.nan_to_num(stamp)
            if kind == 'flux':
                rgb = asinh_rgb(stamp[None])[0]
            else:
                rgb = stamp / 255.0 if stamp.max() > 1 else stamp
            x[i], more = self._frame(np.clip(rgb, 0, 1).astype(np.float32), reframe)
            flags[i] |= more
        ok = (flags & UNCLASSIFIED) == 0
        cumulative = np.zeros((n, 37))
        if ok.any():
            cumulative[ok] = self._forward(x[ok])
        options = {'position_column': source, 'overwrite': bool(overwrite),
                   'size': size if isinstance(size, str) else str(size),
                   'reframe': bool(reframe)}
        if reframe:
            options['frame_r90_range'] = list(self.framing['frame_r90_range'])
        return self._output(catalog, self._columns(cumulative, flags), options,
                            overwrite=overwrite)

    @staticmethod
    def _sizes(catalog, size, n):
        if isinstance(size, str):
            if not hasattr(catalog, 'colnames') or size not in catalog.colnames:
                msg = f'size names a column {size!r} that the catalog does not have'
                raise ValueError(msg)
            col = catalog[size]
            if not isinstance(col, u.Quantity) or not col.unit.is_equivalent(u.arcsec):
                msg = f'the size column {size!r} must hold angles (a Quantity column)'
                raise u.UnitsError(msg)
            values = col.to_value(u.arcsec)
            return np.asarray(np.ma.filled(values, np.nan), float)
        size = u.Quantity(size)
        if not size.unit.is_equivalent(u.arcsec) or not size.isscalar:
            msg = f'size must be an angle (e.g. 10 * u.arcsec) or a column name, got {size}'
            raise u.UnitsError(msg)
        return np.full(n, size.to_value(u.arcsec))

    @staticmethod
    def _planes(image):
        if isinstance(image, (list, tuple)):
            if len(image) != 3:
                msg = f'give one colour image or three bands (red, green, blue), got {len(image)}'
                raise ValueError(msg)
            unpacked = [unpack_image(b, f'band {i}') for i, b in enumerate(image)]
            if any(u_.wcs is None for u_ in unpacked):
                missing = [i for i, u_ in enumerate(unpacked) if u_.wcs is None]
                msg = ('every band needs a celestial WCS to cut out catalog positions; '
                       f'bands {missing} have none')
                raise ValueError(msg)
            _check_aligned(unpacked)
            return [np.asarray(u_.data, float) for u_ in unpacked], unpacked[0].wcs, 'flux'
        if not isinstance(image, NDData) or image.wcs is None:
            what = (type(image).__name__ if not isinstance(image, NDData)
                    else 'an NDData without a WCS')
            msg = f'image must be an NDData with a celestial WCS, or three of them; got {what}'
            raise TypeError(msg)
        data = np.asarray(image.data)
        if data.ndim == 2:
            return [data.astype(float)] * 3, image.wcs, 'flux'
        if data.ndim == 3 and 3 in (data.shape[0], data.shape[-1]):
            planes = np.moveaxis(data, -1, 0) if data.shape[-1] == 3 else data
            return [p.astype(float) for p in planes], image.wcs.celestial, 'rgb'
        msg = f'image data must be 2-D or an RGB cube, got shape {data.shape}'
        raise ValueError(msg)

    @staticmethod
    def to_kaggle(table):
        """
        Kaggle cumulative targets (``Class1.1`` ...) from a table of GZ2 fractions.

        Parameters
        ----------
        table : `~astropy.table.Table`
            A table with the 37 per-question ``..._fraction`` columns of the
            GZ2 catalogue, such as the output of `classify`; NaN fractions
            count as 0.

        Returns
        -------
        `~astropy.table.QTable`
            The 37 ``Class1.1`` ... ``Class11.6`` columns.
        """
        per_q = GZ2_TREE.from_gz2_table(table, kind='fraction')
        return GZ2_TREE.to_table(GZ2_TREE.to_kaggle(np.nan_to_num(per_q)), convention='kaggle')

    def gradcam(self, images, *, question='t01_smooth_or_features', crop=None, reframe=True):
        """
        Grad-CAM maps of each image's most-voted answer to ``question``.

        Parameters
        ----------
        images
            As in `prepare`.
        question : int or str, optional
            1-11, ``'t03_bar'``, ``'bar'`` or ``'Class3'``.
        crop, reframe
            As in `prepare`; the maps are on the network's input (reframed
            unless ``reframe=False``).

        Returns
        -------
        maps : `~numpy.ndarray`
            ``(N, S, S)`` in [0, 1].
        answers : list of str
            The answer explained for each image.
        """
        from astro_galclass.gradcam import grad_cam

        layer = getattr(self.model, 'gradcam_layer', None)
        if layer is None:
            msg = f'{self.metadata["architecture"]} has no convolutional layer for Grad-CAM'
            raise ValueError(msg)
        number = GZ2_TREE.resolve_question(question)
        s = GZ2_TREE.slice(number)
        x = self.prepare(images, crop=crop, reframe=reframe)
        cumulative = self._forward(x)
        top = s.start + np.argmax(cumulative[:, s], axis=1)
        maps = []
        for start in range(0, len(x), self.batch_size):
            batch = self._input_tensor(x[start:start + self.batch_size])
            cols = torch.from_numpy(top[start:start + self.batch_size]).to(self.device)
            maps.append(grad_cam(self.model, batch, layer,
                                 lambda out, cols=cols: out.gather(1, cols[:, None])[:, 0]))
        q = GZ2_TREE.question(number)
        answers = [q.answers[j - s.start] for j in top]
        return (np.concatenate(maps) if maps else np.empty((0,) + x.shape[2:])), answers


#: Smallest centre crop, in pixels: below it there is no galaxy to classify.
MIN_CROP = 8


def _crop(crop, hw):
    if crop is None:
        return None
    if isinstance(crop, bool) or not isinstance(crop, (int, float, np.integer, np.floating)):
        msg = f'crop must be a number of pixels (int) or a fraction (float), got {crop!r}'
        raise TypeError(msg)
    if isinstance(crop, (float, np.floating)):
        if not 0 < crop <= 1:
            msg = f'a fractional crop must be in (0, 1], got {crop}'
            raise ValueError(msg)
        pixels = round(crop * min(hw))
    else:
        pixels = int(crop)
    if pixels < MIN_CROP:
        msg = (f'crop keeps {pixels} pixels of a {hw[0]} x {hw[1]} image; at least '
               f'{MIN_CROP} are needed')
        raise ValueError(msg)
    return pixels


def _check_aligned(bands):
    """Three bands must share one pixel grid: same shape and WCS (to 0.05 pixel)."""
    shapes = [b.data.shape for b in bands]
    if len(set(shapes)) != 1:
        msg = (f'the three bands must be on one pixel grid; their shapes differ: {shapes} '
               '(resample them onto one grid first, e.g. with reproject)')
        raise ValueError(msg)
    ny, nx = shapes[0][-2:]
    x = np.array([0, nx - 1, 0, nx - 1, (nx - 1) / 2])
    y = np.array([0, 0, ny - 1, ny - 1, (ny - 1) / 2])
    sky = bands[0].wcs.pixel_to_world(x, y)
    for i, band in enumerate(bands[1:], start=1):
        bx, by = band.wcs.world_to_pixel(sky)
        offset = float(np.nanmax(np.hypot(bx - x, by - y)))
        if not offset < 0.05:
            msg = (f'band {i} is not on the pixel grid of band 0 (its WCS places the same '
                   f'sky up to {offset:.3g} pixels away); resample the bands onto one grid '
                   'first, e.g. with reproject')
            raise ValueError(msg)
