# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Bits of the ``morph_flags`` column of the morphology classifier."""

import enum

__all__ = ['MorphFlag']


class MorphFlag(enum.IntFlag):
    """
    Bits of the ``morph_flags`` column.

    Examples
    --------
    >>> from astro_galclass.morphology import MorphFlag
    >>> MorphFlag(3)
    <MorphFlag.OFF_IMAGE|PARTIAL_OVERLAP: 3>
    """

    #: The cutout lies entirely outside the image: not classified.
    OFF_IMAGE = 1
    #: The cutout crosses the image edge (missing pixels filled with 0).
    PARTIAL_OVERLAP = 2
    #: NaN or masked pixels in the cutout (filled with 0).
    BAD_PIXELS = 4
    #: Masked or non-finite catalog position, or a bad cutout size: not classified.
    BAD_POSITION = 16
    #: ``reframe=True`` but the central galaxy or its Petrosian radius could not be
    #: measured: classified at the framing it was given.
    REFRAME_FAILED = 32
    #: ``reframe=True`` and the training framing reaches outside the image: the
    #: missing border is filled with the background level.
    REFRAME_PADDED = 64


#: Flag bits that leave a row unclassified (masked fractions).
UNCLASSIFIED = MorphFlag.OFF_IMAGE | MorphFlag.BAD_POSITION
