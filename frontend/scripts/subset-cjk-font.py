"""Write public/fonts/loopscope-cjk.woff2: Noto Sans CJK SC cut down to the characters the UI shows.

The Chinese UI must render on a machine with no CJK font installed (CI's Chromium, a bare
container), so the page ships its own font, holding only the CJK characters that its
strings and shipped corpora use. Run this after changing a Chinese string or a corpus:

    apt-get install fonts-noto-cjk && pip install fonttools brotli
    python frontend/scripts/subset-cjk-font.py

A test (tests/delivery/test_fonts.py) fails when a character the UI uses is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_INDEX = 2  # Noto Sans CJK SC within the collection
TARGET = REPO / "frontend" / "public" / "fonts" / "loopscope-cjk.woff2"
FAMILY = "Loopscope CJK"
# Where the characters come from: the UI's sources and the text corpora the page can show.
SOURCES = (
    (REPO / "frontend" / "src", ("*.ts", "*.svelte")),
    (REPO / "backend" / "loopscope" / "training" / "corpora", ("*.txt",)),
)


def is_cjk(ch: str) -> bool:
    """CJK punctuation, kana-free ideographs, fullwidth forms: what a Latin font lacks."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x2FDF  # radicals
        or 0x3000 <= code <= 0x303F  # CJK symbols and punctuation
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # halfwidth and fullwidth forms
    )


def needed_characters() -> set[str]:
    """Every CJK character in the UI's sources and the shipped corpora."""
    chars: set[str] = set()
    for folder, patterns in SOURCES:
        for pattern in patterns:
            for path in folder.rglob(pattern):
                if "node_modules" in path.parts:
                    continue
                chars.update(ch for ch in path.read_text(encoding="utf-8") if is_cjk(ch))
    return chars


def main() -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(SOURCE_FONT)).fonts[SOURCE_INDEX]
    chars = needed_characters()
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    font.flavor = "woff2"
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"{TARGET.relative_to(REPO)}: {len(chars)} characters, {TARGET.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
