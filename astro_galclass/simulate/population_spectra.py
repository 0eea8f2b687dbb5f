# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Spectral statistics of a deep NIRCam field's galaxies (issue 31, items 3-4).

- **Red galaxies at 1 < z < 4.** The galaxies of a deep NIRCam field
  (F444W = 25-29) at 1 < z < 4 have stellar masses of about 10^8-10^9.5
  Msun, where quiescent galaxies are a few per cent of all (the stellar
  mass functions of Tomczak et al. 2014: 1-6% at 10^9-10^9.5 Msun at
  1 < z < 2) and unobscured star formation
  dominates (Whitaker et al. 2017: half of the star formation is obscured
  at 10^9.4 Msun, less below; Martis et al. 2016: unobscured star-forming
  galaxies dominate below 10^10 Msun; Deshmukh et al. 2018: non-dusty
  galaxies about 80% of all below their characteristic mass). Their
  stellar attenuation is A_V = 0.2-0.4 below 10^9 Msun at any redshift to
  z ~ 7 (Song et al. 2026, arXiv:2605.23049), so the dusty ones are a tail
  with A_V of order 1-2, not the A_V = 2.5-6 of the heaviest templates.
  `LOW_Z_RED_KINDS` holds the shares and dust; `sky_low_z_kind_shares`
  turns them into the draw's shares.
- **Emission lines at z >= 4.** Each line from its own measurements:
  Halpha from Spitzer/IRAC excesses at z ~ 4-6 (Marmol-Queralto et al.
  2016; Rasappu et al. 2016; Faisst et al. 2016), [OIII]+Hbeta as a power
  law in (1 + z) from z ~ 2 (Boyett et al. 2022) to z ~ 7 (Endsley et al.
  2023). Neither depends measurably on UV luminosity or stellar mass in
  those works, so neither does here. `HALPHA_EW`, `OIII_HBETA_EW`,
  `line_ew_median`, `draw_line_ews`.

