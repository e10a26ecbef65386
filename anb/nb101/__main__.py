"""Entry point of ``python -m anb.nb101``."""

import sys

from anb.nb101.cli import main

sys.exit(main())
