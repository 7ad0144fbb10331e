"""`python -m mechsparse ...`"""

import sys

from mechsparse.cli import main

sys.exit(main())
