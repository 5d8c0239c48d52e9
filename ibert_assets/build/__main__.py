"""``python -m ibert_assets.build``: the same as ``ibert-build``."""

import sys

from ibert_assets.build.cli import main

sys.exit(main())
