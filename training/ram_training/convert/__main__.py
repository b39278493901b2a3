import sys

from .checkpoint import main

sys.exit(main())
