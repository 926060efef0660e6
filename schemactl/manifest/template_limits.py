"""The limits a manifest template renders within, and the checks that keep it inside them.

A manifest may come from anyone who can open a pull request, so rendering it must not exhaust
the machine. Every render gets a Guard: each loop iteration, call, lookup and item looked at by
a size check spends a step; every value a template builds must stay under a size (about the
length of its printed text, counting shared parts each time they appear, so nested repetition
cannot explode when printed); numbers stay under a bit count; calls nest only so deep; all text
produced, including text captured by `set`, `macro`, `call` and `filter` blocks, is capped.
Operations that could make a value much larger than their inputs (`*`, `**`, `%`,
`center(width)`, `replace`, `join`, format widths, …) are checked before they run, so nothing
large is ever allocated. sandbox.py calls these checks from the Jinja2 environment.
"""

from __future__ import annotations

import codecs
import re
import string
import time
from collections import deque
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from jinja2 import Undefined

from schemactl.manifest.yaml_loader import MAX_FILE_BYTES

# Steps one file may take: loop iterations, calls, lookups, and items looked at by size checks.
MAX_STEPS = 5_000_000
# Wall-clock backstop for work that spends few steps, e.g. comparing two large values in a loop.
MAX_SECONDS = 20.0
# The largest value a template may build: about the length of its printed text. Above the
# rendered-file limit, so that a value meant to be printed meets that limit and its message.
MAX_VALUE_SIZE = 2 * MAX_FILE_BYTES
# All text a template produces, including text captured by blocks and then thrown away.
MAX_TEXT_PRODUCED = 4 * MAX_FILE_BYTES
MAX_INT_BITS = 4096
MAX_NESTING = 100
MAX_CALL_DEPTH = 64


class TemplateLimitError(Exception):
    """A template went over one of the sandbox's limits; the message says which."""


def too_large(what: str) -> TemplateLimitError:
    """The error for an operation (`what`) that would build a value over MAX_VALUE_SIZE."""
    return TemplateLimitError(
        f"template would build a value of over {MAX_VALUE_SIZE:,} characters ({what})"
    )


