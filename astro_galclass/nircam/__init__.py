# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The ground floor: JWST/NIRCam facts, survey depths, photometry and the
high-redshift selection's definitions.

Everything else in the package (the classifiers, the simulators, training
and the semi-supervised pipeline) takes these facts from here. This
subpackage needs only numpy, astropy and photutils: importing it loads
neither torch nor scikit-learn.
"""

from .instrument import *  # noqa: F403
from .photometry import *  # noqa: F403
from .selection import *  # noqa: F403
from .surveys import *  # noqa: F403
