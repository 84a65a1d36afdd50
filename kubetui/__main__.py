"""`python -m kubetui` runs the kubetui command."""

import sys

from .cli import main

sys.exit(main())
