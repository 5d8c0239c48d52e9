"""``python -m ibert_inference.cli``: the same as ``ibert``."""

import sys

from ibert_inference.cli.main import main

sys.exit(main())
