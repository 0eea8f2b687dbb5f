# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""Argument types and checks shared by the ``galclass`` commands."""

import argparse
import tempfile
from pathlib import Path


def writable_file(path, what='--output'):
    """Fail before any work when a file cannot be written there (its folder is created)."""
    path = Path(path)
    if path.is_dir():
        msg = f'{what} {path} is a folder; expected a file name'
        raise SystemExit(msg)
    writable_folder(path.parent, what)


def writable_folder(folder, what='--output'):
    """Create ``folder`` if needed and check that files can be written in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        msg = f'{what}: cannot write in {folder} ({exc.strerror or exc})'
        raise SystemExit(msg) from None


def _count(minimum):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            msg = f'expected an integer, got {text!r}'
            raise argparse.ArgumentTypeError(msg) from None
        if value < minimum:
            msg = f'expected an integer >= {minimum}, got {value}'
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = f'integer >= {minimum}'
    return parse


positive = _count(1)
non_negative = _count(0)


def fraction(text):
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        msg = f'expected a fraction between 0 and 1, got {text!r}'
        raise argparse.ArgumentTypeError(msg)
    return value


def priors(text):
    """``low_z=0.88,high_z=0.1,brown_dwarf=0.02`` -> dict (an argparse type)."""
    try:
        pairs = [item.split('=') for item in text.split(',')]
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError:
        msg = f'expected class=fraction pairs separated by commas, got {text!r}'
        raise argparse.ArgumentTypeError(msg) from None


def or_default(value, default):
    """``value``, or ``default`` when the option was not given (`None`)."""
    return default if value is None else value


def init(text):
    """``--init``: 'pretrained' or a weights file (an argparse type)."""
    return text if text == 'pretrained' else Path(text)


def init_path(init, task):
    """``--init`` as a path for the recipes ('pretrained': the shipped file)."""
    if init != 'pretrained':
        return init
    from astro_galclass.utils._weights import shipped_weights_path

    return shipped_weights_path(f'{task}_default.pt')


def base_classifier(cls, init, device):
    """The classifier ``--init`` names: the shipped one ('pretrained') or a weights file."""
    return cls.pretrained(device=device) if init == 'pretrained' else cls(init, device=device)


def add_run_options(parser, *, time_budget_help):
    """``--device``, ``--time-budget``, ``--checkpoint-dir`` and ``--no-progress``."""
    parser.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda[:N]'")
    parser.add_argument('--time-budget', type=float, default=None, help=time_budget_help)
    parser.add_argument('--checkpoint-dir', type=Path, default=None,
                        help='folder for a checkpoint after each epoch')
    parser.add_argument('--resume', action='store_true',
                        help="continue from --checkpoint-dir's last.pt when it exists")
    parser.add_argument('--precision', choices=('fp32', 'bf16'), default=None,
                        help="'bf16': bfloat16 autocast for the training passes (faster on "
                        "CPUs with native BF16); default fp32, or the recipe's")
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')


def run_options(args, seed=0):
    """The `~astro_galclass.training.RunOptions` of the command line."""
    from astro_galclass.training import RunOptions

    if args.resume and args.checkpoint_dir is None:
        msg = '--resume needs --checkpoint-dir (the folder of the interrupted run)'
        raise SystemExit(msg)
    return RunOptions(device=args.device, seed=seed, progress=not args.no_progress,
                      checkpoint_dir=args.checkpoint_dir, time_budget=args.time_budget,
                      precision=args.precision or 'fp32', resume=args.resume)


def check_outputs(args):
    """Fail before any work when ``--output`` or ``--checkpoint-dir`` cannot be written."""
    writable_file(args.output)
    if args.checkpoint_dir is not None:
        writable_folder(args.checkpoint_dir, '--checkpoint-dir')


def print_fine_tune(clf, output):
    """The history and validation scores of a fine-tuned classifier."""
    clf.history.pprint(max_lines=-1, max_width=-1)
    record = clf.metadata['fine_tune']
    print(f"\nvalidation before: {record['validation_before']}")
    print(f"validation after:  {record['validation_after']}")
    print(f'stopped by {clf.history.meta.get("stopped_by")}; wrote {output}')
