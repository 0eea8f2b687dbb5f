# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Sphinx configuration of the astro_galclass documentation."""

import importlib
import os
import pkgutil

from sphinx.pycode import ModuleAnalyzer
from sphinx_astropy.conf.v2 import *  # noqa: F403 - the Astropy defaults and theme

import astro_galclass

project = 'astro_galclass'
author = 'astro_galclass developers'
copyright = '2026, astro_galclass developers'
release = astro_galclass.__version__
version = release.split('+')[0]

# sphinx-astropy's extensions (autodoc, intersphinx, numpydoc, automodapi,
# doctestplus, copybutton ...) and the gallery
extensions += ['sphinx_gallery.gen_gallery']  # noqa: F405

exclude_patterns = ['_build', 'auto_examples/*.ipynb', 'auto_examples/*.py',
                    'auto_examples/*.zip', 'auto_examples/*.md5',
                    'auto_examples/*.json', 'sg_execution_times.rst']
default_role = 'obj'
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
automodapi_toctreedirnm = 'api'
automodsumm_inherited_members = False

# The build must work with no network (tox -e build_docs sets
# GALCLASS_DOCS_OFFLINE=1): intersphinx is switched off then.
if os.environ.get('GALCLASS_DOCS_OFFLINE', '0') == '1':
    intersphinx_mapping = {}
else:
    intersphinx_mapping = {
        'python': ('https://docs.python.org/3/', None),
        'numpy': ('https://numpy.org/doc/stable/', None),
        'astropy': ('https://docs.astropy.org/en/stable/', None),
        'photutils': ('https://photutils.readthedocs.io/en/stable/', None),
        'reproject': ('https://reproject.readthedocs.io/en/stable/', None),
        'torch': ('https://pytorch.org/docs/stable/', None),
        'sklearn': ('https://scikit-learn.org/stable/', None),
    }

sphinx_gallery_conf = {
    'examples_dirs': 'examples',
    'gallery_dirs': 'auto_examples',
    'filename_pattern': r'plot_',
    'download_all_examples': False,
    'remove_config_comments': True,
    'within_subsection_order': 'FileNameSortKey',
}

# the Astropy theme of sphinx-astropy (pydata-sphinx-theme), as affiliated
# packages use it
html_title = f'{project} {version}'
html_static_path = ['_static']


def _constant_docs(app, what, name, obj, options, lines):
    """
    Give a constant the ``#:`` comment of the module that defines it.

    The API pages document constants where a subpackage re-exports them; the
    comment lives in the submodule, so autodoc would otherwise show the
    docstring of the value's type ("Built-in immutable sequence.").
    """
    if what not in ('data', 'attribute'):
        return
    package, _, attr = name.rpartition('.')
    try:
        module = importlib.import_module(package)
    except ImportError:
        return
    candidates = [package]
    if hasattr(module, '__path__'):
        candidates += [f'{package}.{info.name}' for info in pkgutil.iter_modules(module.__path__)]
    for candidate in candidates:
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except Exception:
            continue
        if ('', attr) in docs:
            lines[:] = list(docs[('', attr)])
            return


def setup(app):
    app.connect('autodoc-process-docstring', _constant_docs)
