# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
How a training run is run: device, seed, progress bars, checkpoints, time.

These options do not change what is trained, only where and how the run
goes; every training function takes them as one `RunOptions` (``run=``),
checked once, instead of five keyword arguments passed down every layer.
"""

import dataclasses
from pathlib import Path

import numpy as np
import torch

from astro_galclass.utils._validation import check_positive_float

__all__ = ['RunOptions']


@dataclasses.dataclass(frozen=True, init=False)
class RunOptions:
    """
    The options of a training run that do not change what is trained.

    Parameters
    ----------
    device : str or `torch.device`, optional
        ``'auto'`` (default: CUDA when available, else the CPU), ``'cpu'``,
        ``'cuda'`` or ``'cuda:N'``. When fine-tuning a classifier,
        ``'auto'`` keeps the classifier's device.
    seed : int, optional
        Seed of the initialisation, the order of the batches, dropout, the
        augmentation and the validation split (default 0). The recipes of
        the shipped models fix their own seeds and ignore this one.
    progress : bool, optional
        Progress bars on stderr (default True).
    checkpoint_dir : path-like, optional
        Folder where the trainer writes ``last.pt`` after each epoch
        (default: no checkpoints).
    time_budget : float, optional
        Wall-clock seconds for the training: the epochs are fitted to it
        (see `~astro_galclass.training.Trainer`; default: no limit).
    precision : {'fp32', 'bf16'}, optional
        ``'bf16'`` runs the training forward passes under bfloat16 autocast
        (the weights, gradients and optimiser stay float32): about 1.2 to 2
        times faster on CPUs with native BF16 (AVX-512 BF16, AMX) and on
        recent GPUs, slower elsewhere (default ``'fp32'``).
    resume : bool, optional
        Continue from ``checkpoint_dir / 'last.pt'`` when it exists (needs a
        ``checkpoint_dir``; default False). The simulated and array batch
        streams are seeded per epoch, so a resumed run sees the batches an
        uninterrupted one would have.

    Examples
    --------
    >>> from astro_galclass.training import RunOptions
    >>> run = RunOptions(device='cpu', progress=False)
    >>> run.seed, run.replace(seed=3).seed
    (0, 3)
    >>> RunOptions(seed=1.5)
    Traceback (most recent call last):
    ...
    TypeError: seed must be an int, got float (1.5)
    """

    device: object
    seed: int
    progress: bool
    checkpoint_dir: object
    time_budget: object
    precision: str
    resume: bool

    def __init__(self, *, device='auto', seed=0, progress=True, checkpoint_dir=None,
                 time_budget=None, precision='fp32', resume=False):
        if not isinstance(device, (str, torch.device)):
            msg = (f"device must be 'auto', 'cpu', 'cuda[:N]' or a torch.device, got "
                   f'{type(device).__name__} ({device!r})')
            raise TypeError(msg)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            msg = f'seed must be an int, got {type(seed).__name__} ({seed!r})'
            raise TypeError(msg)
        if not isinstance(progress, (bool, np.bool_)):
            msg = f'progress must be True or False, got {progress!r}'
            raise TypeError(msg)
        if precision not in ('fp32', 'bf16'):
            msg = f"precision must be 'fp32' or 'bf16', got {precision!r}"
            raise ValueError(msg)
        if not isinstance(resume, (bool, np.bool_)):
            msg = f'resume must be True or False, got {resume!r}'
            raise TypeError(msg)
        if resume and checkpoint_dir is None:
            msg = 'resume=True needs a checkpoint_dir to resume from, got checkpoint_dir=None'
            raise ValueError(msg)
        # frozen: the fields are set once, here, after their checks
        values = {'device': device, 'seed': int(seed), 'progress': bool(progress),
                  'checkpoint_dir': None if checkpoint_dir is None else Path(checkpoint_dir),
                  'time_budget': None if time_budget is None
                  else check_positive_float('time_budget', time_budget),
                  'precision': precision, 'resume': bool(resume)}
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def check(cls, run):
        """
        ``run`` itself, or the default options when it is `None`.

        Parameters
        ----------
        run : `RunOptions` or None
            What a training function was given as ``run=``.

        Returns
        -------
        run : `RunOptions`
        """
        if run is None:
            return cls()
        if not isinstance(run, cls):
            msg = f'run must be a RunOptions or None, got {type(run).__name__}'
            raise TypeError(msg)
        return run

    def replace(self, **changes):
        """
        A copy with some options changed (checked as in the constructor).

        Parameters
        ----------
        **changes
            Option names and their new values.

        Returns
        -------
        run : `RunOptions`
        """
        return dataclasses.replace(self, **changes)

    def trainer_options(self):
        """
        The options of `~astro_galclass.training.Trainer` these set (all but ``device``).

        Returns
        -------
        options : dict
            ``seed``, ``progress``, ``checkpoint_dir``, ``time_budget`` and
            ``precision`` (``resume`` is an argument of ``Trainer.fit``).
        """
        return {'seed': self.seed, 'progress': self.progress,
                'checkpoint_dir': self.checkpoint_dir, 'time_budget': self.time_budget,
                'precision': self.precision}
