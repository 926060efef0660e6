"""Map positions in a rendered template back to the file the user wrote.

Jinja drops the lines of a false `{% if %}` and repeats those of a `{% for %}`, so a YAML error at
rendered line 40 may sit at line 52 of the file. Aligning the two texts line by line (and, within
a changed line, character by character) finds the user's line in every case that matters: text
that came through unchanged, or changed only where an expression was substituted.
"""

from __future__ import annotations

import difflib
import re
from functools import cached_property

from schemactl.errors import Location


class LineMap:
    """Translate 1-based (line, column) positions from rendered text to source text."""

    def __init__(self, source: str, rendered: str):
        self.source_lines = source.splitlines()
        self.rendered_lines = rendered.splitlines()
        self.identical = source == rendered

    @cached_property
    def _line_to_source(self) -> dict[int, int]:
        """Rendered line index -> source line index, for lines that align (0-based)."""
        matcher = difflib.SequenceMatcher(
            None, self.source_lines, self.rendered_lines, autojunk=False
        )
        mapping: dict[int, int] = {}
        for tag, s1, s2, r1, r2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and s2 - s1 == r2 - r1):
                for offset in range(r2 - r1):
                    mapping[r1 + offset] = s1 + offset
        return mapping

    def to_source(self, line: int, column: int) -> tuple[int, int]:
        """The source position of rendered (line, column); unchanged when it cannot be aligned."""
        if self.identical:
            return line, column
        if line > len(self.rendered_lines):  # end of input: the end of the source
            return len(self.source_lines) + 1, 1
        source_index = self._line_to_source.get(line - 1)
        if source_index is None:
            source_index = self._closest_source_line(line - 1)
        if source_index is None:
            return line, column
        source_line = self.source_lines[source_index]
        rendered_line = self.rendered_lines[line - 1]
        if source_line == rendered_line:
            return source_index + 1, column
        return source_index + 1, _align_column(source_line, rendered_line, column)

    @cached_property
    def _expression_patterns(self) -> list[tuple[int, re.Pattern[str]]]:
        """Source lines holding `{{ … }}`, as patterns in which each expression matches anything."""
        patterns = []
        for index, line in enumerate(self.source_lines):
            if "{{" not in line:
                continue
            pieces = re.split(r"\{\{.*?\}\}", line)
            patterns.append((index, re.compile(".*?".join(re.escape(p) for p in pieces) + "$")))
        return patterns

    def _closest_source_line(self, rendered_index: int) -> int | None:
        """For lines a loop repeated or an expression rewrote: the source line that made them."""
        if rendered_index >= len(self.rendered_lines):
            return None
        target = self.rendered_lines[rendered_index]
        for index, pattern in self._expression_patterns:
            if pattern.match(target):
                return index
        best, best_ratio = None, 0.6  # below this, a guess would mislead more than help
        for index, candidate in enumerate(self.source_lines):
            matcher = difflib.SequenceMatcher(None, candidate, target, autojunk=False)
            if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = index, ratio
        return best

    def location(self, location: Location) -> Location:
        line, column = self.to_source(location.line, location.column)
        return Location(location.file, line, column)


def _align_column(source_line: str, rendered_line: str, column: int) -> int:
    """Column in the source line of the character at `column` of the rendered line."""
    position = column - 1
    matcher = difflib.SequenceMatcher(None, source_line, rendered_line, autojunk=False)
    for tag, s1, _s2, r1, r2 in matcher.get_opcodes():
        if r1 <= position < r2 or (position == r2 == len(rendered_line)):
            if tag == "equal":
                return s1 + (position - r1) + 1
            return s1 + 1  # inside substituted text: point at the expression that produced it
    return column
