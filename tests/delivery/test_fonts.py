"""The shipped CJK font holds every CJK character the UI's strings and corpora use."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from fontTools.ttLib import TTFont

from ._common import REPO

FONT = REPO / "frontend" / "public" / "fonts" / "loopscope-cjk.woff2"


def _subset_script() -> ModuleType:
    path = REPO / "frontend" / "scripts" / "subset-cjk-font.py"
    spec = importlib.util.spec_from_file_location("subset_cjk_font", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_font_covers_every_cjk_character_the_ui_uses() -> None:
    needed = _subset_script().needed_characters()
    assert len(needed) > 100  # the Chinese UI strings alone use hundreds
    cmap = TTFont(FONT).getBestCmap()
    missing = sorted(ch for ch in needed if ord(ch) not in cmap)
    assert not missing, (
        f"{len(missing)} characters missing from {FONT.name} (first: {''.join(missing[:20])});"
        " run frontend/scripts/subset-cjk-font.py"
    )


def test_font_is_renamed_and_licensed() -> None:
    font = TTFont(FONT)
    assert font["name"].getDebugName(1) == "Loopscope CJK"
    assert "SIL Open Font License" in (FONT.parent / "OFL.txt").read_text(encoding="utf-8")