Where a number is an assumption or a compromise between sources, the
constant's comment says so.
"""

import numpy as np

__all__ = ['HALPHA_EW', 'LOW_Z_RED_KINDS', 'OIII_HBETA_EW', 'draw_dusty_av', 'draw_line_ews',
           'line_ew_median', 'line_ew_sigma_ln', 'sky_low_z_kind_shares']

#: The red kinds among 1 < z < 4 galaxies of a deep NIRCam field, as
#: fractions of all 1 < z < 4 galaxies, at the 10^8.5-10^9.5 Msun of most of
#: them.
#:
#: ``balmer_break`` (quiescent): 0.04. The quiescent share of all galaxies
#: in the double-Schechter fits of Tomczak et al. (2014, ApJ 783, 85, table
#: 2, ZFOURGE/CANDELS; read from a public code transcription of the table)
#: is 4.3-5.8% at 10^9-10^9.5 Msun at 1 < z < 1.25, 1.3-4.0% at 1.25 < z <
#: 1.5, 0.6-2.8% at 1.5 < z < 2, and 2.8-10% at 10^9.5 Msun (their
#: completeness limit) at 2 < z < 3 (their fits diverge below it), fewer
#: below 10^9 Msun; the 4% is a round value over the 10^8.5-10^9.5 Msun
#: and 1 < z < 4 of a deep field (an assumption inside these values; the
#: fraction's dependence on z and mass is not modelled).
#:
#: ``dusty`` (dusty star-forming): 0.05, with A_V = ``av_min`` plus an
#: exponential of scale ``av_scale`` (mag, Calzetti), at most ``av_max``,
#: on the star-forming templates (their own A_V 0.07-0.8). Below 10^10 Msun
#: unobscured star-forming galaxies dominate (Martis et al. 2016, ApJL 827,
#: L25, UVJ); non-dusty galaxies are about 80% of all below the
#: characteristic mass at z = 2-6 (Deshmukh et al. 2018, ApJ 864, 166,
#: IRAC-selected, so at >~10^9.5 Msun; fewer dusty ones below); half the
#: star formation is obscured at 10^9.4 Msun (Whitaker et al. 2017, ApJ 850,
#: 208: A_UV ~ 0.75, A_V ~ 0.3 Calzetti) with "a tail of low-mass extremely
#: obscured galaxies at z > 1"; A_V(stellar) = 0.2-0.4 below 10^9 Msun and
#: ~1 only at 10^11 Msun (Song et al. 2026, arXiv:2605.23049, JADES). The
#: 5% and the A_V range 1-3 (median ~1.3) are assumptions inside these
#: bounds.
LOW_Z_RED_KINDS = {
    'balmer_break': {'fraction': 0.04},
    'dusty': {'fraction': 0.05, 'av_min': 1.0, 'av_scale': 0.4, 'av_max': 3.0},
}

#: Rest-frame Halpha equivalent width (Angstrom) of z >= 4 star-forming
#: galaxies: log-normal, median ``median`` at ``z_ref`` scaling as
#: (1 + z)^``slope``, width ``sigma_ln``.
#:
#: - ``slope`` 1.0: Marmol-Queralto et al. (2016, MNRAS 460, 3587), EW(Halpha)
#:   and sSFR evolve as (1 + z)^(1.0 +/- 0.2) over 1 < z < 5.
#: - ``median`` 400 A at z = 5.25: between their median of 301 +/- 30 A at
#:   z ~ 4.5 for 10^9.5-10^10.5 Msun (335 A at z = 5.25 with their slope;
#:   more massive than a deep field's galaxies, whose EWs are higher) and
#:   the mean Halpha+[NII]+[SII] of 665 +/- 53 A at z = 5.1-5.4 of Rasappu
#:   et al. (2016, MNRAS 461, 3886), about 470 A as a median of Halpha
#:   alone (the mean of this log-normal is 1.28 times its median; [NII] and
#:   [SII] taken as 10%, an assumption): their geometric mean, a compromise.
#:   It is inside the 300-600 A at z ~ 6 of Faisst et al. (2016, ApJ 821,
#:   122). No dependence on stellar mass (Rasappu et al.: < 2 sigma).
#: - ``sigma_ln`` 0.7 (0.3 dex): an assumption (no published width at
#:   z ~ 4-6 was found).
HALPHA_EW = {'median': 400.0, 'z_ref': 5.25, 'slope': 1.0, 'sigma_ln': 0.7}

#: Rest-frame [OIII]4960,5008+Hbeta equivalent width (Angstrom): log-normal,
#: a power law in (1 + z) through two published medians, held above the
#: second.
#:
#: - z = 2: 110 A, from the [OIII]5007 distribution of UV-selected z ~ 2
#:   galaxies (Boyett et al. 2022, MNRAS 513, 4451: log-normal mu = 4.24,
#:   sigma = 1.33, median e^4.24 = 69 A), times 1.58 for 4960 (a third of
#:   5008) and Hbeta (a quarter, an assumption), as ``EMISSION_LINE_EW``.
#: - z = 7.25: 780 A, the median of z ~ 6.5-8 galaxies of Endsley et al.
#:   (2023, MNRAS 524, 2312), with little dependence on M_UV.
#: - held at 780 A above z = 7.25 (an assumption).
#: - ``sigma_ln`` from 1.33 at z = 2 (Boyett et al. 2022) to 0.7 (0.3 dex,
#:   assumed; Rinaldi et al. 2023 find 87-2100 A at z ~ 7-8) at z = 7.25,
#:   linear in z between.
OIII_HBETA_EW = {'z': (2.0, 7.25), 'median': (110.0, 780.0), 'sigma_ln': (1.33, 0.7)}


def line_ew_median(line, z):
    """
    Median rest-frame equivalent width (Angstrom) of a line group at ``z``.

    Parameters
    ----------
    line : {'halpha', 'oiii_hbeta'}
        `HALPHA_EW` or `OIII_HBETA_EW`.
    z : float or array-like
        Redshift.

    Returns
    -------
    ew : `~numpy.ndarray`

    Examples
    --------
    >>> from astro_galclass.simulate.population_spectra import line_ew_median
    >>> round(float(line_ew_median('oiii_hbeta', 7.25)))   # Endsley et al. 2023
    780
    >>> round(float(line_ew_median('halpha', 4.5)))        # cf. 301 A at 10^10 Msun
    352
    """
    z = np.asarray(z, float)
    if line == 'halpha':
        h = HALPHA_EW
        return h['median'] * ((1 + z) / (1 + h['z_ref'])) ** h['slope']
    if line == 'oiii_hbeta':
        o = OIII_HBETA_EW
        slope = np.log(o['median'][1] / o['median'][0]) / np.log((1 + o['z'][1]) / (1 + o['z'][0]))
        zz = np.minimum(z, o['z'][1])
        return o['median'][0] * ((1 + zz) / (1 + o['z'][0])) ** slope
    msg = f"line must be 'halpha' or 'oiii_hbeta', got {line!r}"
    raise ValueError(msg)


def line_ew_sigma_ln(line, z):
    """
    Log-normal width (natural log) of a line group's equivalent widths at ``z``.

    Parameters
    ----------
    line : {'halpha', 'oiii_hbeta'}
    z : float or array-like

    Returns
    -------
    sigma : `~numpy.ndarray`

    Examples
    --------
    >>> from astro_galclass.simulate.population_spectra import line_ew_sigma_ln
    >>> float(line_ew_sigma_ln('oiii_hbeta', 2.0))         # Boyett et al. 2022
    1.33
    """
    z = np.asarray(z, float)
    if line == 'halpha':
        return np.full(z.shape, HALPHA_EW['sigma_ln'])
    o = OIII_HBETA_EW
    return np.interp(z, o['z'], o['sigma_ln'])


def draw_line_ews(z, *, rng):
    """
    Rest-frame equivalent widths of z >= 4 star-forming galaxies.

    Halpha and [OIII]+Hbeta are drawn independently, each log-normal about
    `line_ew_median` with `line_ew_sigma_ln`.

    Parameters
    ----------
    z : array-like
        ``(N,)`` redshifts.
    rng : `numpy.random.Generator`
        Random generator (two normal draws of ``N``: [OIII]+Hbeta first).

    Returns
    -------
    ews : dict
        ``'oiii_hbeta'`` and ``'halpha'``: ``(N,)`` in Angstrom.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_spectra import draw_line_ews
    >>> ew = draw_line_ews(np.full(20000, 5.25), rng=np.random.default_rng(0))
    >>> round(float(np.median(ew['halpha'])), -1)
    400.0
    """
    z = np.asarray(z, float)
    out = {}
    for line in ('oiii_hbeta', 'halpha'):
        out[line] = line_ew_median(line, z) * np.exp(
            line_ew_sigma_ln(line, z) * rng.normal(0.0, 1.0, z.shape))
    return out


def draw_dusty_av(n, *, rng):
    """
    Extra V-band attenuation (mag, Calzetti) of dusty star-forming galaxies.

    ``av_min`` plus an exponential of scale ``av_scale``, at most
    ``av_max`` (`LOW_Z_RED_KINDS` ``['dusty']``).

    Parameters
    ----------
    n : int
    rng : `numpy.random.Generator`

    Returns
    -------
    av : `~numpy.ndarray`

    Examples
    --------
    >>> import numpy as np
    >>> from astro_galclass.simulate.population_spectra import draw_dusty_av
    >>> av = draw_dusty_av(10000, rng=np.random.default_rng(0))
    >>> round(float(np.median(av)), 1), float(av.max()) <= 3.0
    (1.3, True)
    """
    d = LOW_Z_RED_KINDS['dusty']
    return np.minimum(d['av_min'] + rng.exponential(d['av_scale'], int(n)), d['av_max'])


def sky_low_z_kind_shares(share_at_z_above_1):
    """
    Shares of the low-z kinds to draw, from `LOW_Z_RED_KINDS`.

    The red kinds are drawn at 1 <= z < 4 only, ordinary galaxies at any
    z < 4; for the red kinds to be their published fractions of the
    1 < z < 4 galaxies, their shares of all draws are scaled by the share
    of ordinary galaxies drawn at z >= 1.

    Parameters
    ----------
    share_at_z_above_1 : float
        Share of the ordinary galaxies' redshifts at z >= 1 (0-1].

    Returns
    -------
    shares : dict
        ``{'ordinary', 'dusty', 'balmer_break'}``, summing to 1.

    Examples
    --------
    >>> from astro_galclass.simulate.population_spectra import sky_low_z_kind_shares
    >>> s = sky_low_z_kind_shares(1.0)              # all at z >= 1: as published
    >>> round(s['dusty'], 3), round(s['balmer_break'], 3)
    (0.05, 0.04)
    """
    red = {k: v['fraction'] for k, v in LOW_Z_RED_KINDS.items()}
    total = sum(red.values())
    # red / (red + ordinary * p) = f for each red kind, with red + ordinary = 1
    p = float(share_at_z_above_1)
    ordinary = 1.0 / (1.0 + p * total / (1.0 - total))
    shares = {'ordinary': ordinary}
    for kind in ('dusty', 'balmer_break'):
        shares[kind] = p * ordinary * red[kind] / (1.0 - total)
    return shares
