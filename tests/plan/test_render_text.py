"""Text rendering of plans: golden outputs, symbols per action and kind, summary, colour.

Golden files live in tests/plan/golden/. After an intended change to the output, rewrite them
with `SCHEMACTL_UPDATE_GOLDEN=1 python -m pytest tests/plan`, then read the diff before
committing; without the variable, any difference fails the test.
"""

from __future__ import annotations

import itertools
import re

import pytest

from schemactl.address import Address
from schemactl.plan.changes import (
    ACTIONS,
    KNOWN_AFTER_APPLY,
    SENSITIVE,
    Action,
    Change,
    Plan,
    Unmanaged,
)
from schemactl.plan.render_text import render_text
from tests.plan.support import (
    EXPECTED_SYMBOLS,
    KIND_ADDRESSES,
    PROJECTS,
    PRUNING,
    TAGS,
    VIP,
    assert_matches_golden,
    single_change,
)

ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")

# --- a plan with every kind of change ---

DEALS = Address.object("deals")
DEAL_STAGE = DEALS.attribute("stage")
HOOK = Address.webhook("https://hooks.example.com/attio?team=crm|sales")
OLD_HOOK = Address.webhook("https://old.example.com/attio")
GONE_HOOK = Address.webhook("https://zapier.example.com/hooks/123")
ODD_TITLE = 'R&D | "Ops" `beta` </details> ✨ Zürich / 東京'


def attribute(slug: str, title: str, type_: str, **extra: object) -> dict[str, object]:
    """An attribute's managed fields, as compare produces them."""
    return {
        "api_slug": slug,
        "title": title,
        "description": None,
        "type": type_,
        "is_required": False,
        "is_unique": False,
        "is_multiselect": False,
        "default_value": None,
        "currency": None,
        "allowed_objects": [],
        "relationship": None,
        **extra,
    }


def status(title: str, celebrate: bool = False, target: str | None = None) -> dict[str, object]:
    return {"title": title, "celebration_enabled": celebrate, "target_time_in_status": target}


def list_entry_created(ref: dict[str, object]) -> dict[str, object]:
    return {
        "event_type": "list-entry.created",
        "filter": {"$and": [{"field": "id.list_id", "operator": "equals", "value": ref}]},
    }


RECORD_CREATED = {"event_type": "record.created", "filter": None}


