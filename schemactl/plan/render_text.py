"""Render a plan as terminal text, in the manner of Terraform's plan output."""

from __future__ import annotations

import json
import textwrap
import unicodedata
from collections.abc import Mapping
from typing import Any

from schemactl.plan.changes import KNOWN_AFTER_APPLY, SENSITIVE, Action, Change, Plan
from schemactl.plan.in_use import holders, needs_check, usage_phrase

# Lines longer than this break: old and new values go on lines of their own, and JSON
# containers open up one item per line. Strings are never broken, so they stay copyable.
WRAP_WIDTH = 100

# ASCII only, so the renderer's own text prints on any console or log encoding. Unarchive gets
# `^` ("brought back up") rather than `+` or `~`: a restore is neither a new, empty item nor an
# edit, and a distinct symbol keeps each kind of change greppable.
SYMBOLS: dict[Action, str] = {
    "create": "+",
    "update": "~",
    "rename": ">",
    "unarchive": "^",
    "archive": "-",
    "delete": "-",
    "manual": "!",
}
SYMBOL_MEANINGS: dict[Action, str] = {
    "create": "create",
    "update": "update in place",
    "rename": "rename in place",
    "unarchive": "unarchive (restore)",
    "archive": "archive",
    "delete": "delete",
    "manual": "manual change (apply does not make it)",
}
# The order of the summary sentence (and of every per-action listing).
SUMMARY_ORDER: tuple[Action, ...] = (
    "create",
    "update",
    "rename",
    "unarchive",
    "archive",
    "delete",
    "manual",
)
NO_CHANGES = "No changes. The workspace matches the manifests."
PRUNE_HINT = (
    "Declare them to manage them. Plan with --prune to archive unmanaged attributes, options "
    "and statuses, unless the environment's policy sets allow_archive: false; webhooks are "
    "deleted only when the policy also sets allow_delete_webhooks: true. Objects and lists "
    "cannot be removed through the API."
)

_HEADLINES: dict[Action, str] = {
    "create": "will be created",
    "update": "will be updated in place",
    "rename": "will be renamed in place",
    "unarchive": "will be unarchived",
    "archive": "will be archived",
    "delete": "will be deleted",
    "manual": "needs a manual change",
}
# Reasons compare gives that the block's headline and fields already make plain.
_RESTATING_REASONS: dict[Action, frozenset[str]] = {
    "create": frozenset({"not in the workspace"}),
    "update": frozenset({"fields differ", "subscriptions differ"}),
    "unarchive": frozenset({"archived in the workspace"}),
}
_OPT_IN = "Apply refuses it without --allow-data-loss or policy allow_archive_in_use: true."
_ACTION_NOTES: dict[Action, str] = {
    "archive": "Archived, not deleted: Attio keeps its data, and declaring it again restores it.",
    "delete": "Deleted for good: events stop, and re-creating it gives a new secret.",
    "unarchive": "Restored from the archive with the data it kept.",
    "manual": "Apply does not make this change; follow the steps below.",
}
_ANSI: dict[Action, str] = {
    "create": "32",
    "update": "33",
    "rename": "33",
    "unarchive": "33",
    "archive": "31",
    "delete": "31",
    "manual": "35",
}
_PLACEHOLDERS = frozenset({KNOWN_AFTER_APPLY, SENSITIVE})
# Characters that could rewrite a terminal or reorder text on screen (Trojan Source).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_FIELD_INDENT = 6


def printable(text: str) -> str:
    """`text` with control and bidi-control characters shown as escapes, never acted on."""
    # Fast path: every character escaped below (Cc controls, bidi controls of category Cf) makes
    # isprintable() false, so printable text can be returned as it is.
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) if _is_unsafe(ch) else ch for ch in text)


