"""Tests that hold docs/ to the code, and the small Markdown reader they share.

The reader knows just enough Markdown for our own pages: ATX headings (`## Title`), pipe tables
(possibly indented, e.g. inside a list item), fenced code blocks and `code spans`. Headings and
tables inside fenced code blocks are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")


@dataclass(frozen=True)
class Table:
    """A pipe table: header cells, body rows (lists of cells), and its 1-based first line."""

    header: list[str]
    rows: list[list[str]]
    line: int

    def column(self, name: str) -> int | None:
        """The index of the header cell `name` (case-insensitive), if there is one."""
        wanted = name.strip().lower()
        for index, cell in enumerate(self.header):
            if cell.strip().lower() == wanted:
                return index
        return None


@dataclass
class Section:
    """One heading and the lines under it, up to the next heading of any level.

    `lines` holds the section's own text; `subtree` also holds its subsections' text.
    """

    level: int
    title: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    subtree: list[tuple[int, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)

    @property
    def subtree_text(self) -> str:
        return "\n".join(text for _, text in self.subtree)

    def tables(self, *, include_subsections: bool = False) -> list[Table]:
        return list(tables(self.subtree if include_subsections else self.lines))

    def code_blocks(self, *, include_subsections: bool = False) -> list[str]:
        return list(code_blocks(self.subtree if include_subsections else self.lines))

    def prose(self, *, include_subsections: bool = False) -> str:
        """The section's text with fenced code blocks left out."""
        return "\n".join(
            text for _, text in _outside_fences(self.subtree if include_subsections else self.lines)
        )


def read_doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _outside_fences(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    fence: str | None = None
    for number, text in lines:
        match = _FENCE.match(text)
        if fence is None and match:
            fence = match.group(1)[0] * 3
            continue
        if fence is not None:
            if match and match.group(1).startswith(fence):
                fence = None
            continue
        yield number, text


def sections(markdown: str) -> list[Section]:
    """Every heading of a page, in order, with the text under it."""
    numbered = list(enumerate(markdown.splitlines(), start=1))
    heading_lines = {
        number: _HEADING.match(text)
        for number, text in _outside_fences(numbered)
        if _HEADING.match(text)
    }
    found: list[Section] = []
    open_sections: list[Section] = []
    for number, text in numbered:
        match = heading_lines.get(number)
        if match:
            section = Section(len(match.group(1)), match.group(2), number)
            while open_sections and open_sections[-1].level >= section.level:
                open_sections.pop()
            open_sections.append(section)
            found.append(section)
            continue
        if open_sections:
            open_sections[-1].lines.append((number, text))
            for section in open_sections:
                section.subtree.append((number, text))
    return found


def split_row(line: str) -> list[str]:
    """The cells of one table row; `|` inside a code span or escaped as `\\|` is kept."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "|":
            current.append("|")
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    cells.append("".join(current).strip())
    return cells


def tables(lines: list[tuple[int, str]]) -> Iterator[Table]:
    """The pipe tables among `lines` (outside code blocks)."""
    block: list[tuple[int, str]] = []
    for number, text in [*_outside_fences(lines), (-1, "")]:
        if text.strip().startswith("|"):
            if block and number != block[-1][0] + 1:
                yield from _table(block)
                block = []
            block.append((number, text))
            continue
        if block:
            yield from _table(block)
            block = []


def _table(block: list[tuple[int, str]]) -> Iterator[Table]:
    if len(block) < 2:
        return
    separator = split_row(block[1][1])
    if not all(_SEPARATOR_CELL.match(cell) for cell in separator):
        return
    yield Table(
        header=split_row(block[0][1]),
        rows=[split_row(text) for _, text in block[2:]],
        line=block[0][0],
    )


def code_blocks(lines: list[tuple[int, str]]) -> Iterator[str]:
    """The contents of the fenced code blocks among `lines`."""
    fence: str | None = None
    body: list[str] = []
    for _, text in lines:
        match = _FENCE.match(text)
        if fence is None and match:
            fence = match.group(1)[0] * 3
            body = []
            continue
        if fence is not None:
            if match and match.group(1).startswith(fence):
                fence = None
                yield "\n".join(body)
            else:
                body.append(text)


def code_spans(text: str) -> list[str]:
    """The contents of the `code spans` in `text`, in order."""
    return _CODE_SPAN.findall(text)
