"""Entry point for `python -m clinic`."""

import sys

from clinic.cli import main

sys.exit(main())