def every_change() -> tuple[Change, ...]:
    """Every action on every kind of address that can have it, in a plausible plan order."""
    amount = DEALS.attribute("amount")
    return (
        Change(
            PROJECTS,
            "create",
            None,
            {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"},
            "not in the workspace",
        ),
        Change(
            PROJECTS.attribute("stage"),
            "create",
            None,
            attribute("stage", "Stage", "status"),
            "not in the workspace; renamed_from phase was not found either, so it is created",
            depends_on=(PROJECTS,),
        ),
        Change(
            PROJECTS.attribute("stage").status("In progress / review"),
            "create",
            None,
            status("In progress / review", target="P14D"),
            "not in the workspace",
        ),
        Change(TAGS.option(ODD_TITLE), "create", None, {"title": ODD_TITLE}, ""),
        Change(
            VIP,
            "create",
            None,
            {
                "api_slug": "vip",
                "name": "VIP",
                "parent_object": "companies",
                "workspace_access": "full-access",
                "workspace_member_access": [],
            },
            "not in the workspace",
        ),
        Change(
            VIP.attribute("priority"),
            "create",
            None,
            attribute("priority", "Priority", "select"),
            "",
        ),
        Change(
            HOOK,
            "create",
            None,
            {
                "target_url": HOOK.name,
                "subscriptions": [list_entry_created({"ref": "lists/vip"}), RECORD_CREATED],
                "secret": KNOWN_AFTER_APPLY,
            },
            "not in the workspace",
            depends_on=(VIP,),
        ),
        Change(
            DEALS,
            "update",
            {"api_slug": "deals", "singular_noun": "Deal", "plural_noun": "Deals"},
            {"api_slug": "deals", "singular_noun": "Deal", "plural_noun": "Opportunities"},
            "fields differ",
        ),
        Change(
            amount,
            "update",
            attribute(
                "amount",
                "Amount",
                "currency",
                description="What the customer agreed to pay, before discounts, taxes and fees.",
                currency={"default_currency_code": "USD", "display_type": "symbol"},
            ),
            attribute(
                "amount",
                "Amount",
                "currency",
                description="What the customer agreed to pay, after discounts but before taxes "
                "and fees, in the currency of the deal.",
                currency={"default_currency_code": "EUR", "display_type": "code"},
            ),
            "fields differ",
        ),
        Change(
            DEAL_STAGE.status("Won"),
            "update",
            status("Won"),
            status("Won", celebrate=True, target="P30D"),
            "fields differ",
        ),
        Change(
            Address.list("key_accounts"),
            "update",
            {
                "name": "Key Accounts",
                "workspace_access": "full-access",
                "workspace_member_access": [],
            },
            {
                "name": "Key Accounts",
                "workspace_access": "read-only",
                "workspace_member_access": [
                    {"workspace_member_id": "wm_1", "level": "full-access"}
                ],
            },
            "fields differ",
        ),
        Change(
            OLD_HOOK,
            "update",
            {"target_url": OLD_HOOK.name, "subscriptions": [RECORD_CREATED]},
            {
                "target_url": OLD_HOOK.name,
                "subscriptions": [
                    list_entry_created({"ref": "lists/vip", "id": KNOWN_AFTER_APPLY}),
                    list_entry_created({"ref": "lists/key_accounts", "id": "list_8c1f"}),
                    RECORD_CREATED,
                ],
            },
            "subscriptions differ",
        ),
        Change(
            Address.object("engagements"),
            "rename",
            {
                "api_slug": "projects_old",
                "singular_noun": "Engagement",
                "plural_noun": "Engagements",
            },
            {
                "api_slug": "engagements",
                "singular_noun": "Engagement",
                "plural_noun": "Engagements",
            },
            "renamed_from projects_old",
            renamed_from=Address.object("projects_old"),
        ),
        Change(
            Address.list("partners"),
            "rename",
            {"api_slug": "partner_list", "name": "Partners"},
            {"api_slug": "partners", "name": "Partners"},
            "renamed_from partner_list",
            renamed_from=Address.list("partner_list"),
        ),
        Change(
            DEALS.attribute("client"),
            "rename",
            attribute("customer", "Customer", "record-reference", allowed_objects=["companies"]),
            attribute("client", "Client", "record-reference", allowed_objects=["companies"]),
            "renamed_from customer (it is archived; the rename restores it)",
            renamed_from=DEALS.attribute("customer"),
        ),
        Change(
            TAGS.option("Gold / Platinum"),
            "rename",
            {"title": "Gold"},
            {"title": "Gold / Platinum"},
            "renamed_from Gold",
            renamed_from=TAGS.option("Gold"),
        ),
        Change(
            DEAL_STAGE.status("Closed | won"),
            "rename",
            status("Closed"),
            status("Closed | won", celebrate=True),
            "",
            renamed_from=DEAL_STAGE.status("Closed"),
        ),
        Change(
            TAGS.option("Silver"),
            "unarchive",
            {"title": "Silver"},
            {"title": "Silver"},
            "archived in the workspace",
        ),
        Change(
            DEALS.attribute("region"),
            "unarchive",
            attribute("region", "Region", "text"),
            attribute("region", "Sales region", "text"),
            "archived in the workspace",
        ),
        Change(
            DEAL_STAGE.status("Paused"),
            "unarchive",
            status("Paused"),
            status("Paused"),
            "archived in the workspace",
        ),
        Change(
            DEALS.attribute("legacy_score"),
            "archive",
            attribute("legacy_score", "Legacy score", "number"),
            None,
            PRUNING,
            destructive=True,
            in_use=True,
        ),
        Change(
            TAGS.option("Bronze `old`"),
            "archive",
            {"title": "Bronze `old`"},
            None,
            PRUNING,
            destructive=True,
            in_use=False,
        ),
        Change(
            DEAL_STAGE.status("Lost"), "archive", status("Lost"), None, PRUNING, destructive=True
        ),
        Change(
            GONE_HOOK,
            "delete",
            {
                "target_url": GONE_HOOK.name,
                "subscriptions": [{"event_type": "record.deleted", "filter": None}],
                "secret": SENSITIVE,
            },
            None,
            PRUNING,
            destructive=True,
        ),
        Change(
            DEALS.attribute("size"),
            "manual",
            attribute("size", "Size", "number"),
            attribute("size", "Size", "select"),
            "type cannot change in place (number -> select)",
            steps=(
                "Declare a new select attribute, e.g. `size_band`, and apply.",
                "Copy the values across in Attio (export and re-import, or a workflow).\n"
                "Check a few records by hand.",
                "Remove `size` from the manifests and plan with --prune to archive it.",
            ),
        ),
    )


def full_plan() -> Plan:
    return Plan(
        workspace={"id": "ws_0123", "slug": "acme"},
        environment="prod",
        changes=every_change(),
        unmanaged=(
            Unmanaged(Address.object("companies").attribute("legacy_id"), "created in the UI"),
            Unmanaged(TAGS.option("A|B `c` </details>"), ""),
            Unmanaged(Address.webhook("https://n8n.example.com/webhook/abc"), "3 subscriptions"),
        ),
        fingerprints={"objects/deals": "sha256:" + "ab" * 32, "objects/projects": "absent"},
        notes=(
            "objects/companies is included because a targeted change depends on it",
            "Standard objects are read-only: only their custom attributes are managed.",
        ),
    )


# --- golden outputs ---


def test_full_plan_matches_golden() -> None:
    assert_matches_golden("full_plan.txt", render_text(full_plan()))


def test_no_changes_matches_golden() -> None:
    plan = Plan(workspace={"id": "ws_0123", "slug": "acme"}, environment="dev")
    assert_matches_golden("no_changes.txt", render_text(plan))


def test_no_changes_with_unmanaged_and_notes_matches_golden() -> None:
    plan = Plan(
        workspace={"id": "ws_0123", "slug": None},
        unmanaged=(Unmanaged(Address.webhook("https://n8n.example.com/x"), "made by hand"),),
        notes=("Nothing was targeted.",),
    )
    assert_matches_golden("no_changes_unmanaged.txt", render_text(plan))


# --- every action on every kind of address ---

EXPECTED_HEADLINES = {
    "create": "will be created",
    "update": "will be updated in place",
    "rename": "will be renamed in place",
    "unarchive": "will be unarchived",
    "archive": "will be archived",
    "delete": "will be deleted",
    "manual": "needs a manual change",
}


@pytest.mark.parametrize("kind", KIND_ADDRESSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_on_each_kind_shows_symbol_address_and_fields(action: Action, kind: str):
    address = KIND_ADDRESSES[kind]
    change = single_change(action, address)
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))

    if action == "rename":
        assert f"  # {change.renamed_from} will be renamed in place\n" in text
        assert f"\n  > {change.renamed_from} -> {address}\n" in text
    else:
        assert f"  # {address} {EXPECTED_HEADLINES[action]}\n" in text
        assert f"\n  {EXPECTED_SYMBOLS[action]} {address}\n" in text
    expected_field = {
        "create": 'title: "New"',
        "archive": 'title: "Old"',
        "delete": 'title: "Old"',
    }.get(action, 'title: "Old" -> "New"')
    assert f"\n      {expected_field}\n" in text
    if action == "manual":
        assert "\n      Steps:\n        1. Do it by hand.\n" in text
    summary = "Plan: 1 manual change." if action == "manual" else f"Plan: 1 to {action}."
    assert text.endswith(f"\n{summary}\n")


