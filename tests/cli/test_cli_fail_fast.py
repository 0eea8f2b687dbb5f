# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""The command line fails fast and in one line (issue 18)."""

import os
import stat
import sys

import pytest

from astro_galclass.cli import main


@pytest.mark.parametrize('argv', [
    ['evaluate-highz', '--n-test', '0'],
    ['evaluate-highz', '--n-train-baseline', '-5'],
    ['evaluate-morphology', '--n-test', '0'],
    ['demo', '--n-sources', '0'],
    ['demo', '--size', 'ten'],
    ['train-highz', '--output', 'x.pt', '--batch-size', '0'],
    ['train-highz', '--output', 'x.pt', '--workers', '-1'],
    ['train-morphology', '--output', 'x.pt', '--limit', '-1'],
])
def test_impossible_numbers_are_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert 'expected an integer' in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == 'win32' or os.geteuid() == 0,
                    reason='needs POSIX permissions that root ignores')
def test_unwritable_output_is_found_before_any_work(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(SystemExit, match='cannot write in'):
            main(['train-highz', '--output', str(locked / 'w.pt')])
    finally:
        locked.chmod(stat.S_IRWXU)


def test_output_that_is_a_folder_or_under_a_file_is_refused_at_once(tmp_path):
    with pytest.raises(SystemExit, match='is a folder; expected a file name'):
        main(['train-highz', '--output', str(tmp_path)])
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(SystemExit, match='cannot write in'):
        main(['train-morphology', '--output', str(blocker / 'sub' / 'w.pt')])
    with pytest.raises(SystemExit, match='cannot write in'):
        main(['evaluate-highz', '--output', str(blocker / 'out')])
    with pytest.raises(SystemExit, match='cannot write in'):
        main(['demo', '--output', str(blocker / 'out')])


def test_expected_failures_print_one_line(tmp_path, capsys, monkeypatch):
    missing = tmp_path / 'nope.pt'
    monkeypatch.delenv('GALCLASS_TRACEBACK', raising=False)
    assert main(['evaluate-highz', '--weights', str(missing), '--n-test', '30',
                 '--no-baselines', '--device', 'cpu']) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('galclass evaluate-highz: error:') and '\n' not in err
    assert 'nope.pt' in err
    monkeypatch.setenv('GALCLASS_TRACEBACK', '1')
    with pytest.raises(FileNotFoundError):
        main(['evaluate-highz', '--weights', str(missing), '--n-test', '30',
              '--no-baselines', '--device', 'cpu'])
