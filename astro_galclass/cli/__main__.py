# Licensed under a 3-clause BSD style license - see LICENSE.rst
"""``python -m astro_galclass.cli``: the ``galclass`` command."""

import sys

from astro_galclass.cli import main

sys.exit(main())
