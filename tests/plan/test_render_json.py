"""Plan JSON: golden output, round trips for every action and kind, and load_plan's errors.

Golden files live in tests/plan/golden/. After an intended change to the output, rewrite them
with `SCHEMACTL_UPDATE_GOLDEN=1 python -m pytest tests/plan`, then read the diff before
committing; without the variable, any difference fails the test.
"""

from __future__ import annotations

import json

import pytest

from schemactl.address import Address
from schemactl.errors import SchemactlError
from schemactl.plan.changes import (
    ACTIONS,
    KNOWN_AFTER_APPLY,
    SENSITIVE,
    Action,
    Change,
    Plan,
    Unmanaged,
)
from schemactl.plan.errors import PlanFileError
from schemactl.plan.render_json import load_plan, render_json
from tests.plan.support import TAGS, VIP, assert_matches_golden

HOOK = Address.webhook("https://hooks.example.com/attio")
ODD_TITLE = 'R&D | "Ops" `beta` ✨ Zürich / 東京'


def saved_plan() -> Plan:
    """A plan using every field a saved plan carries."""
    return Plan(
        workspace={"id": "ws_0123", "slug": "acme"},
        environment="prod",
        changes=(
            Change(
                VIP,
                "create",
                None,
                {"api_slug": "vip", "name": "VIP", "parent_object": "companies"},
                "not in the workspace",
            ),
            Change(
                HOOK,
                "create",
                None,
                {
                    "target_url": HOOK.name,
                    "subscriptions": [
                        {
                            "event_type": "list-entry.created",
                            "filter": {
                                "$and": [
                                    {
                                        "field": "id.list_id",
                                        "operator": "equals",
                                        "value": {"ref": "lists/vip", "id": KNOWN_AFTER_APPLY},
                                    }
                                ]
                            },
                        }
                    ],
                    "secret": SENSITIVE,
                },
                "not in the workspace",
                depends_on=(VIP,),
            ),
            Change(
                TAGS.option(ODD_TITLE),
                "rename",
                {"title": "R&D"},
                {"title": ODD_TITLE},
                "renamed_from R&D",
                renamed_from=TAGS.option("R&D"),
            ),
            Change(
                TAGS.option("Bronze"),
                "archive",
                {"title": "Bronze"},
                None,
                "not in the manifests (pruning)",
                destructive=True,
                in_use=False,
            ),
            Change(
                Address.object("projects").attribute("size"),
                "manual",
                {"type": "number"},
                {"type": "select"},
                "type cannot change in place",
                steps=("Declare `size_band`.", "Copy the values.", "Archive `size`."),
            ),
        ),
        unmanaged=(Unmanaged(TAGS.option("A|B / C"), "made in the UI"),),
        fingerprints={
            "lists/vip": "absent",
            "objects/projects/attributes/tags": "sha256:" + "0f" * 32,
        },
        notes=("Refs resolve when apply runs.",),
    )


def test_saved_plan_matches_golden() -> None:
    assert_matches_golden("saved_plan.json", render_json(saved_plan()))


def test_output_is_indented_ordered_unicode_json_ending_in_a_newline() -> None:
    text = render_json(saved_plan())
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "format_version": 1,\n  "environment": "prod",\n')
    assert "✨ Zürich / 東京" in text  # ensure_ascii=False keeps it readable
    assert json.loads(text)["summary"] == {
        "create": 2,
        "update": 0,
        "rename": 1,
        "archive": 1,
        "unarchive": 0,
        "delete": 0,
        "manual": 1,
    }


# --- round trips ---

KIND_ADDRESSES = {
    "object": Address.object("projects"),
    "list": Address.list("vip"),
    "attribute": Address.object("projects").attribute("stage"),
    "option": Address.list("vip").attribute("tier").option("Gold / Platinum | `x`"),
    "status": Address.object("projects").attribute("stage").status("Done / shipped ✓"),
    "webhook": Address.webhook("https://hooks.example.com/a/b?c=d"),
}


def single_change(action: Action, address: Address) -> Change:
    """A change of `action` at `address` with every optional field set where it makes sense."""
    before = None if action == "create" else {"title": "Old", "nested": {"list": [1, None]}}
    after = None if action in ("archive", "delete") else {"title": "New", "ref": {"ref": "lists/x"}}
    renamed_from = None
    if action == "rename":
        # Only titles and URLs (the verbatim last segments) may hold `/`.
        old_name = "previous / name" if address.kind in ("option", "status", "webhook") else "prev"
        renamed_from = Address((*address.parts[:-1], (address.parts[-1][0], old_name)))
    return Change(
        address,
        action,
        before,
        after,
        f"why {action}",
        destructive=action in ("archive", "delete"),
        in_use=True if action == "archive" else None,
        renamed_from=renamed_from,
        steps=("First.", "Second.") if action == "manual" else (),
        depends_on=(Address.object("projects"),) if address.parent else (),
    )


