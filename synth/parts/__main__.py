"""`python -m synth.parts [OUT]`: (re)build the bundled demo meshes."""

import sys
from pathlib import Path

from .build import build_all

for p in build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/meshes")):
    print(p)
