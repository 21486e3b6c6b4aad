"""``python -m cortexkit``: the command line (what ``torchrun -m cortexkit train ...`` runs)."""

import sys

from cortexkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