def _is_unsafe(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_ref(value: Any) -> bool:
    """True for `{"ref": address}`, bare or annotated with the `id` it resolves to."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("ref"), str)
        and set(value) <= {"ref", "id"}
    )


def format_value(value: Any) -> str:
    """A value on one line: compact JSON, but placeholders and refs print bare."""
    if isinstance(value, str):
        return value if value in _PLACEHOLDERS else printable(json.dumps(value, ensure_ascii=False))
    if _is_ref(value):
        # Written as in the manifests, then the id apply will use: `(known after apply)` when
        # the plan creates the item.
        text = "{ref: " + printable(value["ref"]) + "}"
        if value.get("id") is not None:
            text += f" = {format_value(value['id'])}"
        return text
    if isinstance(value, dict):
        items = (f"{format_value(str(k))}: {format_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return json.dumps(value)


def _value_lines(value: Any, width: int) -> list[str]:
    """A value as lines: one line when it fits in `width`, else containers open up."""
    line = format_value(value)
    is_container = isinstance(value, dict | list | tuple) and not _is_ref(value)
    if len(line) <= width or not is_container or not value:
        return [line]
    if isinstance(value, dict):
        opener, closer = "{", "}"
        entries = [(f"{format_value(str(k))}: ", v) for k, v in value.items()]
    else:
        opener, closer = "[", "]"
        entries = [("", v) for v in value]
    lines = [opener]
    for index, (prefix, item) in enumerate(entries):
        inner = _value_lines(item, width - 2 - len(prefix))
        inner[0] = prefix + inner[0]
        if index < len(entries) - 1:
            inner[-1] += ","
        lines += ["  " + inner_line for inner_line in inner]
    lines.append(closer)
    return lines


def field_lines(name: str, value: Any, width: int) -> list[str]:
    """`name: value`, continued on further lines when the value is too long for `width`."""
    label = f"{printable(name)}: "
    lines = _value_lines(value, width - len(label))
    return [label + lines[0], *lines[1:]]


def _changed_field_lines(name: str, old: Any, new: Any, width: int) -> list[str]:
    """`name: old -> new`, or, when that is too long, old and new on lines of their own."""
    label = printable(name)
    line = f"{label}: {format_value(old)} -> {format_value(new)}"
    if len(line) <= width:
        return [line]
    old_lines = _value_lines(old, width - 5)
    new_lines = _value_lines(new, width - 5)
    return (
        [f"{label}:"]
        + ["     " + text for text in old_lines]
        + ["  -> " + new_lines[0]]
        + ["     " + text for text in new_lines[1:]]
    )


def _shown_fields(fields: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The fields worth listing for an item that appears or goes: everything but nulls."""
    # Unset values (null, an empty list such as a text attribute's allowed_objects) say nothing.
    return [(k, v) for k, v in (fields or {}).items() if v is not None and v != []]


def _changed_values(change: Change) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for each field that differs between before and after."""
    before, after = change.before or {}, change.after or {}
    return [(name, before.get(name), after.get(name)) for name in change.changed_fields]


def count_phrases(counts: Mapping[str, int], usage: str = "") -> list[str]:
    """`3 to create`, `1 manual change`, … for the non-zero counts, in summary order; `usage`
    (`1 in use`) follows the archives in brackets."""
    phrases = []
    for action in SUMMARY_ORDER:
        count = counts.get(action, 0)
        if not count:
            continue
        if action == "manual":
            phrases.append(f"{count} manual change{'' if count == 1 else 's'}")
        elif action == "archive" and usage:
            phrases.append(f"{count} to archive ({usage})")
        else:
            phrases.append(f"{count} to {action}")
    return phrases


def summary_line(plan: Plan) -> str:
    """The one-line summary every rendering ends with."""
    phrases = count_phrases(plan.summary, usage_phrase(plan.changes))
    return f"Plan: {', '.join(phrases)}." if phrases else NO_CHANGES


def workspace_label(plan: Plan) -> str:
    """The workspace as a reader knows it: its slug, else its id."""
    return plan.workspace.get("slug") or plan.workspace.get("id") or "(unknown workspace)"


def _header_line(plan: Plan) -> str:
    text = f"Plan for workspace {workspace_label(plan)}"
    if plan.environment:
        text += f" (environment: {plan.environment})"
    return printable(text)


def _headline(change: Change) -> str:
    """What happens, in words: `objects/x will be archived`."""
    subject = change.renamed_from if change.action == "rename" and change.renamed_from else None
    return f"{printable(str(subject or change.address))} {_HEADLINES[change.action]}"


def _address_label(change: Change) -> str:
    """The address, or `old -> new` for a rename."""
    if change.action == "rename" and change.renamed_from is not None:
        return f"{printable(str(change.renamed_from))} -> {printable(str(change.address))}"
    return printable(str(change.address))


def reason_adds_information(change: Change) -> bool:
    """False for an empty reason or one that only says what the action and fields already say.

    Unknown wording is always shown, so a reworded reason is never lost, only repeated.
    """
    said = " ".join(change.reason.lower().split()).rstrip(".")
    restating = {
        change.action,
        _HEADLINES[change.action],
        *_RESTATING_REASONS.get(change.action, ()),
    }
    if change.renamed_from is not None:
        restating.add(f"renamed_from {change.renamed_from.name.lower()}")
    return bool(said) and said not in restating


def usage_tag(change: Change) -> str:
    """`in use` or `may be in use` for an archive apply refuses without opt-in, else empty."""
    if not needs_check(change) or change.in_use is False:
        return ""
    return "in use" if change.in_use else "may be in use"


def change_notes(change: Change) -> list[str]:
    """What a reviewer should know beyond the fields: data kept or lost, manual work."""
    notes: list[str] = []
    who = holders(change.address)
    if change.in_use is True:
        notes.append(f"In use: {who} hold values for it.")
    elif change.in_use is False:
        notes.append(f"Not in use: no {who} hold values for it.")
    elif needs_check(change):
        notes.append(f"May be in use: its {who} could not be checked.")
    if usage_tag(change):
        notes.append(_OPT_IN)
    if change.action in _ACTION_NOTES:
        notes.append(_ACTION_NOTES[change.action])
    return notes


class _Absent:
    """Marks the missing side of a field that only appears or only goes."""


_ABSENT: Any = _Absent()


def is_absent(value: Any) -> bool:
    return value is _ABSENT


def field_detail(change: Change) -> list[tuple[str, Any, Any]]:
    """The fields a change shows, as (field, old, new); old or new is `_ABSENT` when one-sided."""
    if change.action == "create":
        return [(name, _ABSENT, value) for name, value in _shown_fields(change.after)]
    if change.action in ("archive", "delete"):
        return [(name, value, _ABSENT) for name, value in _shown_fields(change.before)]
    return _changed_values(change)


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan for a terminal; with `color`, the same text plus ANSI colour codes."""
    paint = _Painter(color)
    lines = [_header_line(plan), ""]
    if plan.changes:
        lines += _legend(plan, paint)
        for change in plan.changes:
            lines += _change_block(change, paint)
            lines.append("")
    if plan.unmanaged:
        lines += _unmanaged_section(plan)
    if plan.notes:
        lines += _notes_section(plan)
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


class _Painter:
    """Wraps text in ANSI colour codes, or leaves it alone when colour is off."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def action(self, text: str, action: Action) -> str:
        return self(text, _ANSI[action])


def _legend(plan: Plan, paint: _Painter) -> list[str]:
    used = {change.action for change in plan.changes}
    lines = ["Actions are shown with these symbols:"]
    for action in SUMMARY_ORDER:
        if action in used:
            symbol = paint.action(SYMBOLS[action], action)
            lines.append(f"  {symbol} {SYMBOL_MEANINGS[action]}")
    return [*lines, ""]


def _change_block(change: Change, paint: _Painter) -> list[str]:
    title = f"  # {_headline(change)}"
    if change.destructive:
        title += " " + paint("(destructive)", "1;31")
    if usage_tag(change):
        title += " " + paint(f"({usage_tag(change)})", "1;31")
    lines = [title]
    if reason_adds_information(change):
        lines += _comment_lines(change.reason)
    for note in change_notes(change):
        lines += _comment_lines(note)
    symbol_line = f"{SYMBOLS[change.action]} {_address_label(change)}"
    lines.append("  " + paint.action(symbol_line, change.action))
    width = WRAP_WIDTH - _FIELD_INDENT
    for name, old, new in field_detail(change):
        if is_absent(old):
            detail = field_lines(name, new, width)
        elif is_absent(new):
            detail = field_lines(name, old, width)
        else:
            detail = _changed_field_lines(name, old, new, width)
        lines += [" " * _FIELD_INDENT + text for text in detail]
    if change.steps:
        lines.append(" " * _FIELD_INDENT + "Steps:")
        for number, step in enumerate(change.steps, start=1):
            lines += _hanging_lines(" " * (_FIELD_INDENT + 2) + f"{number}. ", step)
    return lines


def _comment_lines(text: str) -> list[str]:
    return [f"  # {printable(line)}".rstrip() for line in text.splitlines() or [""]]


def _hanging_lines(prefix: str, text: str) -> list[str]:
    """`text` after `prefix`, its further lines indented to start under its first."""
    first, *rest = [printable(line) for line in text.splitlines()] or [""]
    pad = " " * len(prefix)
    return [prefix + first] + [(pad + line).rstrip() for line in rest]


def _unmanaged_section(plan: Plan) -> list[str]:
    lines = ["Unmanaged: in the workspace but in no manifest, and left untouched:"]
    for item in plan.unmanaged:
        lines.append(f"  {printable(str(item.address))}")
        lines += [f"      {printable(line)}".rstrip() for line in item.note.splitlines()]
    return [*lines, *textwrap.wrap(PRUNE_HINT, WRAP_WIDTH), ""]


def _notes_section(plan: Plan) -> list[str]:
    lines = [line for note in plan.notes for line in _hanging_lines("Note: ", note)]
    return [*lines, ""]
