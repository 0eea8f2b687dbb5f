# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""galclass classify, --version and the help of every option."""

import argparse
import json

import numpy as np
import pytest
import torch
from astropy.io import fits
from astropy.table import QTable
from conftest import TINY

from astro_galclass import HighZClassifier, __version__
from astro_galclass.cli import _parser, main
from astro_galclass.exceptions import AstroGalclassUserWarning
from astro_galclass.highz import LymanBreakCNN
from astro_galclass.simulate import NIRCamSimulator


@pytest.fixture(scope='module')
def field(tmp_path_factory):
    """Seven FITS mosaics, an ECSV catalog and tiny weights on disk."""
    root = tmp_path_factory.mktemp('field')
    images, truth = NIRCamSimulator(seed=3).make_field(n_sources=25, shape=(400, 400))
    pairs = []
    for band, image in images.items():
        header = image.wcs.to_header()
        header['BUNIT'] = 'MJy/sr'
        path = root / f'{band.lower()}.fits'
        fits.PrimaryHDU(np.asarray(image.data), header=header).writeto(path)
        pairs.append(f'{band}={path}')
    catalog = root / 'sources.ecsv'
    truth['id', 'sky_centroid'].write(catalog)
    torch.manual_seed(0)
    weights = root / 'tiny.pt'
    HighZClassifier(LymanBreakCNN(**TINY), device='cpu', name='tiny').save(weights)
    return catalog, pairs, weights


def _run(field, output, *extra):
    catalog, pairs, weights = field
    return main(['classify', str(catalog), '--images', *pairs, '-o', str(output),
                 '--weights', str(weights), '--device', 'cpu', '--no-progress', *extra])


def test_classify_to_ecsv(field, tmp_path, capsys):
    out = tmp_path / 'classified.ecsv'
    assert _run(field, out) == 0
    summary = capsys.readouterr().out
    table = QTable.read(out)
    source = QTable.read(field[0])
    assert list(table['id']) == list(source['id'])
    assert {'p_low_z', 'p_high_z', 'p_brown_dwarf', 'highz_class', 'highz_flags'} <= \
        set(table.colnames)
    assert table.meta['astro_galclass_highz']['model'] == 'tiny'
    assert summary.startswith('25 sources in ')
    assert 'low_z' in summary and 'unclassified' in summary and 'flagged' in summary


def test_classify_to_fits_keeps_the_provenance(field, tmp_path):
    out = tmp_path / 'classified.fits'
    assert _run(field, out, '--priors', 'low_z=0.9,high_z=0.1,brown_dwarf=0.01') == 0
    table = QTable.read(out)
    provenance = json.loads(table.meta['astro_galclass_highz'])
    assert provenance['model'] == 'tiny'
    assert provenance['options']['priors']['high_z'] == pytest.approx(0.1 / 1.01)
    assert len(table) == 25


def test_classify_fails_before_any_work(field, tmp_path):
    out = tmp_path / 'exists.ecsv'
    out.write_text('x')
    with pytest.raises(SystemExit, match='pass --overwrite'):
        _run(field, out)
    with pytest.raises(SystemExit, match=r"--output: .* must end in one of .*got 'out\.txt'"):
        _run(field, tmp_path / 'out.txt')
    with pytest.raises(SystemExit, match='does not exist'):
        _run(field, tmp_path / 'no' / 'out.ecsv')
    catalog, pairs, _ = field
    with pytest.raises(SystemExit, match='BAND=FILE pairs'):
        main(['classify', str(catalog), '--images', 'F090W', '-o', str(tmp_path / 'a.ecsv')])
    with pytest.raises(SystemExit, match='is not a file'):
        main(['classify', str(catalog), '--images', 'F090W=nothing.fits', '-o',
              str(tmp_path / 'a.ecsv')])
    bad = tmp_path / 'bad.ecsv'
    bad.write_text('not a table\x00')
    with pytest.raises(SystemExit, match='could not read the catalog'):
        main(['classify', str(bad), '--images', *pairs, '-o', str(tmp_path / 'a.ecsv')])


def test_classify_warns_about_a_missing_band(field, tmp_path):
    catalog, pairs, weights = field
    with pytest.warns(AstroGalclassUserWarning) as record:
        main(['classify', str(catalog), '--images', *pairs[1:], '-o',
              str(tmp_path / 'six.ecsv'), '--weights', str(weights), '--device', 'cpu'])
    messages = [str(w.message) for w in record]
    assert any("no image for the band(s) ['F090W']" in m for m in messages)
    assert any('25 of 25 rows could not be classified' in m for m in messages)
    assert QTable.read(tmp_path / 'six.ecsv')['highz_class'].mask.all()


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['--version'])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f'galclass {__version__}'


def test_every_option_has_help_and_shows_its_default():
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        assert parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter, name
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, (name, action.option_strings or action.dest)
        assert '(default:' in parser.format_help(), name
