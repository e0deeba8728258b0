"""Where things live: the repository, the download/image cache and the build tree."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
ARTIFACTS = REPO / "artifacts"
GUEST_SCRIPTS = REPO / "harness" / "guest"


def cache_dir(*parts: str) -> Path:
    """A directory under ~/.cache/xsigo-linux (or $XSIGO_CACHE), created on demand."""
    root = Path(os.environ.get("XSIGO_CACHE", Path.home() / ".cache" / "xsigo-linux"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
