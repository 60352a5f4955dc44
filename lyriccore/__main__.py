"""`python -m lyriccore …`: how torchrun starts each rank (`torchrun -m lyriccore train …`)."""

import sys

from lyriccore.cli import main

sys.exit(main())
