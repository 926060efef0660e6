"""Shared by the renderer tests: golden files, sample addresses and one-field changes.

Golden files live in tests/plan/golden/. After an intended change to the output, rewrite them
with `SCHEMACTL_UPDATE_GOLDEN=1 python -m pytest tests/plan`, then read the diff before
committing; without the variable, any difference fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

from schemactl.address import Address
from schemactl.plan.changes import Action, Change
from schemactl.plan.in_use import VALUE_KINDS

GOLDEN_DIR = Path(__file__).parent / "golden"


def assert_matches_golden(name: str, actual: str) -> None:
    """Compare with a golden file exactly; SCHEMACTL_UPDATE_GOLDEN=1 rewrites it first."""
    path = GOLDEN_DIR / name
    if os.environ.get("SCHEMACTL_UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"{name} is missing: run with SCHEMACTL_UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"output differs from golden/{name} (see module docstring)"


PROJECTS = Address.object("projects")

TAGS = PROJECTS.attribute("tags")

VIP = Address.list("vip")

PRUNING = "not in the manifests (pruning)"

KIND_ADDRESSES = {
    "object": Address.object("projects"),
    "list": Address.list("vip"),
    "attribute": Address.object("projects").attribute("stage"),
    "option": Address.list("vip").attribute("tier").option("Gold / Platinum"),
    "status": Address.object("projects").attribute("stage").status("Done | shipped"),
    "webhook": Address.webhook("https://hooks.example.com/a/b"),
}

EXPECTED_SYMBOLS = {
    "create": "+",
    "update": "~",
    "rename": ">",
    "unarchive": "^",
    "archive": "-",
    "delete": "-",
    "manual": "!",
}


def single_change(action: Action, address: Address) -> Change:
    """A change of `action` at `address` whose one field goes from "Old" to "New"."""
    before = None if action == "create" else {"title": "Old"}
    after = None if action in ("archive", "delete") else {"title": "New"}
    renamed_from = None
    if action == "rename":
        renamed_from = Address((*address.parts[:-1], (address.parts[-1][0], "previous")))
    steps = ("Do it by hand.",) if action == "manual" else ()
    # An archive checked and found unused: only the action itself is on show.
    in_use = False if action == "archive" and address.kind in VALUE_KINDS else None
    return Change(
        address, action, before, after, "", in_use=in_use, renamed_from=renamed_from, steps=steps
    )
