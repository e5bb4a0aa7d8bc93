"""The apps run from a virtualenv with the project installed as users install it: the package and its
own dependencies, no test tools (some of which other packages would import, and carry, if present)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.servers import PROJECT

VENV = PROJECT / "bench" / "out" / "venv"


def production_bin() -> Path:
    """The virtualenv's bin folder, with the project freshly installed (not editable) into it."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(PROJECT)], check=True)
    else:  # the dependencies are there already; the project's code may have changed
        install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall"]
        subprocess.run([*install, str(PROJECT)], check=True)
    return VENV / "bin"
