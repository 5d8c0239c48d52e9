"""``python -m ibert_assets.runner``: the same as ``ibert-build``."""

import sys

from ibert_assets.runner.cli import main

sys.exit(main())
