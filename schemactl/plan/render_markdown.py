"""Render a plan as GitHub Markdown for a pull-request comment."""

from __future__ import annotations

import html
import re

from schemactl.address import Address
from schemactl.plan.changes import Change, Plan
from schemactl.plan.in_use import usage_phrase
from schemactl.plan.render_text import (
    PRUNE_HINT,
    SUMMARY_ORDER,
    SYMBOLS,
    WRAP_WIDTH,
    change_notes,
    count_phrases,
    field_detail,
    field_lines,
    is_absent,
    printable,
    reason_adds_information,
    summary_line,
    usage_tag,
    workspace_label,
)

# Backslash-escaped wherever user text meets Markdown: these can open emphasis, code, links,
# HTML, table cells, strikethrough, headings or entities anywhere in a line.
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>#|~&])")
# At the start of a line these would open a list, a blockquote or a thematic break.
_LINE_START_MARKER = re.compile(r"^(\d*)([-+.)=])")


def render_markdown(plan: Plan) -> str:
    """The plan as a pull-request comment: banner, counts, one collapsible block per group."""
    sections = [_title(plan)]
    if plan.has_destructive:
        sections.append(_warning(plan))
    if plan.changes:
        sections.append(_summary_table(plan))
        groups = _groups(plan.changes)
        sections += [_group_details(root, changes) for root, changes in groups.items()]
    if plan.unmanaged:
        sections.append(_unmanaged_section(plan))
    if plan.notes:
        sections.append("#### Notes\n\n" + "\n".join(f"- {md_text(n)}" for n in plan.notes))
    sections.append(summary_line(plan))
    return "\n\n".join(sections) + "\n"


def md_text(text: str) -> str:
    """User text made inert in Markdown: it shows as written and opens no element."""
    one_line = printable(" ".join(text.split()))
    escaped = _INLINE_SPECIALS.sub(r"\\\1", one_line)
    return _LINE_START_MARKER.sub(r"\1\\\2", escaped)


def md_code(text: str) -> str:
    """A code span holding `text` verbatim, whatever backticks it contains."""
    one_line = " ".join(printable(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    # Padding keeps a leading or trailing backtick from joining the fence; one space each side
    # is stripped again by the Markdown parser.
    padded = f" {one_line} " if longest or one_line.startswith(" ") else one_line
    return f"{fence}{padded}{fence}"


def html_code(text: str) -> str:
    """`text` in a <code> element, for places that are HTML rather than Markdown."""
    return f"<code>{html.escape(printable(text))}</code>"


def _title(plan: Plan) -> str:
    title = f"### schemactl plan for workspace {md_code(workspace_label(plan))}"
    if plan.environment:
        title += f" (environment {md_code(plan.environment)})"
    return title


def _warning(plan: Plan) -> str:
    lines = [
        "> [!WARNING]",
        "> This plan has destructive or manual changes. Review them before applying:",
    ]
    for change in plan.changes:
        if change.destructive or change.action == "manual":
            tag = f" ({usage_tag(change)})" if usage_tag(change) else ""
            lines.append(f"> - **{change.action}** {_address_markdown(change)}{tag}")
    return "\n".join(lines)


def _summary_table(plan: Plan) -> str:
    counts = plan.summary
    rows = [f"| {action} | {counts[action]} |" for action in SUMMARY_ORDER if counts[action]]
    return "\n".join(["| Action | Count |", "| :--- | ---: |", *rows])


def _groups(changes: tuple[Change, ...]) -> dict[Address, list[Change]]:
    """Changes under each object, list or webhook, in order of first appearance."""
    groups: dict[Address, list[Change]] = {}
    for change in changes:
        groups.setdefault(Address(change.address.parts[:1]), []).append(change)
    return groups


def _group_details(root: Address, changes: list[Change]) -> str:
    counts = {action: sum(c.action == action for c in changes) for action in SUMMARY_ORDER}
    phrases = count_phrases(counts, usage_phrase(changes))
    summary = f"{html_code(str(root))}: {html.escape(', '.join(phrases))}"
    needs_attention = any(c.destructive or c.action == "manual" for c in changes)
    if needs_attention:
        summary += " ⚠️"
    # Blocks a reviewer must not miss start open.
    opening = "<details open>" if needs_attention else "<details>"
    body = "\n\n".join(_change_markdown(change) for change in changes)
    return f"{opening}<summary>{summary}</summary>\n\n{body}\n\n</details>"


def _address_markdown(change: Change) -> str:
    if change.action == "rename" and change.renamed_from is not None:
        return f"{md_code(str(change.renamed_from))} → {md_code(str(change.address))}"
    return md_code(str(change.address))


def _change_markdown(change: Change) -> str:
    heading = f"**{SYMBOLS[change.action]} {change.action}** {_address_markdown(change)}"
    if change.destructive:
        heading += " — **destructive**"
    if usage_tag(change):
        heading += f", **{usage_tag(change)}**"
    parts = [heading]
    remarks = [change.reason] if reason_adds_information(change) else []
    remarks += change_notes(change)
    if remarks:
        parts.append("\n".join(f"- {md_text(remark)}" for remark in remarks))
    diff = _diff_lines(change)
    if diff:
        parts.append(fenced("\n".join(diff), "diff"))
    if change.steps:
        parts.append("\n".join(f"{n}. {md_text(s)}" for n, s in enumerate(change.steps, 1)))
    return "\n\n".join(parts)


def _diff_lines(change: Change) -> list[str]:
    width = WRAP_WIDTH - 2
    lines: list[str] = []
    for name, old, new in field_detail(change):
        if not is_absent(old):
            lines += _prefixed("- ", field_lines(name, old, width))
        if not is_absent(new):
            lines += _prefixed("+ ", field_lines(name, new, width))
    return lines


def _prefixed(prefix: str, lines: list[str]) -> list[str]:
    return [prefix + line for line in lines]


def fenced(content: str, info: str = "") -> str:
    """A fenced code block whose fence no line of `content` can close early."""
    longest = max((len(run) for run in re.findall(r"`{3,}", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{content}\n{fence}"


def _unmanaged_section(plan: Plan) -> str:
    lines = [
        "#### Unmanaged",
        "",
        "In the workspace but in no manifest, and left untouched. " + md_text(PRUNE_HINT),
        "",
    ]
    for item in plan.unmanaged:
        note = f": {md_text(item.note)}" if item.note else ""
        lines.append(f"- {md_code(str(item.address))}{note}")
    return "\n".join(lines)
