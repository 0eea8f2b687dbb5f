# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``galclass train-morphology/train-highz --init pretrained`` (issue 15, part 3)."""

import numpy as np
import pytest

from astro_galclass.cli import main as galclass


def test_train_morphology_init_pretrained(tmp_path, capsys):
    out = tmp_path / 'tuned.pt'
    assert galclass(['train-morphology', '--simulate', '40', '--init', 'pretrained',
                     '--freeze', 'features', '--max-epochs', '1', '--no-progress',
                     '--output', str(out)]) == 0
    text = capsys.readouterr().out
    assert 'validation before' in text and 'fine-tuned model' in text
    from astro_galclass.morphology import MorphologyClassifier

    assert MorphologyClassifier(out, device='cpu').metadata['fine_tune']['freeze'] == 'features'


def test_train_highz_init_pretrained(tmp_path, capsys):
    from astro_galclass.simulate import NIRCamSimulator

    x, truth = NIRCamSimulator(seed=33).sample(40)
    data = tmp_path / 'labelled.npz'
    # labels as class names: the one label check takes names or indices
    names = np.array(['low_z', 'high_z', 'brown_dwarf'])[np.asarray(truth['label'])]
    np.savez(data, cutouts=x.value, labels=names)
    out = tmp_path / 'tuned.pt'
    assert galclass(['train-highz', '--data', str(data), '--init', 'pretrained',
                     '--max-epochs', '1', '--no-progress', '--output', str(out)]) == 0
    assert 'validation after' in capsys.readouterr().out
    assert out.is_file()


@pytest.mark.parametrize(('argv', 'message'), [
    (['train-highz', '--init', 'pretrained'], 'give --data'),
    (['train-highz', '--freeze', 'features'], '--freeze applies only'),
    (['train-morphology', '--simulate', '10', '--freeze', 'features'], '--freeze applies only'),
])
def test_fine_tune_options_are_checked(tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        galclass([*argv, '--output', str(tmp_path / 'x.pt')])