# --- details ---


def test_create_lists_after_fields_without_nulls_or_empty_lists() -> None:
    change = Change(
        PROJECTS.attribute("stage"), "create", None, attribute("stage", "Stage", "status"), ""
    )
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert '      type: "status"\n' in text
    assert "allowed_objects" not in text
    assert "description" not in text and "null" not in text


def test_update_shows_only_changed_fields() -> None:
    change = Change(
        DEALS,
        "update",
        {"api_slug": "deals", "plural_noun": "Deals"},
        {"api_slug": "deals", "plural_noun": "Opportunities"},
        "fields differ",
    )
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert '      plural_noun: "Deals" -> "Opportunities"\n' in text
    assert "api_slug" not in text


def test_long_change_puts_old_and_new_on_lines_of_their_own() -> None:
    old, new = "a" * 60, "b" * 60
    change = Change(DEALS, "update", {"description": old}, {"description": new}, "")
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert f'      description:\n           "{old}"\n        -> "{new}"\n' in text


def test_long_nested_value_opens_up_one_item_per_line() -> None:
    subscriptions = [list_entry_created({"ref": "lists/vip"}), RECORD_CREATED]
    change = Change(HOOK, "create", None, {"subscriptions": subscriptions}, "")
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert "      subscriptions: [\n        {\n" in text
    assert '                "value": {ref: lists/vip}\n' in text
    assert '        {"event_type": "record.created", "filter": null}\n      ]\n' in text
    assert all(len(line) <= 100 for line in text.splitlines())


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"ref": "lists/vip"}, "{ref: lists/vip}"),
        ({"ref": "lists/vip", "id": KNOWN_AFTER_APPLY}, "{ref: lists/vip} = (known after apply)"),
        ({"ref": "lists/vip", "id": "list_8c1f"}, '{ref: lists/vip} = "list_8c1f"'),
        ({"ref": "lists/vip", "id": None}, "{ref: lists/vip}"),
        (KNOWN_AFTER_APPLY, "(known after apply)"),
        (SENSITIVE, "(sensitive)"),
        ("(known after apply) ", '"(known after apply) "'),
        ({"ref": "lists/vip", "other": 1}, '{"ref": "lists/vip", "other": 1}'),
    ],
)
def test_placeholders_and_refs_print_bare(value: object, shown: str) -> None:
    change = Change(HOOK, "create", None, {"value": value}, "")
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert f"\n      value: {shown}\n" in text


