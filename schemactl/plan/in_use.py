"""Archives of what records hold values of: which to check, what was found, what is unsafe.

`Change.in_use` is True or False once records (list entries, for a list's attributes) were
checked before an archive, else None. An archive whose check could not be made is treated as
in use: apply refuses it unless data loss is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from schemactl.address import Address
from schemactl.plan.changes import Change, Plan

# The kinds of item records hold values of; objects, lists and webhooks hold none.
VALUE_KINDS = frozenset({"attribute", "option", "status"})


def needs_check(change: Change) -> bool:
    """Whether apply would archive something records may hold values of."""
    return change.action == "archive" and change.address.kind in VALUE_KINDS


def archives_to_check(plan: Plan) -> list[Change]:
    """The plan's archives of attributes, options and statuses, in plan order."""
    return [c for c in plan.changes if needs_check(c)]


def with_usage(plan: Plan, found: Mapping[Address, bool | None], notes: Sequence[str] = ()) -> Plan:
    """The plan with `in_use` set from `found` (by change address), and `notes` added once."""
    changes = tuple(
        replace(c, in_use=found[c.address]) if c.address in found else c for c in plan.changes
    )
    return replace(plan, changes=changes, notes=tuple(dict.fromkeys((*plan.notes, *notes))))


def unsafe_archives(plan: Plan) -> list[Change]:
    """Archives of values records hold, or may hold (not checked): refused without opt-in."""
    return [c for c in archives_to_check(plan) if c.in_use is not False]


def holders(address: Address) -> str:
    """Who holds values at `address`: a list's attributes have entries, an object's records."""
    return "list entries" if address.parts[0][0] == "lists" else "records"


def usage_phrase(changes: Iterable[Change]) -> str:
    """`1 in use, 2 not checked` for the archives among `changes`; empty when none is unsafe."""
    checked = [c for c in changes if needs_check(c)]
    used = sum(c.in_use is True for c in checked)
    unknown = sum(c.in_use is None for c in checked)
    phrases = [f"{used} in use"] if used else []
    phrases += [f"{unknown} not checked"] if unknown else []
    return ", ".join(phrases)
