"""`python -m seamrec` is the `seamrec` command."""

import sys

from seamrec.review.cli import main

sys.exit(main())
