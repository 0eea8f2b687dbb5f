# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Sphinx configuration of the astro_galclass documentation."""

import os

import astro_galclass

project = 'astro_galclass'
author = 'astro_galclass developers'
copyright = '2026, astro_galclass developers'
release = astro_galclass.__version__
version = release.split('+')[0]

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.intersphinx',
    'sphinx.ext.mathjax',
    'sphinx.ext.viewcode',
    'numpydoc',
    'sphinx_automodapi.automodapi',
    'sphinx_automodapi.smart_resolver',
    'sphinx_gallery.gen_gallery',
]

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

html_theme = 'alabaster'
html_theme_options = {
    'description': 'Machine-learning galaxy classification for Astropy users',
    'fixed_sidebar': True,
}
html_static_path = ['_static']