def test_reason_is_shown_only_when_it_adds_information() -> None:
    informative = Change(DEALS, "archive", {"title": "x"}, None, PRUNING, destructive=True)
    restating = Change(PROJECTS, "create", None, {"title": "x"}, "not in the workspace")
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(informative, restating)))
    assert f"  # {PRUNING}\n" in text
    assert "not in the workspace" not in text


def test_destructive_changes_are_marked_and_explained() -> None:
    change = Change(DEALS.attribute("x"), "archive", {"title": "X"}, None, "", True, in_use=True)
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert "  # objects/deals/attributes/x will be archived (destructive) (in use)\n" in text
    assert (
        "  # In use: records hold values for it.\n"
        "  # Apply refuses it without --allow-data-loss or policy allow_archive_in_use: true.\n"
    ) in text
    assert "  # Archived, not deleted:" in text
    assert text.endswith("\nPlan: 1 to archive (1 in use).\n")


def test_control_and_bidi_characters_in_titles_cannot_reach_the_terminal() -> None:
    title = "Evil\x1b[2J\u202etitle\nnext"
    change = Change(TAGS.option(title), "create", None, {"title": title}, "")
    text = render_text(Plan(workspace={"slug": "acme"}, changes=(change,)))
    assert "\x1b" not in text and "\u202e" not in text
    assert (
        "\n  + objects/projects/attributes/tags/options/Evil\\x1b[2J\\u202etitle\\x0anext\n" in text
    )


