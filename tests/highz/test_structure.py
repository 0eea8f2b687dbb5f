# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The classifier's privacy: other objects use its public attributes only.

Floors and sizes of every module are tested in ``tests/test_layout.py``.
"""

import ast
from pathlib import Path

import pytest

import astro_galclass

PACKAGE = Path(astro_galclass.__file__).parent
HIGHZ = sorted((PACKAGE / 'highz').glob('*.py'))


@pytest.mark.parametrize('path', [*[p for p in HIGHZ if p.name != 'classifier.py'],
                                  PACKAGE / 'distributed.py'], ids=lambda p: p.name)
def test_no_private_attribute_of_another_object(path):
    # the catalog run, the engine and distributed use the classifier's public
    # attributes only; an object's private attributes are its own class's
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith('_')
                and not node.attr.startswith('__')):
            assert isinstance(node.value, ast.Name) and node.value.id in ('self', 'cls'), (
                f'{path.name}:{node.lineno} touches {node.attr}')

