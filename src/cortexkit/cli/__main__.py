"""``python -m cortexkit.cli``."""

import sys

from cortexkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
