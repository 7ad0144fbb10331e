"""`python -m mechsparse ...`"""

import sys

from mechsparse.cli.main import main

sys.exit(main())
