import sys

from genlens.cli import main

sys.exit(main())
