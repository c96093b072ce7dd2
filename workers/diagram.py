"""The lifecycle diagram, drawn from the chart itself so it can never drift from it.

`lifecycle_dot()` renders workflows.lifecycle.ReturnLifecycle with python-statemachine's
DotGraphMachine (needs the `pydot` package, not graphviz). `write_diagram(docs_dir)` writes
docs/lifecycle.dot always and docs/lifecycle.svg when graphviz can draw it.

Regenerate after changing the chart:

    .venv/bin/python -m workers.diagram          # writes docs/lifecycle.dot and .svg

tests/unit/test_lifecycle_diagram.py fails until the committed docs/lifecycle.dot matches.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from workflows.lifecycle import ReturnLifecycle

DOT_FILE = "lifecycle.dot"
SVG_FILE = "lifecycle.svg"
DEFAULT_DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"

# The renderer names its initial-arrow node and its state cluster after id(graph): a memory
# address that changes every run. Replace it so the text is the same for the same chart.
_MEMORY_IDS = re.compile(r"(__initial|__atomic)_\d+")


def lifecycle_dot() -> str:
    """Dot source text of ReturnLifecycle; identical on every call for the same chart."""
    from statemachine.contrib.diagram import DotGraphMachine

    graph = DotGraphMachine(ReturnLifecycle)()
    text = _MEMORY_IDS.sub(r"\1", graph.to_string())
    return text.rstrip("\n") + "\n"


def render_svg(dot_text: str) -> bytes | None:
    """SVG bytes from dot text: the `dot` binary if present, else pydot; None if neither can."""
    binary = shutil.which("dot")
    if binary:
        try:
            done = subprocess.run(
                [binary, "-Tsvg"],
                input=dot_text.encode(),
                capture_output=True,
                check=True,
                timeout=60,
            )
            return done.stdout
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        import pydot

        graphs = pydot.graph_from_dot_data(dot_text)
        if graphs:
            out = graphs[0].create(format="svg")
            return out.encode() if isinstance(out, str) else bytes(out)
    except Exception:  # pydot also shells out to graphviz; without it there is no SVG
        return None
    return None


def write_diagram(docs_dir: Path | str = DEFAULT_DOCS_DIR) -> list[Path]:
    """Write lifecycle.dot (always) and lifecycle.svg (when possible); returns what was written."""
    docs = Path(docs_dir)
    docs.mkdir(parents=True, exist_ok=True)
    text = lifecycle_dot()
    dot_path = docs / DOT_FILE
    dot_path.write_text(text, encoding="utf-8")
    written = [dot_path]
    svg = render_svg(text)
    if svg is not None:
        svg_path = docs / SVG_FILE
        svg_path.write_bytes(svg)
        written.append(svg_path)
    return written


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    written = write_diagram(Path(args[0]) if args else DEFAULT_DOCS_DIR)
    for path in written:
        print(f"wrote {path}")
    if len(written) == 1:
        print("no SVG: install graphviz (the `dot` binary) to draw it", file=sys.stderr)


if __name__ == "__main__":
    main()
