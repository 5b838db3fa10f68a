"""Text corpora shipped with the package, for the character language model.

poetry_zh: Tang and Song poems (and a few older and later ones), centuries old, typed in
by hand; one poem per block, a title line ("title author") and then its lines.
english: Shakespeare sonnets, the Gettysburg Address, the opening of the Declaration of
Independence, and Aesop's fables retold in our own words. All public domain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

CorpusName = Literal["poetry_zh", "english"]
CORPORA: tuple[str, ...] = get_args(CorpusName)


def load_corpus(name: str) -> str:
    """The whole text of corpus `name` (UTF-8, lines ending in '\\n')."""
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; expected one of {list(CORPORA)}")
    return (Path(__file__).parent / f"{name}.txt").read_text(encoding="utf-8")
