# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
A physically grounded simulator of JWST/NIRCam sources, cutouts and mosaics.

Every number below is taken from the sources listed in
``docs/simulate.rst`` (and ``astro_galclass.simulate.sed``); choices that
are approximations are marked as such there.
"""

import copy

import astropy.units as u
import numpy as np
import torch
from astropy.table import QTable

from astro_galclass.nircam import (
    DEFAULT_PIXEL_SCALE,
    HIGHZ_CLASSES,
    NATIVE_PIXEL_SCALE,
    NIRCAM_BANDS,
    aperture_noise,
    resolve_depths,
)
from astro_galclass.simulate._field import FIELD_CENTER, make_mosaics
from astro_galclass.simulate._noise import SkyNoise
from astro_galclass.simulate._photometry import add_snr, electrons_per_njy
from astro_galclass.simulate._render import render_images
from astro_galclass.simulate._sources import (
    SKY_LOW_Z_KINDS,
    SourceDrawer,
    brown_dwarf_colours,
    photometry_grid,
)
from astro_galclass.simulate._variation import NOISE_VARIANTS, PSF_VARIANTS
from astro_galclass.simulate.population import sky_class_fractions

__all__ = ['SKY_LOW_Z_KINDS', 'NIRCamSimulator']


class NIRCamSimulator:
    """
    Simulate NIRCam seven-band cutouts and mosaics of low-z galaxies,
    z >= 4 galaxies and brown dwarfs.

    Galaxies are mixtures of the EAZY FSPS templates (plus a young
    Lyman-break and a post-starburst template) with Calzetti dust and Madau
    IGM absorption, seen through the NIRCam throughputs (astro-sedpy).
    Brown dwarfs take the colours of the Sonora Bobcat, LOWZ and Sonora
    Cholla grids, with the long-wave reddening observed in JWST fields.
    Galaxies are Sersic profiles, brown dwarfs points, convolved with a
    Gaussian PSF of each band's FWHM and integrated over pixels. Noise
    matches the survey's 5-sigma depths in r = 0.16" apertures, correlated
    between pixels as in drizzled mosaics.

    Parameters
    ----------
    depth : str, dict or sequence, optional
        ``'jades-deep'``, ``'jades-medium'``, ``'ceers'``, or per-band
        5-sigma depths (AB, r = 0.16" aperture).
    seed : int, optional
        Seed of the random generator; the same seed gives the same data.
    class_fractions : dict, optional
        Class -> fraction of sources; equal thirds by default (a balanced
        training set, not the sky's proportions).
    pixel_scale : `~astropy.units.Quantity`, optional
        Pixel scale of the cutouts of `sample`.
    cutout_size : int, optional
        Cutout side in pixels.
    position_jitter : float, optional
        Standard deviation (pixels) of the source position around the cutout
        centre, as catalog centroids scatter.
    source_noise : bool, optional
        Add the Poisson noise of the sources (Gaussian approximation) on top
        of the sky-dominated noise.
    population : {'balanced', 'sky'}, optional
        How sources are drawn. ``'balanced'`` (the shipped models' training
        population): equal thirds of the classes, young z >= 4 galaxies
        uniform in 4 <= z < 15 and -22.5 < M_UV < -17, low-z galaxies
        uniform in redshift and F444W, any two templates mixed by 1500 A
        flux. ``'sky'``: as a field at this depth has them, from published
        statistics (`astro_galclass.simulate.population`):

        - the class mix of `sky_class_fractions` (unless ``class_fractions``
          is given): number counts, the UV luminosity function and the T/Y
          dwarf surface density;
        - young z >= 4 galaxies from the UV luminosity function and the
          comoving volume (median z about 5, a few per cent at z > 8), with
          Halpha and [OIII]+Hbeta as strong as observed at their redshift
          (`astro_galclass.simulate.population_spectra`);
        - low-z galaxies mostly star-forming, quiescent and dusty ones at
          their published fractions of 1 < z < 4 galaxies (a few per cent
          each, `~astro_galclass.simulate.population_spectra.LOW_Z_RED_KINDS`), their
          templates chosen among the star-forming ones and mixed by 5500 A
          light (nearly flat in f_nu at 1 < z < 3, as observed), their
          redshifts continuous with the z >= 4 ones across z = 4, their
          F444W magnitudes following the number counts, and emission lines
          as strong as those of z ~ 2 galaxies;
        - brown dwarfs with the J-band magnitudes of a Galactic model;
        - little red dots (``kind='little_red_dot'``) at their published
          surface density and redshifts, in ``high_z`` at z >= 4 and
          ``low_z`` below, V-shaped spectra, unresolved
          (`astro_galclass.simulate.population_lrd`).
    rendering : {'standard', 'varied'}, optional
        How `sample` renders cutouts. ``'standard'``: each band's Gaussian
        PSF and the drizzled noise texture. ``'varied'``: each source drawn
        with one of several PSF shapes (Gaussians 0.9 to 1.2 times as wide,
        Moffat profiles with power-law wings, a core with a broad halo) and
        one of several noise textures (white to strongly correlated, at the
        same depth), recorded as ``psf_variant`` and ``noise_variant`` in
        the truth table (``astro_galclass.simulate._variation``), so that a
        network trained on it cannot key on one renderer's fingerprints. The
        ``snr_<band>`` columns assume the Gaussian PSF in both. Mosaics
        (`make_field`) are rendered the standard way.

    Examples
    --------
    >>> from astro_galclass.simulate import NIRCamSimulator
    >>> sim = NIRCamSimulator(depth='jades-deep', seed=1)
    >>> cutouts, truth = sim.sample(6)
    >>> cutouts.shape, cutouts.unit
    ((6, 7, 64, 64), Unit("nJy"))
    >>> sorted(set(truth['class'])) <= ['brown_dwarf', 'high_z', 'low_z']
    True
    """

    def __init__(self, depth='jades-deep', *, seed=None, class_fractions=None,
                 pixel_scale=DEFAULT_PIXEL_SCALE, cutout_size=64,
                 position_jitter=0.3, source_noise=False, population='balanced',
                 rendering='standard'):
        self.bands = NIRCAM_BANDS
        self.depth = depth
        self.depths = resolve_depths(depth, self.bands)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            msg = f'seed must be an int or None, got {type(seed).__name__}'
            raise TypeError(msg)
        self.seed = seed
        if population not in ('balanced', 'sky'):
            msg = f"population must be 'balanced' or 'sky', got {population!r}"
            raise ValueError(msg)
        self.population = population
        if rendering not in ('standard', 'varied'):
            msg = f"rendering must be 'standard' or 'varied', got {rendering!r}"
            raise ValueError(msg)
        self.rendering = rendering
        self.rng = np.random.default_rng(seed)
        self._torch_gen = torch.Generator().manual_seed(
            int(self.rng.integers(2**62)))
        self.grid = photometry_grid()
        self.brown_dwarfs = brown_dwarf_colours()
        fractions = {'low_z': 1 / 3, 'high_z': 1 / 3, 'brown_dwarf': 1 / 3}
        if population == 'sky' and class_fractions is None:
            fractions = self.sky_class_fractions()
            fractions.pop('density')
        if class_fractions is not None:
            unknown = set(class_fractions) - set(HIGHZ_CLASSES)
            if unknown:
                msg = (f'class_fractions has unknown classes {sorted(unknown)}; '
                       f'expected keys among {HIGHZ_CLASSES}')
                raise ValueError(msg)
            fractions = {c: float(class_fractions.get(c, 0.0)) for c in HIGHZ_CLASSES}
            total = sum(fractions.values())
            if total <= 0 or min(fractions.values()) < 0:
                msg = f'class_fractions must be >= 0 with a positive sum, got {class_fractions}'
                raise ValueError(msg)
            fractions = {c: f / total for c, f in fractions.items()}
        self.class_fractions = fractions
        self.pixel_scale = u.Quantity(pixel_scale).to(u.arcsec / u.pix)
        self.cutout_size = int(cutout_size)
        self.position_jitter = float(position_jitter)
        self.source_noise = bool(source_noise)
        # 1-sigma noise of an r = 0.16" aperture, nJy
        self.sigma_aperture = aperture_noise(self.depths, self.bands)

    def spawn(self, key):
        """
        A copy of the simulator that draws from its own random streams.

        Parallel simulation (one copy per worker process) uses it, so that
        the workers' sources differ and are fixed by ``key``.

        Parameters
        ----------
        key : int or sequence of int
            Seed of the copy's generators (`numpy.random.default_rng`), e.g.
            ``[entropy, worker_index]``.

        Returns
        -------
        simulator : `NIRCamSimulator`
            Same settings; ``seed`` still names the original's seed.
        """
        sim = copy.copy(self)
        sim.rng = np.random.default_rng(key)
        sim._torch_gen = torch.Generator().manual_seed(int(sim.rng.integers(2**62)))
        return sim

    def settings(self):
        """Plain description of the simulator, for weights metadata."""
        return {'simulator': 'NIRCamSimulator', 'depth': self.depths,
                'seed': self.seed, 'class_fractions': self.class_fractions,
                'pixel_scale': self.pixel_scale.value,
                'cutout_size': self.cutout_size,
                'position_jitter': self.position_jitter,
                'source_noise': self.source_noise, 'population': self.population,
                'rendering': self.rendering}

    def sky_class_fractions(self):
        """
        The class mix of a field at this depth, from published surface densities.

        Galaxies to 0.3 mag below the F444W depth from the number counts,
        z >= 4 galaxies to 0.3 mag below the F200W depth from the UV
        luminosity function, and T/Y dwarfs at their deep-field density
        (`~astro_galclass.simulate.population.sky_class_fractions`). It is
        the default ``class_fractions`` of ``population='sky'``, and the
        prior of a user's deep field.

        Returns
        -------
        fractions : dict
            ``{'low_z', 'high_z', 'brown_dwarf'}`` summing to 1, and the
            surface densities (arcmin^-2) under ``'density'``.

        Examples
        --------
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> f = NIRCamSimulator(depth='ceers').sky_class_fractions()
        >>> round(f['high_z'], 2), round(f['density']['low_z'])
        (0.11, 864)
        """
        # the brown dwarfs' luminosities: the Teff mix of the space
        # densities, as the sky population draws them
        return sky_class_fractions(galaxy_limit=self.depths['F444W'] + 0.3,
                                   uv_limit=self.depths['F200W'] + 0.3)

    def draw_sources(self, n):
        """
        Draw the physical properties of ``n`` sources.

        Parameters
        ----------
        n : int
            Number of sources, drawn with the simulator's random generator;
            classes are drawn with ``class_fractions``.

        Returns
        -------
        truth : `~astropy.table.QTable`
            ``class``, ``redshift`` (NaN for brown dwarfs), ``kind``
            (population within the class; ``'little_red_dot'`` with
            ``population='sky'``), ``template`` (dominant template
            or brown-dwarf grid), ``av``, ``beta``, ``muv``, ``teff``,
            ``re`` (half-light radius), ``sersic_n``, ``axis_ratio``,
            ``theta``, and ``mag_<band>`` / ``flux_<band>`` (true AB
            magnitude and nJy).
        """
        drawer = SourceDrawer(self.rng, population=self.population, depths=self.depths,
                              bands=self.bands, grid=self.grid,
                              brown_dwarfs=self.brown_dwarfs)
        return drawer.draw(int(n), self.class_fractions)

    def noise(self, n):
        """
        Blank cutouts: the sky noise of the survey, without sources.

        The same correlated noise as `sample` adds (its depth, its drizzle
        kernel); useful as empty apertures or as a background on which to
        place sources the simulator does not make (see
        `~astro_galclass.simulate.inject_artifacts`).

        Parameters
        ----------
        n : int
            Number of cutouts.

        Returns
        -------
        cutouts : `~astropy.units.Quantity`
            ``(n, 7, cutout_size, cutout_size)`` in nJy per pixel.

        Examples
        --------
        >>> from astro_galclass.simulate import NIRCamSimulator
        >>> NIRCamSimulator(seed=1).noise(3).shape
        (3, 7, 64, 64)
        """
        size = self.cutout_size
        sky = self._sky_noise().images(int(n), self.pixel_scale.value, size)
        return u.Quantity(sky.astype(np.float32), u.nJy, copy=False)

    def render(self, truth, *, pixel_scale=None, size=None, offsets=None):
        """
        Noiseless images of the sources of ``truth`` (from `draw_sources`).

        Parameters
        ----------
        truth : `~astropy.table.QTable`
        pixel_scale : `~astropy.units.Quantity`, optional
            Default: the simulator's ``pixel_scale``.
        size : int, optional
            Default: the simulator's ``cutout_size``.
        offsets : `~numpy.ndarray`, optional
            ``(N, 2)`` offsets (x, y) in pixels of each source from the image
            centre ``((size - 1) / 2, (size - 1) / 2)``.

        Returns
        -------
        images : `~numpy.ndarray`
            ``(N, n_bands, size, size)`` float32 in nJy per pixel.
        """
        scale = (self.pixel_scale if pixel_scale is None
                 else u.Quantity(pixel_scale).to(u.arcsec / u.pix)).value
        size = self.cutout_size if size is None else int(size)
        offsets = (np.zeros((len(truth), 2)) if offsets is None
                   else np.asarray(offsets, float))
        return self._images(truth, offsets, scale, size, noise=False)

    def sample(self, n, *, progress=None):
        """
        Draw ``n`` sources and their noisy cutouts.

        Parameters
        ----------
        n : int
            Number of sources (non-negative).
        progress : bool or None, optional
            Show a progress bar on stderr when it is a terminal; None (the
            default) shows one for draws of 10,000 sources or more. It never
            changes the random draws.

        Returns
        -------
        cutouts : `~astropy.units.Quantity`
            ``(n, 7, cutout_size, cutout_size)`` in nJy per pixel at
            ``pixel_scale``, source at the centre (within
            ``position_jitter``), north up.
        truth : `~astropy.table.QTable`
            The columns of `draw_sources`, plus ``dx``, ``dy`` (source
            offset from the centre, pixels) and ``snr_<band>`` (S/N of the
            noiseless source flux in an r = 0.16" aperture); with
            ``rendering='varied'``, ``psf_variant`` and ``noise_variant``.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            msg = f'n must be a non-negative int, got {n!r}'
            raise ValueError(msg)
        truth = self.draw_sources(n)
        offsets = self.rng.normal(0, self.position_jitter, (n, 2)) \
            if self.position_jitter > 0 else np.zeros((n, 2))
        scale = self.pixel_scale.value
        show = n >= 10000 if progress is None else progress
        variants = {}
        if self.rendering == 'varied':
            variants = {'psf_variants': self.rng.integers(len(PSF_VARIANTS), size=n),
                        'noise_variants': self.rng.integers(len(NOISE_VARIANTS), size=n)}
        images = self._images(truth, offsets, scale, self.cutout_size, noise=True,
                              progress=show, **variants)
        if variants:
            truth['psf_variant'] = variants['psf_variants']
            truth['noise_variant'] = variants['noise_variants']
        truth['dx'] = offsets[:, 0] * u.pix
        truth['dy'] = offsets[:, 1] * u.pix
        add_snr(truth, self.bands, self.sigma_aperture, scale)
        return u.Quantity(images, u.nJy, copy=False), truth

    def make_field(self, n_sources=500, shape=(2000, 2000), *, nan_border=True,
                   center=FIELD_CENTER):
        """
        Seven mosaics at the native NIRCam pixel scales, and the truth catalog.

        Parameters
        ----------
        n_sources : int, optional
            Sources placed uniformly over the field, some near or beyond the
            edges of the observed footprint.
        shape : tuple of int, optional
            ``(ny, nx)`` of the short-wave mosaics (0.031"/pix); the
            long-wave mosaics (0.063"/pix) cover the same area.
        nan_border : bool, optional
            Mark pixels outside a rotated, slightly different footprint per
            channel as NaN, as in real mosaics.
        center : `~astropy.coordinates.SkyCoord`, optional
            Field centre (default in GOODS-South).

        Returns
        -------
        images : dict
            Band -> `~astropy.nddata.NDData` in MJy/sr with a TAN WCS.
        catalog : `~astropy.table.QTable`
            ``id``, ``sky_centroid`` and the columns of `draw_sources`, plus
            ``snr_<band>`` at the cutout scale.
        """
        rng = self.rng
        ny, nx = (int(s) for s in shape)
        sw_scale = NATIVE_PIXEL_SCALE['F090W'].value
        width, height = nx * sw_scale, ny * sw_scale          # arcsec
        truth = self.draw_sources(n_sources)
        east = rng.uniform(-0.5, 0.5, n_sources) * width
        north = rng.uniform(-0.5, 0.5, n_sources) * height
        positions = center.spherical_offsets_by(east * u.arcsec, north * u.arcsec)
        catalog = QTable({'id': np.arange(1, n_sources + 1), 'sky_centroid': positions})
        for name in truth.colnames:
            catalog[name] = truth[name]
        add_snr(catalog, self.bands, self.sigma_aperture, self.pixel_scale.value)
        images = make_mosaics(
            truth, positions, center=center, width=width, height=height, bands=self.bands,
            sigma_aperture=self.sigma_aperture, rng=rng, nan_border=nan_border,
            electrons_per_njy=electrons_per_njy(self.depths) if self.source_noise else None)
        return images, catalog

    # -- the private modules' part ---------------------------------------------------

    def _sky_noise(self):
        """The survey's sky noise, drawn from the simulator's torch generator."""
        electrons = electrons_per_njy(self.depths) if self.source_noise else None
        return SkyNoise(self.bands, self.sigma_aperture, self._torch_gen,
                        electrons_per_njy=electrons)

    def _images(self, truth, offsets, pixel_scale, size, *, noise, progress=False, **variants):
        """Images (N, bands, size, size), with sky noise added in Fourier space."""
        return render_images(truth, offsets, pixel_scale, size, bands=self.bands,
                             noise=self._sky_noise() if noise else None, progress=progress,
                             **variants)