def test_unmanaged_section_lists_items_and_how_to_prune() -> None:
    text = render_text(full_plan())
    section = text[text.index("Unmanaged:") : text.index("Note:")]
    assert "left untouched" in section
    assert "  objects/companies/attributes/legacy_id\n      created in the UI\n" in section
    assert "  objects/projects/attributes/tags/options/A|B `c` </details>\n" in section
    assert "--prune" in section


# --- the summary line ---

ORDER = ("create", "update", "rename", "unarchive", "archive", "delete", "manual")


def expected_summary(counts: dict[str, int]) -> str:
    phrases = []
    for action in ORDER:
        count = counts[action]
        if count and action == "manual":
            phrases.append("1 manual change" if count == 1 else f"{count} manual changes")
        elif count:
            phrases.append(f"{count} to {action}")
    return (
        f"Plan: {', '.join(phrases)}."
        if phrases
        else "No changes. The workspace matches the manifests."
    )


def test_summary_line_for_every_combination_of_counts() -> None:
    for numbers in itertools.product((0, 1, 2), repeat=len(ORDER)):
        counts = dict(zip(ORDER, numbers, strict=True))
        changes = tuple(
            single_change(action, Address.object(f"o{i}"))
            for action in ORDER
            for i in range(counts[action])
        )
        lines = render_text(Plan(workspace={"slug": "acme"}, changes=changes)).splitlines()
        assert lines[-1] == expected_summary(counts), counts
        summary_like = [line for line in lines if line.startswith(("Plan:", "No changes."))]
        assert summary_like == [lines[-1]]


@pytest.mark.parametrize(
    ("actions", "summary"),
    [
        (
            ["create"] * 3 + ["update", "rename", "archive"],
            "Plan: 3 to create, 1 to update, 1 to rename, 1 to archive.",
        ),
        (["manual"], "Plan: 1 manual change."),
        (["manual", "manual", "delete"], "Plan: 1 to delete, 2 manual changes."),
        (["archive", "unarchive"], "Plan: 1 to unarchive, 1 to archive."),
        ([], "No changes. The workspace matches the manifests."),
    ],
)
def test_summary_line_examples(actions: list[Action], summary: str) -> None:
    changes = tuple(single_change(a, Address.object(f"o{i}")) for i, a in enumerate(actions))
    text = render_text(Plan(workspace={"slug": "acme"}, changes=changes))
    assert text.endswith(f"\n{summary}\n")


# --- colour ---

EXPECTED_COLOURS = {
    "create": "32",
    "update": "33",
    "rename": "33",
    "unarchive": "33",
    "archive": "31",
    "delete": "31",
    "manual": "35",
}


@pytest.mark.parametrize("action", ACTIONS)
def test_colour_marks_each_action_and_stripping_it_gives_the_plain_text(action: Action) -> None:
    change = single_change(action, Address.object("projects"))
    plan = Plan(workspace={"slug": "acme"}, changes=(change,))
    coloured = render_text(plan, color=True)
    symbol_line = f"{EXPECTED_SYMBOLS[action]} objects/"
    assert f"\x1b[{EXPECTED_COLOURS[action]}m{symbol_line}" in coloured
    assert ANSI_CODE.sub("", coloured) == render_text(plan)


def test_colour_codes_appear_only_with_color_true() -> None:
    plan = full_plan()
    assert "\x1b" not in render_text(plan)
    assert "\x1b" not in render_text(plan, color=False)
    coloured = render_text(plan, color=True)
    assert "\x1b[1;31m(destructive)\x1b[0m" in coloured
    assert ANSI_CODE.sub("", coloured) == render_text(plan)
