# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""CITATION.cff says which version, when and where; the top-level names."""

import configparser
import datetime
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip('yaml')

ROOT = Path(__file__).resolve().parents[1]


def test_citation_file_has_version_date_and_repository():
    cff = yaml.safe_load((ROOT / 'CITATION.cff').read_text())
    for key in ('cff-version', 'title', 'authors', 'version', 'date-released',
                'repository-code', 'license'):
        assert cff.get(key), key
    datetime.date.fromisoformat(str(cff['date-released']))
    setup = configparser.ConfigParser()
    setup.read(ROOT / 'setup.cfg')
    assert cff['repository-code'] == setup['metadata']['url']
    assert cff['license'] == setup['metadata']['license']
    # the version is the one CHANGES.rst describes at its top
    top = re.match(r'(\d+\.\d+(?:\.\d+)?)', (ROOT / 'CHANGES.rst').read_text()).group(1)
    assert str(cff['version']).startswith(top)


def test_classifiers_at_the_top_level():
    import astro_galclass
    from astro_galclass import HighZClassifier, MorphologyClassifier, SemiSupervisedClassifier
    from astro_galclass.morphology import MorphologyClassifier as Morph
    from astro_galclass.semisupervised import SemiSupervisedClassifier as Semi

    assert MorphologyClassifier is Morph and SemiSupervisedClassifier is Semi
    assert HighZClassifier.__name__ == 'HighZClassifier'
    assert {'HighZClassifier', 'MorphologyClassifier', 'SemiSupervisedClassifier'} <= \
        set(astro_galclass.__all__) & set(dir(astro_galclass))
    with pytest.raises(AttributeError, match='no attribute'):
        astro_galclass.NoSuchClassifier  # noqa: B018
