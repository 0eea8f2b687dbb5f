# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Simulated colour images of galaxies with Galaxy-Zoo-2-style vote fractions.

Galaxies are built from analytic components (Sersic bulges and ellipticals,
inclined exponential disks, logarithmic spiral arms, bars, rings, dust lanes,
clumpy irregulars, mergers with a tidal tail), plus stars and image
artifacts; they are convolved with a Gaussian PSF, given sky noise and shown
as asinh-stretched gri colour images like the SDSS JPEGs of Galaxy Zoo 2.

Labels come from a model of the volunteers: every volunteer walks the
decision tree; the probability of each answer depends on the latent truth
*and on how visible it is* (size against the PSF, signal-to-noise,
inclination, arm contrast). Sampling a finite number of volunteers
(about 40, as in Galaxy Zoo 2) gives vote counts, hence per-question
fractions and Kaggle cumulative targets that are soft and noisy the way real
ones are.
"""

import copy
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from astropy.table import QTable, vstack
from scipy.ndimage import gaussian_filter
from scipy.special import expit

from astro_galclass.morphology.framing import GZ2_FRAME_R90
from astro_galclass.morphology.preprocess import asinh_rgb
from astro_galclass.morphology.tree import GZ2_TREE
from astro_galclass.simulate import _photograph, _scene
from astro_galclass.simulate.sersic import petrosian_r90_over_re, sersic_b
from astro_galclass.utils._progress import progress_bar

__all__ = ['MORPHOLOGY_KINDS', 'MorphologySimulator', 'REALISM']

#: Latent galaxy kinds and their default frequencies.
MORPHOLOGY_KINDS = {'elliptical': 0.33, 'disk': 0.42, 'irregular': 0.07,
                    'merger': 0.07, 'star': 0.06, 'artifact': 0.05}

#: The simulator's two kinds of images (see `MorphologySimulator`).
REALISM = ('clean', 'photograph')

def _colours(g_r, r_i):
    """Relative g, r, i fluxes of a component of colours g - r and r - i (AB)."""
    return (10 ** (-0.4 * g_r), 1.0, 10 ** (0.4 * r_i))


# relative g, r, i fluxes of the components (red bulges, blue star formation).
# 'clean' keeps the colours the shipped v3 model was trained with (its old
# stars are 0.4 mag too red in g - r); 'photograph' uses the SDSS colours of
# the red sequence (g - r 0.77, r - i 0.40), of disks (0.55, 0.30) and of
# star-forming knots (0.15, 0.05) (Strateva et al. 2001, AJ 122, 1861;
# Blanton & Moustakas 2009, ARA&A 47, 159).
_COLOURS = {'old': (0.35, 1.0, 1.35), 'disk': (0.65, 1.0, 1.15),
            'young': (1.05, 1.0, 0.85), 'white': (1.0, 1.0, 1.0)}
_SDSS_COLOURS = {'old': _colours(0.77, 0.40), 'disk': _colours(0.55, 0.30),
                 'young': _colours(0.15, 0.05), 'white': (1.0, 1.0, 1.0)}
_OVERSAMPLE = 2


def _soft(value, centres, width, floor=0.03):
    """Answer probabilities peaked at the category whose centre is nearest."""
    d = (np.asarray(value)[:, None] - np.asarray(centres)[None, :]) / width
    w = np.exp(-0.5 * d ** 2)
    p = w / w.sum(axis=1, keepdims=True)
    return (1 - floor * len(centres)) * p + floor


def _normalise(p):
    p = np.clip(p, 1e-6, None)
    return p / p.sum(axis=1, keepdims=True)


class MorphologySimulator:
    """
    Simulate galaxy images with Galaxy Zoo 2 vote fractions.

    Parameters
    ----------
    seed : int, optional
    size : int, optional
        Image side in pixels (64, the size the seed's networks take; the
        pixels are about 1.3" when matched to the Kaggle crop of SDSS).
    kinds : dict, optional
        Kind -> frequency (see `MORPHOLOGY_KINDS`).
    voters : float, optional
        Mean number of volunteers per galaxy (Poisson, at least 10).
    realism : {'photograph', 'clean'}, optional
        ``'photograph'`` (the default): the galaxy in a field as real
        photographs show it, and photographed in a randomly drawn way
        (see Notes). ``'clean'``: the isolated, centred galaxy of fixed
        framing and one asinh stretch that the shipped v3 model was
        trained on (kept so that its scores can be reproduced).
    framing : float or tuple of two floats, optional
        ``'photograph'`` only: the side of every frame in units of the
        galaxy's Petrosian R90, or a (low, high) range drawn log-uniformly;
        by default the mixture of the Notes.

    Notes
    -----
    Each object has its own PSF FWHM: Galaxy Zoo 2 images were scaled to
    the galaxy, so the seeing is large in the pixels of small galaxies,
    and their detail is less visible.

    With ``realism='photograph'``:

    - **framing and zoom**: seven images in ten are framed as the Galaxy
      Zoo 2 Kaggle crops (side
      `~astro_galclass.morphology.framing.GZ2_FRAME_R90` = 4.2 Petrosian R90,
      scattered by 0.1 dex), the others anywhere from 1.5 R90 (the galaxy
      fills the frame) to 20 R90 (a small galaxy in a wide field), with a
      centring error of about one pixel; the volunteers see less detail
      when the galaxy spans few pixels;
    - **the field**: stars and faint galaxies with the counts of
      high-latitude SDSS fields, bright stars with diffraction spikes and
      halos, a close companion in one image in ten (the sources are in
      the docstring of ``astro_galclass.simulate._scene``);
    - **galaxies**: SDSS colours; ellipticals with Sersic n about 4 (0.8
      scatter); bars in 30% of disks (Masters et al. 2011, MNRAS 411,
      2026); pitch angles 18 +- 7 degrees (Hart et al. 2017, MNRAS 472,
      2263); star-forming clumps on a third of the disks; dust lanes in
      edge-on disks;
    - **the photograph**: a Gaussian or Moffat PSF, white or correlated
      noise, a sky offset and gradient, a random stretch (asinh, log or
      clipped linear), colour balance, 15% monochrome, 8-bit quantisation
      and JPEG compression in 60% of images (``astro_galclass.simulate._photograph``).

    The volunteers answer the same tree with the same model, and answer
    "star or artifact" for stars and artifacts, not for field stars.

    Examples
    --------
    >>> from astro_galclass.simulate import MorphologySimulator
    >>> images, truth = MorphologySimulator(seed=0).sample(4)
    >>> images.shape, images.dtype
    ((4, 3, 64, 64), dtype('float32'))
    >>> 'Class1.1' in truth.colnames and 'kind' in truth.colnames
    True
    """

    def __init__(self, *, seed=None, size=64, kinds=None, voters=40.0, realism='photograph',
                 framing=None):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.size = int(size)
        if self.size < 16:
            msg = f'size must be at least 16 pixels, got {size}'
            raise ValueError(msg)
        kinds = dict(MORPHOLOGY_KINDS if kinds is None else kinds)
        unknown = set(kinds) - set(MORPHOLOGY_KINDS)
        if unknown or not kinds or min(kinds.values()) < 0 or sum(kinds.values()) <= 0:
            msg = (f'kinds must map kinds among {list(MORPHOLOGY_KINDS)} to '
                   f'non-negative frequencies, got {kinds}')
            raise ValueError(msg)
        total = sum(kinds.values())
        self.kinds = {k: v / total for k, v in kinds.items()}
        self.voters = float(voters)
        if realism not in REALISM:
            msg = f'realism must be one of {REALISM}, got {realism!r}'
            raise ValueError(msg)
        self.realism = realism
        if framing is not None:
            low, high = (framing, framing) if np.ndim(framing) == 0 else tuple(framing)
            if realism != 'photograph' or not 1.0 <= low <= high <= 50:
                msg = ("framing must be one side or a (low, high) range within 1-50 R90, "
                       f"with realism='photograph'; got {framing!r} with {realism!r}")
                raise ValueError(msg)
            framing = (float(low), float(high))
        self.framing = framing
        self.colours = _COLOURS if realism == 'clean' else _SDSS_COLOURS

    def settings(self):
        """Plain description, for weights metadata."""
        return {'simulator': 'MorphologySimulator', 'seed': self.seed, 'size': self.size,
                'kinds': self.kinds, 'voters': self.voters, 'realism': self.realism,
                'framing': self.framing}

    # -- latent properties ---------------------------------------------------------

    def draw(self, n):
        """
        Latent properties of ``n`` objects, as a `~astropy.table.QTable`.

        Parameters
        ----------
        n : int
            Number of objects, drawn with the simulator's random generator
            (so successive calls give different objects).
        """
        rng = self.rng
        names = list(self.kinds)
        kind = np.array(names)[rng.choice(len(names), n, p=list(self.kinds.values()))]
        t = QTable()
        t['kind'] = kind
        # Galaxy Zoo 2 images were scaled to each galaxy (0.02 petroR90 per
        # pixel), so galaxies fill a similar part of the frame and small
        # galaxies have a larger PSF in pixels
        t['re'] = np.exp(rng.uniform(np.log(3.5), np.log(10.0), n))       # pixels
        t['psf_fwhm'] = np.exp(rng.uniform(np.log(0.8), np.log(3.0), n))  # pixels
        t['snr'] = np.exp(rng.uniform(np.log(15), np.log(400), n))
        t['theta'] = rng.uniform(0, np.pi, n)
        t['sersic_n'] = np.where(kind == 'elliptical', rng.uniform(2.5, 5.5, n),
                                 rng.uniform(0.8, 1.5, n))
        cos_i = rng.uniform(0, 1, n)
        t['inclination'] = np.degrees(np.arccos(cos_i))
        disk_like = np.isin(kind, ['disk'])
        q_disk = np.sqrt(cos_i ** 2 + 0.15 ** 2 * (1 - cos_i ** 2))
        t['axis_ratio'] = np.where(disk_like, q_disk,
                                   np.where(kind == 'elliptical', rng.uniform(0.35, 1.0, n),
                                            rng.uniform(0.5, 1.0, n)))
        t['bulge_fraction'] = np.where(disk_like, rng.beta(1.3, 2.5, n) * 0.85, 0.0)
        t['arms'] = np.where(disk_like & (rng.uniform(size=n) < 0.8),
                             rng.choice([1, 2, 3, 4, 5, 6], n,
                                        p=[0.04, 0.56, 0.16, 0.12, 0.07, 0.05]), 0)
        t['pitch'] = rng.uniform(8, 40, n)                                # degrees
        t['arm_amplitude'] = rng.uniform(0.3, 0.9, n)
        t['bar'] = disk_like & (rng.uniform(size=n) < 0.35)
        t['ring'] = disk_like & (rng.uniform(size=n) < 0.08)
        t['dust_lane'] = disk_like & (t['inclination'] > 75) & (rng.uniform(size=n) < 0.5)
        t['phase'] = rng.uniform(0, 2 * np.pi, n)
        if self.realism == 'photograph':
            self._draw_photograph(t)
        return t

    def _draw_photograph(self, t):
        """The 'photograph' population: published distributions, framing, field."""
        rng = self.rng
        n = len(t)
        kind = np.asarray(t['kind'])
        disk = kind == 'disk'
        t['sersic_n'] = np.where(kind == 'elliptical', np.clip(rng.normal(4.0, 0.8, n), 2.5, 6),
                                 np.asarray(t['sersic_n']))
        t['bar'] = disk & (rng.uniform(size=n) < 0.30)
        t['pitch'] = np.clip(rng.normal(18.0, 7.0, n), 5, 45)
        t['clumps'] = np.where(disk & (rng.uniform(size=n) < 0.33), rng.integers(3, 13, n), 0)
        # framing: the frame's side in units of the galaxy's R90
        nominal = GZ2_FRAME_R90 * 10 ** rng.normal(0, 0.1, n)
        wide = np.exp(rng.uniform(np.log(1.5), np.log(20.0), n))
        t['frame_r90'] = np.where(rng.uniform(size=n) < 0.7, nominal, wide)
        if self.framing is not None:
            t['frame_r90'] = np.exp(rng.uniform(*np.log(self.framing), n))
        # the Petrosian R90 in pixels (before the PSF), as GZ2 scaled its images to
        t['r90'] = self.size / np.asarray(t['frame_r90'])
        profile = np.where(kind == 'elliptical', np.asarray(t['sersic_n']), 1.0)
        t['re'] = np.asarray(t['r90']) / petrosian_r90_over_re(profile)
        # seeing in units of R90 (SDSS: 1.0-2.0 arcsec for R90 of 3-20 arcsec)
        psf = np.exp(rng.uniform(np.log(0.05), np.log(0.35), n)) * np.asarray(t['r90'])
        # a star is framed by its own R90 as GZ2 framed every object (the R90 of a
        # Gaussian is 0.91 FWHM; Moffat wings make it larger)
        psf = np.where(kind == 'star', np.asarray(t['r90']) * rng.uniform(0.6, 1.1, n), psf)
        t['psf_fwhm'] = np.maximum(psf, 0.8)
        t['psf_beta'] = np.where(rng.uniform(size=n) < 0.6, rng.uniform(2.5, 4.8, n), np.nan)
        t['noise_correlation'] = np.where(rng.uniform(size=n) < 0.3, rng.uniform(0.5, 1.2, n),
                                          0.0)
        t['sky_offset'] = rng.normal(0, 1.0, n)          # in units of the pixel noise
        t['sky_gradient'] = rng.exponential(1.0, n)      # across the frame, same units
        t['sky_angle'] = rng.uniform(0, 2 * np.pi, n)
        t['centre_offset'] = rng.normal(0, 1.0, (n, 2))  # pixels
        # the field: GZ2 galaxies have r < 17.7 and R90 of a few arcsec
        t['mag_r'] = rng.uniform(14.0, 17.7, n)
        r90_arcsec = 10 ** rng.normal(np.log10(6.0), 0.2, n)
        t['frame_arcsec'] = np.asarray(t['frame_r90']) * r90_arcsec
        area = (np.asarray(t['frame_arcsec']) / 60) ** 2                   # arcmin^2
        star_density = np.exp(rng.uniform(*np.log(_scene.STAR_DENSITY), n))
        galaxy_density = np.exp(rng.uniform(*np.log(_scene.GALAXY_DENSITY), n))
        t['n_stars'] = rng.poisson(star_density * area)
        t['n_galaxies'] = rng.poisson(galaxy_density * area)
        t['companion'] = ~np.isin(kind, ['star', 'artifact', 'merger']) & (
            rng.uniform(size=n) < 0.1)
        t['spike_angle'] = rng.uniform(0, np.pi / 2, n)
        for name, values in _photograph.draw_settings(rng, n).items():
            t[name] = values

    # -- rendering -----------------------------------------------------------------

    def _grid(self):
        s = self.size * _OVERSAMPLE
        c = (np.arange(s) + 0.5) / _OVERSAMPLE - self.size / 2
        return np.meshgrid(c, c)

    def _sersic(self, x, y, re, n, q, theta):
        u = x * np.cos(theta) + y * np.sin(theta)
        v = -x * np.sin(theta) + y * np.cos(theta)
        r = np.sqrt(u ** 2 + (v / max(q, 0.05)) ** 2)
        img = np.exp(-sersic_b(n) * ((r / re) ** (1 / n) - 1))
        return img / img.sum(), u, v, r

    def _render_one(self, row, x, y):
        """Noiseless (3, S, S) image (fluxes in units of the total r flux)."""
        rng = self.rng
        kind = row['kind']
        re, q, th = row['re'], row['axis_ratio'], row['theta']
        out = np.zeros((3,) + x.shape)
        colours = self.colours
        photo = self.realism == 'photograph'
        if photo:                                  # real cutouts are not centred exactly
            x = x - row['centre_offset'][0]
            y = y - row['centre_offset'][1]

        def add(img, colour, weight):
            out[:] += weight * img[None] * np.asarray(colours[colour])[:, None, None]

        if kind == 'elliptical':
            img, *_ = self._sersic(x, y, re, row['sersic_n'], q, th)
            add(img, 'old', 1.0)
        elif kind == 'disk':
            bt = row['bulge_fraction']
            disk, u, v, r = self._sersic(x, y, re, 1.0, q, th)
            # spiral arms: m-fold logarithmic modulation of the face-on disk
            if row['arms'] > 0:
                phi = np.arctan2(v / max(q, 0.05), u)
                lnr = np.log(np.maximum(r, 0.3) / re)
                wave = np.cos(row['arms'] * (phi - lnr / np.tan(np.radians(row['pitch'])))
                              + row['phase'])
                arms = disk * (1 + row['arm_amplitude'] * wave) * (1 - np.exp(-(r / re) ** 2))
                disk = 0.4 * disk + 0.6 * arms / arms.sum()
            features = 0.0
            if row['bar']:
                bar, *_ = self._sersic(x, y, rng.uniform(0.6, 1.1) * re, 0.5, 0.25 * max(q, 0.3),
                                       th + rng.uniform(0.3, 1.2))
                add(bar, 'old', 0.18 * (1 - bt))
                features += 0.18
            if row['ring']:
                ring = np.exp(-0.5 * ((r - rng.uniform(1.3, 2.0) * re) / (0.15 * re)) ** 2)
                add(ring / ring.sum(), 'young', 0.15 * (1 - bt))
                features += 0.15
            add(disk, 'disk', (1 - bt) * (1 - features))
            if photo and row['clumps'] > 0:
                # star-forming knots along the disk (on the arms when it has some)
                k = int(row['clumps'])
                rad = rng.uniform(0.3, 1.8, k) * re
                if row['arms'] > 0:
                    ang = (np.log(rad / re) / np.tan(np.radians(row['pitch']))
                           - row['phase'] / row['arms']
                           + 2 * np.pi * rng.integers(0, row['arms'], k) / row['arms'])
                else:
                    ang = rng.uniform(0, 2 * np.pi, k)
                ku, kv = rad * np.cos(ang), rad * np.sin(ang) * max(q, 0.05)
                kx = ku * np.cos(th) - kv * np.sin(th)
                ky = ku * np.sin(th) + kv * np.cos(th)
                knots = sum(_scene.point(x, y, a, b, width=max(0.08 * re, 0.5))
                            for a, b in zip(kx, ky, strict=True))
                add(knots / k, 'young', rng.uniform(0.04, 0.12) * (1 - bt))
            if bt > 0:
                bulge, *_ = self._sersic(x, y, 0.3 * re, 4.0, 0.85, th)
                add(bulge, 'old', bt)
            if row['dust_lane']:
                out *= 1 - 0.75 * np.exp(-0.5 * (v / (0.06 * re + 0.4)) ** 2)[None]
        elif kind == 'irregular':
            base, *_ = self._sersic(x, y, re, 1.0, q, th)
            add(base, 'disk', 0.4)
            k = rng.integers(15, 50)
            rr = rng.exponential(re / 1.68, k)
            aa = rng.uniform(0, 2 * np.pi, k)
            knots = np.zeros_like(x)
            for xk, yk in zip(rr * np.cos(aa), rr * np.sin(aa), strict=True):
                knots += np.exp(-0.5 * ((x - xk) ** 2 + (y - yk) ** 2) / 0.8 ** 2)
            add(knots / knots.sum(), 'young', 0.6)
        elif kind == 'merger':
            sep = rng.uniform(0.8, 2.0) * re
            ang = rng.uniform(0, 2 * np.pi)
            dx, dy = 0.5 * sep * np.cos(ang), 0.5 * sep * np.sin(ang)
            ratio = rng.uniform(0.3, 1.0)
            a, *_ = self._sersic(x - dx, y - dy, 0.7 * re, rng.uniform(1, 4),
                                 rng.uniform(0.5, 1), th)
            b, *_ = self._sersic(x + dx, y + dy, 0.7 * re * np.sqrt(ratio), rng.uniform(1, 4),
                                 rng.uniform(0.5, 1), th + 1.0)
            add(a, 'old', 0.85 / (1 + ratio))
            add(b, 'disk', 0.85 * ratio / (1 + ratio))
            # a tidal tail: a faint logarithmic arc leaving one galaxy
            t = np.linspace(0, 2.5, 60)
            tail = np.zeros_like(x)
            for ti in t:
                rad = 0.6 * re * np.exp(0.45 * ti)
                px, py = dx + rad * np.cos(ang + ti), dy + rad * np.sin(ang + ti)
                tail += np.exp(-0.5 * ((x - px) ** 2 + (y - py) ** 2) / (0.12 * re + 0.7) ** 2)
            add(tail / tail.sum(), 'young', 0.15)
        elif kind == 'star':
            star = np.exp(-0.5 * (x ** 2 + y ** 2) / 0.3 ** 2)
            colour = rng.uniform(0, 1)
            star = star / star.sum()
            if photo and rng.uniform() < 0.5:          # a bright star: spikes and halo
                star = (0.75 * star
                        + 0.15 * _scene.spikes(x, y, 0, 0, rng.uniform(0.1, 0.4) * self.size,
                                               row['spike_angle'])
                        + 0.1 * _scene.halo(x, y, 0, 0, rng.uniform(1, 4)))
            out[:] += star[None] * (
                colour * np.asarray(colours['old']) + (1 - colour) * np.asarray(
                    colours['young']))[:, None, None]
        elif photo and rng.uniform() < 0.3:            # artifact: a bleed trail / bad column
            ang = row['spike_angle']
            d = x * np.cos(ang) + y * np.sin(ang)
            along = -x * np.sin(ang) + y * np.cos(ang)
            column = np.exp(-0.5 * (d / 0.6) ** 2) * (np.abs(along) < rng.uniform(0.2, 0.5)
                                                      * self.size)
            add(column / max(column.sum(), 1e-12), 'white', 1.0)
        else:                                          # artifact: a satellite trail
            ang = rng.uniform(0, np.pi)
            off = rng.uniform(-0.3, 0.3) * self.size
            d = x * np.sin(ang) - y * np.cos(ang) - off
            trail = np.exp(-0.5 * (d / 0.5) ** 2)
            add(trail / trail.sum(), 'white', 1.0)
        return out

    def render(self, truth, *, progress=False):
        """
        Noisy gri images ``(N, 3, size, size)`` (flux, r-band total = 1) of ``truth``.

        Parameters
        ----------
        truth : `~astropy.table.QTable`
            Latent properties, one row per object, as returned by `draw`.
        progress : bool, optional
            Show a progress bar on stderr (only when it is a terminal).
        """
        x, y = self._grid()
        n = len(truth)
        out = np.empty((n, 3, self.size, self.size), np.float32)
        photo = self.realism == 'photograph'
        c = np.arange(self.size) - (self.size - 1) / 2
        bar = progress_bar(total=n, progress=progress, unit='galaxy', desc='simulating')
        for i, row in enumerate(truth):
            bar.update(1)
            model = self._render_one(row, x, y)
            beta = row['psf_beta'] if photo and np.isfinite(row['psf_beta']) else None
            kernel = _scene.psf_kernel(x.shape, row['psf_fwhm'], beta, _OVERSAMPLE)
            img = self._binned(np.fft.ifft2(np.fft.fft2(model) * kernel).real)
            if photo:
                field = np.zeros_like(model)
                _scene.add_field(field, x, y, row, self.rng, self.colours)
                img = img + self._binned(np.fft.ifft2(np.fft.fft2(field) * kernel).real)
            # white sky noise giving the requested S/N within 2 r_e (or the PSF)
            radius = 2 * (row['re'] if row['kind'] not in ('star', 'artifact') else 1.0)
            area = np.pi * (radius ** 2 + (row['psf_fwhm'] / 2.3548) ** 2 * 4)
            sigma = 0.9 / (row['snr'] * np.sqrt(area))
            noise = self.rng.normal(0, 1, img.shape)
            if photo:
                if row['noise_correlation'] > 0:      # resampled co-adds: correlated noise
                    noise = gaussian_filter(noise, (0, row['noise_correlation'],
                                                    row['noise_correlation']))
                    noise /= noise.std()
                ramp = (np.cos(row['sky_angle']) * c[None, :] + np.sin(row['sky_angle'])
                        * c[:, None]) / (self.size / 2)
                noise = noise + row['sky_offset'] + 0.5 * row['sky_gradient'] * ramp[None]
            img = img + sigma * noise
            out[i] = img
        bar.close()
        return out

    def _binned(self, img):
        return img.reshape(3, self.size, _OVERSAMPLE, self.size, _OVERSAMPLE).sum(axis=(2, 4))

    @staticmethod
    def to_rgb(flux):
        """
        SDSS-JPEG-like colour images of gri fluxes: i, r, g as R, G, B in [0, 1].

        `~astro_galclass.morphology.asinh_rgb` with its defaults, scaled to
        each image's peak so that galaxies fill the range as in the Kaggle
        crops (Galaxy Zoo 2 images were scaled to each galaxy).

        Parameters
        ----------
        flux : array-like
            ``(N, 3, H, W)`` g, r, i fluxes, as from `render`.
        """
        return asinh_rgb(np.asarray(flux)[:, ::-1])

    def photograph(self, flux, truth):
        """
        Colour images in [0, 1] (i, r, g as R, G, B) of gri fluxes.

        With ``realism='clean'``, `to_rgb`; with ``'photograph'``, each image
        with the stretch, colour balance, monochrome, quantisation and JPEG
        settings of its row of ``truth``.

        Parameters
        ----------
        flux : array-like
            ``(N, 3, H, W)`` g, r, i fluxes, as from `render`.
        truth : `~astropy.table.QTable`
            The rows of `draw` the images were rendered from.
        """
        if self.realism == 'clean':
            return self.to_rgb(flux)
        flux = np.asarray(flux)
        return np.stack([_photograph.photograph(f[::-1], row) for f, row in zip(flux, truth,
                                                                           strict=True)])

    # -- the volunteers ---------------------------------------------------------------

    def answer_probabilities(self, truth):
        """
        Probability of each answer for a volunteer reaching each question, ``(N, 37)``.

        Parameters
        ----------
        truth : `~astropy.table.QTable`
            Latent properties, one row per object, as returned by `draw`.
        """
        n = len(truth)
        kind = np.asarray(truth['kind'])
        re = np.asarray(truth['re'], float)
        snr = np.asarray(truth['snr'], float)
        inc = np.asarray(truth['inclination'], float)
        q = np.asarray(truth['axis_ratio'], float)
        bt = np.asarray(truth['bulge_fraction'], float)
        arms = np.asarray(truth['arms'], int)
        # how visible detail is: resolved (r_e against the PSF) and bright enough
        psf = np.asarray(truth['psf_fwhm'], float)
        vis = np.clip((re / psf - 1) / 3.0, 0, 1) * (1 - np.exp(-snr / 30))
        photo = 'frame_r90' in truth.colnames
        if photo:
            # a galaxy spanning few pixels shows little whatever the seeing
            vis = vis * np.clip((np.asarray(truth['r90'], float) - 2) / 6, 0, 1)
        face_on = np.sqrt(np.clip(np.cos(np.radians(inc)), 0, 1))
        disk = kind == 'disk'
        p = np.zeros((n, 37))
        s = GZ2_TREE.slice

        # Q1 smooth / features / star-artifact
        feat = np.select(
            [kind == 'elliptical', disk, kind == 'irregular', kind == 'merger'],
            [0.08 + 0.05 * (1 - vis),
             0.08 + 0.88 * vis * np.maximum(1 - 0.6 * bt, expit((inc - 70) / 6)),
             0.25 + 0.65 * vis, 0.35 + 0.55 * vis], 0.04)
        star = np.select([kind == 'star', kind == 'artifact'], [0.85, 0.8], 0.015)
        p[:, s(1)] = _normalise(np.stack([1 - feat - star, feat, star], axis=1))
        # Q2 edge-on
        edge = np.where(disk, 0.04 + 0.9 * expit((inc - 73) / 4),
                        0.05 + 0.6 * expit((0.35 - q) / 0.08))
        p[:, s(2)] = _normalise(np.stack([edge, 1 - edge], axis=1))
        # Q3 bar
        bar = np.where(np.asarray(truth['bar']), 0.08 + 0.8 * vis * face_on, 0.06)
        p[:, s(3)] = _normalise(np.stack([bar, 1 - bar], axis=1))
        # Q4 spiral
        v_arms = vis * face_on * np.asarray(truth['arm_amplitude'], float)
        spiral = np.where(arms > 0, 0.08 + 0.9 * np.clip(1.6 * v_arms, 0, 1),
                          np.where(np.isin(kind, ['irregular', 'merger']), 0.2, 0.06))
        p[:, s(4)] = _normalise(np.stack([spiral, 1 - spiral], axis=1))
        # Q5 bulge prominence
        p[:, s(5)] = _soft(bt, [0.02, 0.15, 0.38, 0.65], 0.1)
        # Q6 odd
        odd_kind = np.select([kind == 'merger', kind == 'irregular', kind == 'artifact',
                              np.asarray(truth['ring']), np.asarray(truth['dust_lane'])],
                             [0.85, 0.7, 0.6, 0.55 + 0.3 * vis, 0.4 + 0.4 * vis], 0.07)
        companion = np.asarray(truth['companion']) if photo else np.zeros(n, bool)
        # a close companion makes some volunteers call the galaxy odd, a merger
        odd_kind = np.where(companion, np.maximum(odd_kind, 0.25), odd_kind)
        p[:, s(6)] = _normalise(np.stack([odd_kind, 1 - odd_kind], axis=1))
        # Q7 roundness
        p[:, s(7)] = _soft(q, [0.92, 0.62, 0.3], 0.12)
        # Q8 odd feature: ring, lens/arc, disturbed, irregular, other, merger, dust lane
        q8 = np.full((n, 7), 0.02)
        q8[:, 4] += 0.3
        q8[np.asarray(truth['ring']), 0] += 1.5
        q8[np.asarray(truth['dust_lane']), 6] += 1.5
        q8[kind == 'merger', 5] += 1.6
        q8[kind == 'merger', 2] += 0.5
        q8[kind == 'irregular', 3] += 1.4
        q8[kind == 'irregular', 2] += 0.5
        q8[kind == 'artifact', 4] += 1.0
        q8[kind == 'artifact', 1] += 0.3
        q8[companion, 5] += 0.5
        p[:, s(8)] = _normalise(q8)
        # Q9 edge-on bulge shape: rounded, boxy, none
        q9 = _soft(bt, [0.45, 0.3, 0.0], 0.12)
        q9[np.asarray(truth['bar']), 1] += 0.3
        p[:, s(9)] = _normalise(q9)
        # Q10 winding: tight, medium, loose
        p[:, s(10)] = _soft(np.asarray(truth['pitch'], float), [11, 21, 32], 5.0)
        # Q11 number of arms: 1, 2, 3, 4, more than 4, can't tell
        clarity = np.clip(1.5 * v_arms, 0, 1) ** 1.5
        q11 = np.zeros((n, 6))
        idx = np.clip(arms, 1, 5) - 1
        q11[np.arange(n), idx] = clarity
        q11[np.arange(n), np.clip(idx + 1, 0, 4)] += 0.15 * clarity
        q11[:, 5] = 0.05 + 0.9 * (1 - clarity)
        p[:, s(11)] = _normalise(q11 + 0.01)
        return p

    def vote(self, probabilities):
        """
        Sample volunteers down the tree: vote counts ``(N, 37)``.

        Each galaxy gets ``max(10, Poisson(voters))`` volunteers; the number
        reaching each question is the count of its parent answer (everyone
        who did not answer "star or artifact" answers question 6).

        Parameters
        ----------
        probabilities : array-like
            ``(N, 37)`` probability of each answer for a volunteer reaching
            its question, as from `answer_probabilities`.
        """
        rng = self.rng
        n = len(probabilities)
        voters = np.maximum(10, rng.poisson(self.voters, n))
        counts = np.zeros((n, 37), np.int64)
        for number in GZ2_TREE.order:
            s = GZ2_TREE.slice(number)
            if number == 1:
                total = voters
            elif number == 6:
                total = voters - counts[:, GZ2_TREE.slice(1)][:, 2]
            else:
                total = counts[:, GZ2_TREE.parent_column(number)]
            counts[:, s] = rng.multinomial(total, probabilities[:, s])
        return counts

    def sample(self, n, *, workers=0, progress=None):
        """
        ``n`` images and their truth and labels.

        Parameters
        ----------
        n : int
            Number of objects.
        workers : int, optional
            Simulate in this many worker processes (0: in this process).
            With workers, the objects are made in chunks of
            ``PARALLEL_CHUNK``, each from a seed drawn from this simulator's
            generator, so the result depends on the seed but not on the
            number of workers (it differs from the result with
            ``workers=0``).
        progress : bool or None, optional
            Show a progress bar on stderr when it is a terminal (in this
            process, ``workers=0``); None (the default) shows one for draws
            of 10,000 objects or more. It never changes the draws.

        Returns
        -------
        images : `~numpy.ndarray`
            ``(n, 3, size, size)`` float32 RGB in [0, 1] (i, r, g).
        truth : `~astropy.table.QTable`
            Latent properties (`draw`), the 37 vote counts (GZ2 ``_count``
            names), per-question vote fractions (GZ2 ``_fraction`` names; NaN
            where nobody reached the question), the 37 Kaggle cumulative
            targets (``Class1.1`` ...), the expected (infinite-volunteer)
            cumulative fractions ``expected_Class...``, and ``smooth_truth``
            (1 smooth, 0 featured, -1 star/artifact or ambiguous: expected
            smooth or features fraction below 0.8).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            msg = f'n must be a non-negative int, got {n!r}'
            raise ValueError(msg)
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) \
                or workers < 0:
            msg = f'workers must be a non-negative int, got {workers!r}'
            raise ValueError(msg)
        if workers and n:
            return self._sample_parallel(n, int(workers))
        show = n >= 10000 if progress is None else bool(progress)
        truth = self.draw(n)
        images = self.photograph(self.render(truth, progress=show), truth) if n else np.empty(
            (0, 3, self.size, self.size), np.float32)
        probs = self.answer_probabilities(truth)
        counts = self.vote(probs)
        fractions = GZ2_TREE.counts_to_fractions(counts)
        for name, col in zip(GZ2_TREE.gz2_columns('count'), counts.T, strict=True):
            truth[name] = col
        for name, col in zip(GZ2_TREE.gz2_columns('fraction'), fractions.T, strict=True):
            truth[name] = col
        cumulative = GZ2_TREE.to_kaggle(fractions)
        for name, col in zip(GZ2_TREE.kaggle_columns, cumulative.T, strict=True):
            truth[name] = col
        expected = GZ2_TREE.to_kaggle(probs)
        for name, col in zip(GZ2_TREE.kaggle_columns, expected.T, strict=True):
            truth[f'expected_{name}'] = col
        smooth = np.full(n, -1, np.int8)
        smooth[expected[:, 0] >= 0.8] = 1
        smooth[expected[:, 1] >= 0.8] = 0
        truth['smooth_truth'] = smooth
        return images, truth

    #: Objects per chunk of a parallel `sample`.
    PARALLEL_CHUNK = 1000

    def _sample_parallel(self, n, workers):
        sizes = [min(self.PARALLEL_CHUNK, n - start)
                 for start in range(0, n, self.PARALLEL_CHUNK)]
        jobs = []
        for size, key in zip(sizes, self.rng.integers(2 ** 62, size=len(sizes)),
                             strict=True):
            chunk = copy.copy(self)
            chunk.rng = np.random.default_rng(int(key))
            jobs.append((chunk, size))
        with ProcessPoolExecutor(min(workers, len(jobs))) as pool:
            parts = list(pool.map(_sample_chunk, jobs))
        return (np.concatenate([images for images, _ in parts]),
                vstack([truth for _, truth in parts]))


def _sample_chunk(job):
    simulator, n = job
    return simulator.sample(n)
