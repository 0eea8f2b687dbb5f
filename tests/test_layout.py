# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""
The package's floors and room sizes (``docs/developer.rst``, "Where things live").

Each module imports only from its own floor or the floors below, also
inside functions (a lazy import upward is still a loop between floors), and
no module or class outgrows what a newcomer can read in one sitting.
"""

import ast
from pathlib import Path

import pytest

import astro_galclass

PACKAGE = Path(astro_galclass.__file__).parent
MODULES = sorted(p for p in PACKAGE.rglob('*.py') if p.name != '_version.py')

#: Top-level module or subpackage -> floor (docs/developer.rst draws them).
FLOORS = {
    'nircam': 1, 'exceptions': 1,
    'utils': 2, 'gradcam': 2, 'io': 2,
    'morphology': 3,
    'simulate': 4,
    'highz': 5, 'semisupervised': 5,
    'training': 6, 'distributed': 6, 'demo': 6,
    'cli': 7,
}

#: Most lines of a module, and of a class (docstrings included).
MAX_MODULE_LINES = 800
MAX_CLASS_LINES = 650


def _part(path):
    return path.relative_to(PACKAGE).parts[0].removesuffix('.py')


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node.lineno, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, [node.module]


def test_every_module_has_a_floor():
    parts = {_part(p) for p in MODULES} - {'__init__'}
    assert parts <= set(FLOORS), sorted(parts - set(FLOORS))


@pytest.mark.parametrize('path', MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_downward(path):
    here = _part(path)
    if here == '__init__':
        return
    for lineno, names in _imports(ast.parse(path.read_text())):
        for name in names:
            parts = name.split('.')
            if parts[0] != 'astro_galclass' or len(parts) < 2 or parts[1] not in FLOORS:
                continue
            assert FLOORS[parts[1]] <= FLOORS[here], (
                f'{path.relative_to(PACKAGE)}:{lineno} ({here}, floor {FLOORS[here]}) '
                f'imports {name} (floor {FLOORS[parts[1]]})')


@pytest.mark.parametrize('path', MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_rooms_stay_small(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno - node.lineno + 1 <= MAX_CLASS_LINES, node.name
