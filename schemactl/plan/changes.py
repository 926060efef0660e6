"""Plan data: changes, unmanaged items and the plan itself. Pure data, JSON-serialisable.

A plan says exactly what apply will do. Each change is at one address (a rename at its new
address), carries the managed fields before and after, and says why. Rendering and executing
are separate consumers of this data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from schemactl.address import Address

Action = Literal["create", "update", "rename", "archive", "unarchive", "delete", "manual"]
ACTIONS: tuple[Action, ...] = (
    "create",
    "update",
    "rename",
    "archive",
    "unarchive",
    "delete",
    "manual",
)
# Stands in for a value that only exists once apply has created the item (an id in a filter).
KNOWN_AFTER_APPLY = "(known after apply)"
# Stands in for a value that must never be shown (a webhook secret).
SENSITIVE = "(sensitive)"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Change:
    """One difference at one address, and what apply does about it.

    `before`/`after` hold the item's managed fields as plain JSON data (None when the item does
    not exist on that side); in webhook filters a `{ref: …}` appears as
    `{"ref": "lists/x", "id": "<live id>" | "(known after apply)" | null}`. For a rename,
    `address` is the new address and `renamed_from` the old one; the same PATCH also carries
    any other field differences, so `after` is the whole desired state. `steps` explain a
    manual change. `depends_on` lists addresses of changes in the same plan that must finish
    first (filled in by ordering).
    """

    address: Address
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    destructive: bool = False
    in_use: bool | None = None
    renamed_from: Address | None = None
    steps: tuple[str, ...] = ()
    depends_on: tuple[Address, ...] = ()

    @property
    def changed_fields(self) -> list[str]:
        """Field names whose values differ between before and after, in `after`'s order."""
        before, after = self.before or {}, self.after or {}
        keys = list(after) + [k for k in before if k not in after]
        return [k for k in keys if before.get(k) != after.get(k)]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "address": str(self.address),
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "destructive": self.destructive,
            "in_use": self.in_use,
            "reason": self.reason,
        }
        if self.renamed_from is not None:
            data["renamed_from"] = str(self.renamed_from)
        if self.steps:
            data["steps"] = list(self.steps)
        if self.depends_on:
            data["depends_on"] = [str(a) for a in self.depends_on]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            address=Address.parse(data["address"]),
            action=data["action"],
            before=data.get("before"),
            after=data.get("after"),
            reason=data.get("reason", ""),
            destructive=bool(data.get("destructive", False)),
            in_use=data.get("in_use"),
            renamed_from=Address.parse(data["renamed_from"]) if data.get("renamed_from") else None,
            steps=tuple(data.get("steps", ())),
            depends_on=tuple(Address.parse(a) for a in data.get("depends_on", ())),
        )


@dataclass(frozen=True)
class Unmanaged:
    """A live item no manifest declares; left alone unless pruning is allowed."""

    address: Address
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"address": str(self.address), "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Unmanaged:
        return cls(Address.parse(data["address"]), data.get("note", ""))


@dataclass(frozen=True)
class Plan:
    """The ordered changes for one workspace, and what they were computed from."""

    workspace: dict[str, str | None]
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    # Live-state fingerprint of every address the plan touches: "sha256:…", or "absent".
    fingerprints: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    environment: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def has_destructive(self) -> bool:
        return any(c.destructive or c.action == "manual" for c in self.changes)

    def live_address(self, address: Address) -> Address:
        """Where `address` is in the workspace before apply: under a parent the plan renames,
        still under the parent's old name (`objects/new/attributes/x` is
        `objects/old/attributes/x`).
        """
        renames = sorted(
            ((c.address, c.renamed_from) for c in self.changes if c.renamed_from is not None),
            key=lambda rename: len(rename[0].parts),
            reverse=True,  # deepest first: a child's renamed_from is spelled under the new parent
        )
        for new, old in renames:
            if address != new and address.is_within(new):
                address = Address(old.parts + address.parts[len(new.parts) :])
        return address

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "workspace": dict(self.workspace),
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "summary": self.summary,
            "fingerprints": dict(self.fingerprints),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"plan format_version {data.get('format_version')!r} is not supported "
                f"(this schemactl reads version {FORMAT_VERSION})"
            )
        return cls(
            workspace=dict(data["workspace"]),
            changes=tuple(Change.from_json(c) for c in data.get("changes", ())),
            unmanaged=tuple(Unmanaged.from_json(u) for u in data.get("unmanaged", ())),
            fingerprints=dict(data.get("fingerprints", {})),
            notes=tuple(data.get("notes", ())),
            environment=data.get("environment"),
        )
