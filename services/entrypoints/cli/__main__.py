import sys

from services.entrypoints.cli.main import main

sys.exit(main())
