import sys

from forescale.scaler.cli import main

sys.exit(main())
