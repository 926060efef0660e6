"""Build a plan: compare, refuse the impossible, narrow to targets, order, resolve refs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.errors import Diagnostic, DiagnosticsError, Location
from schemactl.plan.changes import KNOWN_AFTER_APPLY, Change, Plan
from schemactl.plan.compare import PrunePolicy, annotate_refs, compare
from schemactl.plan.order import order, with_dependencies


class PlanProblemsError(DiagnosticsError):
    """The manifests ask for something this workspace makes impossible."""


def build_plan(
    desired: m.Workspace,
    live: m.Workspace,
    live_ids: dict[Address, str],
    *,
    prune: PrunePolicy | None = None,
    targets: Sequence[Address] = (),
    excludes: Sequence[Address] = (),
    environment: str | None = None,
    locate: Callable[[Address], Location | None] = lambda _address: None,
) -> Plan:
    """The ordered plan that turns `live` into `desired`."""
    comparison = compare(desired, live, prune)
    if comparison.problems:
        raise PlanProblemsError(
            [
                Diagnostic(locate(p.address) or Location("(manifests)"), p.message)
                for p in comparison.problems
            ]
        )
    changes = comparison.changes
    unmanaged = comparison.unmanaged
    notes = list(comparison.notes)
    if targets or excludes:
        chosen = [c for c in changes if _selected(c, targets, excludes)]
        changes, pulled = with_dependencies(chosen, changes)
        notes += [
            f"{address} is included because a targeted change depends on it" for address in pulled
        ]
        unmanaged = [u for u in unmanaged if _within(u.address, targets, excludes)]
    ordered = order(changes)
    created = {str(c.address) for c in ordered if c.action == "create"}
    resolve = {
        str(address): (KNOWN_AFTER_APPLY if str(address) in created else live_id)
        for address, live_id in live_ids.items()
    }
    resolve.update(dict.fromkeys(created, KNOWN_AFTER_APPLY))
    # A rename keeps the item's id, so a ref to the new address already has a live id.
    for change in ordered:
        if change.action == "rename" and change.renamed_from in live_ids:
            resolve.setdefault(str(change.address), live_ids[change.renamed_from])
    ordered = [_with_resolved_refs(c, resolve) for c in ordered]
    touched = {str(c.address) for c in ordered} | {
        str(c.renamed_from) for c in ordered if c.renamed_from
    }
    return Plan(
        workspace={"id": live.id, "slug": live.slug},
        changes=tuple(ordered),
        unmanaged=tuple(unmanaged),
        fingerprints={k: v for k, v in comparison.fingerprints.items() if k in touched},
        notes=tuple(notes),
        environment=environment,
    )


def _within(address: Address, targets: Sequence[Address], excludes: Sequence[Address]) -> bool:
    if targets and not any(address.is_within(t) for t in targets):
        return False
    return not any(address.is_within(e) for e in excludes)


def _selected(change: Change, targets: Sequence[Address], excludes: Sequence[Address]) -> bool:
    addresses = [change.address] + ([change.renamed_from] if change.renamed_from else [])
    return any(_within(a, targets, excludes) for a in addresses)


def _with_resolved_refs(change: Change, resolve: dict[str, Any]) -> Change:
    if change.address.kind != "webhook":
        return change
    return replace(
        change,
        before=annotate_refs(change.before, resolve),
        after=annotate_refs(change.after, resolve),
    )
