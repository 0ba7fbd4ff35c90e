"""`python -m whatif`: the same as the `whatif` console script."""

import sys

from whatif.main import main

sys.exit(main())
