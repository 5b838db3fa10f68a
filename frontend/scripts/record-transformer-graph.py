"""Record the autograd graph of a 2-block transformer (tests/backend/_tiny_transformer.py)
into src/lib/__fixtures__/transformer-graph.json, for the grouped layout's vitest tests.

    .venv/bin/python frontend/scripts/record-transformer-graph.py [--layers 2] [--out PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

OUT = ROOT / "frontend" / "src" / "lib" / "__fixtures__" / "transformer-graph.json"


def load_fixture_model() -> Any:
    """tests/backend/_tiny_transformer.py as a module (the tests are not an installed package)."""
    path = ROOT / "tests" / "backend" / "_tiny_transformer.py"
    spec = importlib.util.spec_from_file_location("tiny_transformer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    graph, _ = load_fixture_model().transformer_graph(layers=args.layers)
    args.out.write_text(json.dumps(graph, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(graph['nodes'])} nodes, {len(graph['edges'])} edges")


if __name__ == "__main__":
    main()
