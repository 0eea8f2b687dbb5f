# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
Training, fine-tuning, calibration and evaluation of the package's classifiers.

Train on your labels with `train_highz`, `train_highz_simulated` and
`train_morphology`; continue a trained classifier on your labels with
`fine_tune_highz` and `fine_tune_morphology`; run options (device, seed,
progress bars, checkpoints, time budget) are one `RunOptions`. The engine
is `Trainer` with the batch streams, augmentations and calibration below.
The recipes that made the shipped models are in
`astro_galclass.training.recipes`.
"""

from .augment import *  # noqa: F403
from .baselines import *  # noqa: F403
from .benchmark import *  # noqa: F403
from .calibration import *  # noqa: F403
from .data import *  # noqa: F403
from .evaluate import *  # noqa: F403
from .fine_tune import *  # noqa: F403
from .freezing import *  # noqa: F403
from .highz import *  # noqa: F403
from .morphology import *  # noqa: F403
from .options import *  # noqa: F403
from .trainer import *  # noqa: F403
