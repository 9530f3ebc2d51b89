"""`python -m seamrec` is the `seamrec` command."""

import sys

from seamrec.cli import main

sys.exit(main())