@pytest.mark.parametrize("kind", KIND_ADDRESSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_on_every_kind_round_trips(action: Action, kind: str) -> None:
    plan = Plan(
        workspace={"id": "ws_1", "slug": None},
        changes=(single_change(action, KIND_ADDRESSES[kind]),),
        unmanaged=(Unmanaged(KIND_ADDRESSES[kind], "note"),),
        fingerprints={str(KIND_ADDRESSES[kind]): "sha256:00"},
        notes=("n",),
        environment=None,
    )
    text = render_json(plan)
    assert Plan.from_json(json.loads(text)) == plan
    assert load_plan(text) == plan


def test_saved_plan_round_trips() -> None:
    plan = saved_plan()
    assert Plan.from_json(json.loads(render_json(plan))) == plan
    assert load_plan(render_json(plan)) == plan


def test_empty_plan_round_trips() -> None:
    plan = Plan(workspace={"id": "ws_1", "slug": "a"})
    assert load_plan(render_json(plan)) == plan


# --- load_plan errors ---


def saved(**changes: object) -> str:
    """The saved plan's JSON with top-level keys replaced (a value of ... removes the key)."""
    data = json.loads(render_json(saved_plan()))
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


def with_first_change(**fields: object) -> str:
    data = json.loads(render_json(saved_plan()))
    for key, value in fields.items():
        if value is ...:
            del data["changes"][0][key]
        else:
            data["changes"][0][key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the plan is not valid JSON: Expecting value (line 1, column 1)"),
        ('{"format_version": 1,', "the plan is not valid JSON: Expecting property name"),
        ("[]", "the plan must be an object, not a list"),
        ("{}", "the plan has no format_version: it is not a schemactl plan file"),
        (
            saved(format_version=2),
            "the plan has format_version 2, but this schemactl reads version 1: "
            "make the plan again with this schemactl",
        ),
        (saved(format_version="1"), 'the plan has format_version "1", but this schemactl'),
        (saved(format_version=True), "the plan has format_version true, but this schemactl"),
        (saved(workspace=...), 'the plan is missing "workspace"'),
        (saved(changes=...), 'the plan is missing "changes"'),
        (saved(workspace=[]), "workspace must be an object, not a list"),
        (saved(workspace={"slug": 7}), "workspace.slug must be a string or null, not a number"),
        (saved(environment=1), "environment must be a string or null, not a number"),
        (saved(changes={}), "changes must be a list, not an object"),
        (saved(changes=[1]), "changes[0] must be an object, not a number"),
        (with_first_change(address=...), 'changes[0] is missing "address"'),
        (with_first_change(action=...), 'changes[0] is missing "action"'),
        (with_first_change(before=...), 'changes[0] is missing "before"'),
        (with_first_change(after=...), 'changes[0] is missing "after"'),
        (
            with_first_change(address="things/x"),
            "changes[0].address: 'things/x' is not a valid address",
        ),
        (
            with_first_change(action="replace"),
            'changes[0].action is "replace", which is not one of create, update, rename, '
            "archive, unarchive, delete, manual",
        ),
        (with_first_change(after="x"), "changes[0].after must be an object or null, not a string"),
        (with_first_change(destructive="no"), "changes[0].destructive must be true or false"),
        (with_first_change(in_use=0), "changes[0].in_use must be true or false or null"),
        (with_first_change(reason=None), "changes[0].reason must be a string, not null"),
        (with_first_change(renamed_from="lists"), "changes[0].renamed_from: 'lists' is not"),
        (with_first_change(steps=["a", 2]), "changes[0].steps[1] must be a string, not a number"),
        (with_first_change(depends_on=["x/y"]), "changes[0].depends_on[0]: 'x/y' is not a valid"),
        (saved(unmanaged=[{"note": "x"}]), 'unmanaged[0] is missing "address"'),
        (saved(unmanaged=[{"address": "objects/x", "note": 3}]), "unmanaged[0].note must be"),
        (saved(fingerprints={"objects/x": 1}), 'fingerprints["objects/x"] must be a string'),
        (saved(notes="n"), "notes must be a list, not a string"),
    ],
)
def test_load_plan_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(PlanFileError) as raised:
        load_plan(text)
    assert str(raised.value).startswith(message)


def test_plan_file_error_is_a_schemactl_error() -> None:
    with pytest.raises(SchemactlError) as raised:
        load_plan("not json")
    assert raised.value.exit_code == 1
    assert raised.value.__cause__ is None  # the message says it all; no JSON traceback
