# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Galaxy morphology: Galaxy Zoo 2 vote fractions that respect the decision tree.
"""

from .classifier import *  # noqa: F403
from .datasets import *  # noqa: F403
from .flags import *  # noqa: F403
from .layers import *  # noqa: F403
from .losses import *  # noqa: F403
from .models import *  # noqa: F403
from .preprocess import *  # noqa: F403
from .tree import *  # noqa: F403
