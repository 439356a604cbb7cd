from services.entrypoints.cli.main import main
import sys

sys.exit(main())