class Guard:
    """The budget of one render: steps, value sizes, text produced and call depth."""

    def __init__(self) -> None:
        self.steps = 0
        self.text = 0
        self.depth = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(
                f"template does too much work: over {MAX_STEPS:,} steps of loops, calls and "
                "lookups (a loop or a recursive macro running away?)"
            )
        if self.steps & 0x3FF == 0 and time.monotonic() > self.deadline:
            raise TemplateLimitError(f"template takes more than {MAX_SECONDS:g} seconds to render")

    def size(self, value: Any) -> int:
        """About how long `value` is when printed; stops counting past MAX_VALUE_SIZE."""
        return self._measure(value, 0, {})

    def _measure(self, value: Any, depth: int, seen: dict[int, int]) -> int:
        if isinstance(value, str | bytes | bytearray):
            return len(value) + 3
        if value is None or isinstance(value, bool | float):
            return 5
        if isinstance(value, int):
            return value.bit_length() // 3 + 2
        if isinstance(value, Undefined) or not isinstance(
            value,
            Mapping | list | tuple | set | frozenset | deque | KeysView | ValuesView | ItemsView,
        ):
            return 16  # opaque: a range, a macro, a namespace, a loop, a generator
        key = id(value)  # every container met here is kept alive by the value being measured
        if key in seen:
            return seen[key]
        if depth >= MAX_NESTING:
            raise TemplateLimitError(
                f"template builds a value nested more than {MAX_NESTING} levels deep"
            )
        seen[key] = 2  # a cycle counts once
        total = 2
        if isinstance(value, Mapping | ItemsView):
            pairs = value.items() if isinstance(value, Mapping) else value
            children: Iterable[Any] = (part for pair in pairs for part in pair)
        else:
            children = value
        for child in children:
            self.spend()
            total += self._measure(child, depth + 1, seen) + 2
            if total > MAX_VALUE_SIZE:
                break
        seen[key] = total
        return total

    def check(self, value: Any, what: str) -> Any:
        """`value`, if it is small enough to print; else a TemplateLimitError naming `what`."""
        if self.size(value) > MAX_VALUE_SIZE:
            raise too_large(what)
        return value

    def check_all(self, values: Iterable[Any], what: str) -> None:
        total = 0
        for value in values:
            total += self.size(value)
            if total > MAX_VALUE_SIZE:
                raise too_large(what)

    def produced(self, length: int) -> None:
        self.text += length
        if self.text > MAX_TEXT_PRODUCED:
            raise TemplateLimitError(
                f"template produces over {MAX_TEXT_PRODUCED:,} characters of text in all "
                "(counting text captured by set, macro, call and filter blocks)"
            )

    def counting(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """`iterable`, spending a step per item."""
        for item in iterable:
            self.spend()
            yield item


# --- checks made before an operation runs ----------------------------------------------------

_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def printf_widths(text: str) -> int:
    total = 0
    for match in _PRINTF_SPEC.finditer(text):
        for part in match.groups():
            if part == "*":
                raise TemplateLimitError("template uses a '*' width in a % format; write a number")
            total += int(part or 0)
    return total


def _format_widths(text: str) -> int:
    total = 0
    for _literal, field, spec, _conversion in string.Formatter().parse(text):
        if field is None or not spec:
            continue
        if "{" in spec:
            raise TemplateLimitError(
                "template uses a nested field in a format spec; write the width as a number"
            )
        total += sum(int(digits) for digits in _DIGITS.findall(spec))
    return total


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _replaced_size(text: str | bytes, old: Any, new: Any, count: Any) -> int:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return len(text)
    found = len(text) + 1 if not old else text.count(old)  # type: ignore[arg-type]
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(0, len(new) - len(old))


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def check_method(guard: Guard, owner: Any, name: str, args: tuple[Any, ...], kwargs: Any) -> Any:
    """Checks of str and int methods that can build far more than they are given.

    Returns the arguments to call with: `join` takes its items as a list, counted already.
    """
    what = f"method '{name}'"
    if name in ("center", "ljust", "rjust", "zfill"):
        if _number(_argument(args, kwargs, 0, "width")) > MAX_VALUE_SIZE:
            raise too_large(what)
    elif name == "expandtabs":
        tab = "\t" if isinstance(owner, str) else b"\t"
        size = _number(_argument(args, kwargs, 0, "tabsize"))
        if len(owner) + owner.count(tab) * size > MAX_VALUE_SIZE:
            raise too_large(what)
    elif name == "replace":
        old, new = _argument(args, kwargs, 0, "old"), _argument(args, kwargs, 1, "new")
        if _replaced_size(owner, old, new, _argument(args, kwargs, 2, "count")) > MAX_VALUE_SIZE:
            raise too_large(what)
    elif name == "join" and args:
        items = list(guard.counting(args[0]))
        if len(items) * len(owner) + sum(map(guard.size, items)) > MAX_VALUE_SIZE:
            raise too_large(what)
        return (items, *args[1:])
    elif name == "translate" and isinstance(owner, str) and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        if len(owner) * longest > MAX_VALUE_SIZE:
            raise too_large(what)
    elif name in ("format", "format_map") and isinstance(owner, str):
        if len(owner) + _format_widths(owner) > MAX_VALUE_SIZE:
            raise too_large(what)
    elif name == "to_bytes" and _number(_argument(args, kwargs, 0, "length")) > MAX_VALUE_SIZE:
        raise too_large(what)
    elif name in ("encode", "decode"):
        codec = _argument(args, kwargs, 0, "encoding")
        if isinstance(codec, str) and _slow_codec(codec):
            guard.spend(len(owner) ** 2 // 10)  # Punycode takes time quadratic in the length
    return args


def _slow_codec(name: str) -> bool:
    try:
        return codecs.lookup(name).name in ("punycode", "idna")
    except LookupError:
        return False


# Filters that can build far more than they are given: checked with their bound arguments.
def _filter_center(guard: Guard, a: dict[str, Any]) -> None:
    if _number(a.get("width")) > MAX_VALUE_SIZE:
        raise too_large("filter 'center'")


def _filter_indent(guard: Guard, a: dict[str, Any]) -> None:
    text, width = str(a["s"]), a.get("width", 4)
    each = len(width) if isinstance(width, str) else _number(width)
    if len(text) + (text.count("\n") + 1) * each > MAX_VALUE_SIZE:
        raise too_large("filter 'indent'")


def _filter_format(guard: Guard, a: dict[str, Any]) -> None:
    text = str(a["value"])
    values = [*a.get("args", ()), *a.get("kwargs", {}).values()]
    if len(text) + printf_widths(text) + sum(map(guard.size, values)) > MAX_VALUE_SIZE:
        raise too_large("filter 'format'")


def _filter_join(guard: Guard, a: dict[str, Any]) -> None:
    items = a["value"] = list(guard.counting(a["value"]))
    separator = str(a.get("d", ""))
    if len(items) * len(separator) + sum(map(guard.size, items)) > MAX_VALUE_SIZE:
        raise too_large("filter 'join'")


def _filter_replace(guard: Guard, a: dict[str, Any]) -> None:
    text, old, new = (str(a[k]) for k in ("s", "old", "new"))
    if _replaced_size(text, old, new, a.get("count")) > MAX_VALUE_SIZE:
        raise too_large("filter 'replace'")


def _filter_wordwrap(guard: Guard, a: dict[str, Any]) -> None:
    text, wrap = str(a["s"]), a.get("wrapstring")
    if wrap is not None and len(text) * (1 + len(str(wrap))) > MAX_VALUE_SIZE:
        raise too_large("filter 'wordwrap'")


def _filter_urlize(guard: Guard, a: dict[str, Any]) -> None:
    text = str(a["value"])
    extra = sum(len(str(a.get(k) or "")) for k in ("target", "rel")) + 64
    if 3 * len(text) + (len(text) // 2 + 1) * extra > MAX_VALUE_SIZE:
        raise too_large("filter 'urlize'")


def _filter_batch(guard: Guard, a: dict[str, Any]) -> None:
    count = _number(a.get("linecount"))
    if count * (guard.size(a.get("fill_with")) + 2) > MAX_VALUE_SIZE:
        raise too_large("filter 'batch'")


def _filter_slice(guard: Guard, a: dict[str, Any]) -> None:
    count = _number(a.get("slices"))
    if count * (guard.size(a.get("fill_with")) + 4) > MAX_VALUE_SIZE:
        raise too_large("filter 'slice'")
    guard.spend(max(0, count))


def _filter_tojson(guard: Guard, a: dict[str, Any]) -> None:
    indent = a.get("indent")
    step = len(indent) if isinstance(indent, str) else _number(indent)
    if step and guard.size(a["value"]) * (1 + step * MAX_NESTING // 4) > MAX_VALUE_SIZE:
        raise too_large("filter 'tojson' with an indent")


def _filter_pprint(guard: Guard, a: dict[str, Any]) -> None:
    if guard.size(a["value"]) * 8 > MAX_VALUE_SIZE:
        raise too_large("filter 'pprint'")


def _filter_sum(guard: Guard, a: dict[str, Any]) -> None:
    start = a.get("start", 0)
    if isinstance(start, int | float):
        return
    items = a["iterable"] = list(guard.counting(a["iterable"]))
    total = guard.size(start) + sum(map(guard.size, items))
    if total > MAX_VALUE_SIZE:
        raise too_large("filter 'sum'")
    guard.spend(len(items) * total // 1000)  # each addition copies what was summed so far


FILTER_CHECKS: dict[str, Callable[[Guard, dict[str, Any]], None]] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "format": _filter_format,
    "join": _filter_join,
    "replace": _filter_replace,
    "wordwrap": _filter_wordwrap,
    "urlize": _filter_urlize,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "tojson": _filter_tojson,
    "pprint": _filter_pprint,
    "sum": _filter_sum,
}


__all__ = [
    "FILTER_CHECKS",
    "MAX_CALL_DEPTH",
    "MAX_INT_BITS",
    "MAX_NESTING",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_TEXT_PRODUCED",
    "MAX_VALUE_SIZE",
    "Guard",
    "TemplateLimitError",
    "check_method",
    "printf_widths",
    "too_large",
]
