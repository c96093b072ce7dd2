"""Load the TOML mapping file into MasterData, with every problem pointing at its line.

tomllib reports syntax errors with a line; pydantic reports a path (`bundles.0.components.1.
weight`). A small scan of the file remembers which line each table header and key sits on, so
a validation error is printed as `mappings.toml:42: bundles[0].components[1].weight: ...`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from activities.mapping import MasterData

Path_ = tuple[str | int, ...]
_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(
    r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*="""
)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class MappingProblem:
    line: int | None
    where: str
    message: str


class MappingFileError(ValueError):
    def __init__(self, path: str, problems: list[MappingProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            f"{self.path}:{p.line or '?'}: {p.where + ': ' if p.where else ''}{p.message}"
            for p in self.problems
        ]


def _dotted(text: str) -> list[str]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', text)
    return [a or b or c for a, b, c in parts]


def key_lines(text: str) -> dict[Path_, int]:
    """Path of every table header and key in the file -> its line number (1-based)."""
    positions: dict[Path_, int] = {}
    arrays: dict[Path_, int] = {}  # array-of-tables path -> index of its last element
    table: Path_ = ()

    def resolve(names: list[str]) -> Path_:
        path: Path_ = ()
        for name in names:
            path = (*path, name)
            if path in arrays:  # a name of an array of tables means its latest element
                path = (*path, arrays[path])
        return path

    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_HEADER.match(line):
            names = _dotted(match[1])
            parent = resolve(names[:-1])
            array = (*parent, names[-1])
            arrays[array] = arrays.get(array, -1) + 1
            table = (*array, arrays[array])
            positions.setdefault(array, number)
            positions[table] = number
        elif match := _HEADER.match(line):
            table = resolve(_dotted(match[1]))
            positions.setdefault(table, number)
        elif match := _KEY.match(line):
            positions[(*table, *_dotted(match[1]))] = number
    return positions


def _line_of(loc: tuple[Any, ...], positions: dict[Path_, int]) -> int | None:
    for end in range(len(loc), 0, -1):
        found = positions.get(tuple(loc[:end]))
        if found is not None:
            return found
    return None


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_mappings(text: str, path: str = "mappings.toml") -> MasterData:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE.search(str(err))
        line = int(found[1]) if found else None
        message = _TOML_LINE.sub("", str(err)).strip()
        raise MappingFileError(path, [MappingProblem(line, "", message)]) from None
    try:
        return MasterData.model_validate(raw)
    except ValidationError as err:
        positions = key_lines(text)
        problems = [
            MappingProblem(_line_of(e["loc"], positions), _where(e["loc"]), e["msg"])
            for e in err.errors()
        ]
        raise MappingFileError(path, problems) from None


def load_mappings(path: str | Path) -> MasterData:
    file = Path(path)
    return parse_mappings(file.read_text(encoding="utf-8"), str(file))
