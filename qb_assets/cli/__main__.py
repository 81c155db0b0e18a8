"""``python -m qb_assets.cli``: the same entry point as the ``qb-score`` console script."""

import sys

from qb_assets.cli.main import main

sys.exit(main())
