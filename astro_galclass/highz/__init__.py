# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
High-redshift selection in JWST/NIRCam imaging: low-z galaxy, high-z
(z >= 4) galaxy or brown dwarf, from seven-band cutouts.
"""

from .bands import *  # noqa: F403
from .classifier import *  # noqa: F403
from .flags import *  # noqa: F403
from .model import *  # noqa: F403
from .normalization import *  # noqa: F403
from .red_dots import *  # noqa: F403
from .resample import *  # noqa: F403
from .zeropoint import *  # noqa: F403
