# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
astro_galclass: machine-learning classification of galaxies for Astropy users.

Importing the package loads no weights and touches no device: classifiers
choose their device when they are created. The classifiers are imported on
first use, so that ``astro_galclass.nircam`` (numpy, astropy and photutils
only) can be used without loading torch.
"""

try:
    from ._version import version as __version__
except ImportError:  # pragma: no cover - not installed from a git checkout
    __version__ = '0.0.0'

__all__ = ['HighZClassifier', 'MorphologyClassifier', 'SemiSupervisedClassifier',
           '__version__']

_CLASSIFIERS = {'HighZClassifier': 'highz', 'MorphologyClassifier': 'morphology',
                'SemiSupervisedClassifier': 'semisupervised'}


def __getattr__(name):
    # the classifiers, imported on first use (PEP 562)
    if name in _CLASSIFIERS:
        import importlib

        return getattr(importlib.import_module(f'.{_CLASSIFIERS[name]}', __name__), name)
    msg = f"module 'astro_galclass' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__():
    return sorted([*globals(), *_CLASSIFIERS])
