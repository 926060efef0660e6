"""build_plan(): compare, refuse the impossible, narrow to targets, order, resolve refs."""

from __future__ import annotations

import json

import pytest

from schemactl import model as m
from schemactl.address import Address
from schemactl.errors import Diagnostic, DiagnosticsError, Location
from schemactl.plan.build import PlanProblemsError, build_plan
from schemactl.plan.changes import KNOWN_AFTER_APPLY, Plan, Unmanaged
from schemactl.plan.compare import ABSENT, PrunePolicy, fingerprint

A = Address.parse
URL = "https://hooks.example.com/attio"
BUDGET = m.Attribute("budget", "Budget", "number")
CLIENT = m.Attribute("client", "Client", "record-reference", allowed_objects=("clients",))
LIVE_BUDGET = m.Attribute("budget", "Cost", "number", id="attribute-budget")
LIVE_NOTES = m.Attribute("notes", "Notes", "text", id="attribute-notes")


def list_filter(*slugs: str) -> dict:
    return {
        "$or": [
            {"field": "id.list_id", "operator": "equals", "value": m.Ref(A(f"lists/{slug}"))}
            for slug in slugs
        ]
    }


def desired_model(*webhooks: m.Webhook) -> m.Workspace:
    return m.Workspace(
        objects=(
            m.Object("clients", "Client", "Clients"),
            m.Object("projects", "Project", "Projects", (BUDGET, CLIENT)),
        ),
        lists=(m.List("key_accounts", "Key Accounts", "clients"),),
        webhooks=webhooks
        or (
            m.Webhook(
                URL,
                (
                    m.Subscription(
                        "list-entry.created", list_filter("key_accounts", "partners", "ghost")
                    ),
                ),
            ),
        ),
    )


def live_model(*webhooks: m.Webhook) -> m.Workspace:
    return m.Workspace(
        objects=(
            m.Object("projects", "Project", "Projects", (LIVE_BUDGET, LIVE_NOTES), id="o-p"),
            m.Object("companies", "Company", "Companies", is_standard=True, id="o-c"),
        ),
        lists=(m.List("partners", "Partners", "companies", id="list-partners"),),
        webhooks=webhooks,
        id="workspace-1",
        slug="acme",
    )


LIVE_IDS = {
    A("objects/projects"): "o-p",
    A("objects/projects/attributes/budget"): "attribute-budget",
    A("objects/projects/attributes/notes"): "attribute-notes",
    A("objects/companies"): "o-c",
    A("lists/partners"): "list-partners",
}


def plan_for(**options) -> Plan:
    desired = options.pop("desired", None) or desired_model()
    live = options.pop("live", None) or live_model()
    return build_plan(desired, live, options.pop("live_ids", LIVE_IDS), **options)


def summary(plan: Plan) -> list[tuple[str, str, list[str]]]:
    return [(str(c.address), c.action, [str(a) for a in c.depends_on]) for c in plan.changes]


def test_a_plan_holds_the_ordered_changes_and_what_they_were_made_from():
    plan = plan_for(environment="dev")
    assert summary(plan) == [
        ("objects/clients", "create", []),
        ("objects/projects/attributes/budget", "update", []),
        # Level by level, each in compare's order: objects, then lists, then webhooks.
        ("objects/projects/attributes/client", "create", ["objects/clients"]),
        ("lists/key_accounts", "create", ["objects/clients"]),
        (f"webhooks/{URL}", "create", ["lists/key_accounts"]),
    ]
    assert plan.workspace == {"id": "workspace-1", "slug": "acme"}
    assert plan.environment == "dev"
    assert plan.notes == ()
    assert plan.unmanaged == (
        Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests"),
        Unmanaged(
            A("lists/partners"),
            "list not in the manifests; lists cannot be deleted through the API",
        ),
    )


def test_a_plan_is_json_data_that_reads_back_the_same():
    plan = plan_for(environment="dev")
    text = json.dumps(plan.to_json())
    assert Plan.from_json(json.loads(text)) == plan


def test_refs_in_webhook_changes_carry_the_live_id_or_known_after_apply():
    (hook,) = [c for c in plan_for().changes if c.address.kind == "webhook"]
    assert hook.after == {
        "target_url": URL,
        "subscriptions": [
            {
                "event_type": "list-entry.created",
                "filter": {
                    "$or": [
                        {
                            "field": "id.list_id",
                            "operator": "equals",
                            # Created by this same plan.
                            "value": {"ref": "lists/key_accounts", "id": KNOWN_AFTER_APPLY},
                        },
                        {
                            "field": "id.list_id",
                            "operator": "equals",
                            "value": {"ref": "lists/partners", "id": "list-partners"},
                        },
                        {
                            "field": "id.list_id",
                            "operator": "equals",
                            # Neither live nor planned: nothing to show.
                            "value": {"ref": "lists/ghost", "id": None},
                        },
                    ]
                },
            }
        ],
    }


def test_refs_on_the_before_side_of_a_webhook_update_are_annotated_too():
    current = m.Webhook(
        URL, (m.Subscription("list-entry.created", list_filter("partners")),), id="w"
    )
    plan = plan_for(live=live_model(current))
    (hook,) = [c for c in plan.changes if c.address.kind == "webhook"]
    assert hook.action == "update"
    assert hook.before["subscriptions"][0]["filter"]["$or"] == [
        {
            "field": "id.list_id",
            "operator": "equals",
            "value": {"ref": "lists/partners", "id": "list-partners"},
        }
    ]


def test_a_ref_to_a_list_renamed_in_the_same_plan_keeps_its_live_id():
    hook = m.Webhook(URL, (m.Subscription("list-entry.created", list_filter("allies")),))
    desired = m.Workspace(
        lists=(m.List("allies", "Partners", "companies", renamed_from="partners"),),
        webhooks=(hook,),
    )
    plan = plan_for(desired=desired)
    changes = {str(c.address): c for c in plan.changes}
    assert changes["lists/allies"].action == "rename"
    value = changes[f"webhooks/{URL}"].after["subscriptions"][0]["filter"]["$or"][0]["value"]
    assert value == {"ref": "lists/allies", "id": "list-partners"}


def test_only_webhook_changes_have_their_refs_annotated():
    default = {"template": {"ref": "lists/partners"}}
    attribute = m.Attribute("budget", "Budget", "number", default_value=default)
    desired = m.Workspace(objects=(m.Object("projects", "Project", "Projects", (attribute,)),))
    (change,) = plan_for(desired=desired).changes
    assert change.after["default_value"] == {"template": {"ref": "lists/partners"}}


def test_fingerprints_cover_exactly_the_touched_addresses():
    plan = plan_for()
    assert plan.fingerprints == {
        "objects/clients": ABSENT,
        "objects/projects/attributes/budget": fingerprint(LIVE_BUDGET),
        "lists/key_accounts": ABSENT,
        "objects/projects/attributes/client": ABSENT,
        f"webhooks/{URL}": ABSENT,
    }


def test_targets_select_by_address_prefix_and_pull_in_dependencies_with_a_note():
    plan = plan_for(targets=[A("objects/projects/attributes/client")])
    assert summary(plan) == [
        ("objects/clients", "create", []),
        ("objects/projects/attributes/client", "create", ["objects/clients"]),
    ]
    assert plan.notes == ("objects/clients is included because a targeted change depends on it",)
    assert plan.fingerprints == {
        "objects/clients": ABSENT,
        "objects/projects/attributes/client": ABSENT,
    }
    assert plan.unmanaged == ()


def test_a_target_is_a_prefix_of_whole_segments():
    plan = plan_for(targets=[A("objects/projects")])
    assert [str(c.address) for c in plan.changes] == [
        "objects/clients",
        "objects/projects/attributes/budget",
        "objects/projects/attributes/client",
    ]
    assert plan.unmanaged == (
        Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests"),
    )
    assert plan_for(targets=[A("objects/proj")]).changes == ()


def test_several_targets_add_up():
    plan = plan_for(targets=[A("objects/clients"), A("objects/projects/attributes/budget")])
    assert [str(c.address) for c in plan.changes] == [
        "objects/clients",
        "objects/projects/attributes/budget",
    ]
    assert plan.notes == ()


def test_excludes_drop_changes_but_not_what_a_kept_change_depends_on():
    plan = plan_for(excludes=[A("lists/key_accounts")])
    assert [str(c.address) for c in plan.changes] == [
        "objects/clients",
        "objects/projects/attributes/budget",
        "objects/projects/attributes/client",
        "lists/key_accounts",
        f"webhooks/{URL}",
    ]
    assert plan.notes == ("lists/key_accounts is included because a targeted change depends on it",)
    assert plan.unmanaged == (
        Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests"),
        Unmanaged(
            A("lists/partners"),
            "list not in the manifests; lists cannot be deleted through the API",
        ),
    )


def test_excluding_a_webhook_leaves_what_it_refers_to():
    plan = plan_for(excludes=[A(f"webhooks/{URL}"), A("lists/partners")])
    assert [str(c.address) for c in plan.changes] == [
        "objects/clients",
        "objects/projects/attributes/budget",
        "objects/projects/attributes/client",
        "lists/key_accounts",
    ]
    assert plan.notes == ()
    assert plan.unmanaged == (
        Unmanaged(A("objects/projects/attributes/notes"), "attribute not in the manifests"),
    )


def test_targets_and_excludes_combine():
    plan = plan_for(
        targets=[A("objects/projects")], excludes=[A("objects/projects/attributes/client")]
    )
    assert [str(c.address) for c in plan.changes] == ["objects/projects/attributes/budget"]
    assert plan.notes == ()


def test_a_dependency_pulled_in_keeps_its_ref_known_after_apply():
    plan = plan_for(targets=[A(f"webhooks/{URL}")])
    assert summary(plan) == [
        ("objects/clients", "create", []),
        ("lists/key_accounts", "create", ["objects/clients"]),
        (f"webhooks/{URL}", "create", ["lists/key_accounts"]),
    ]
    assert plan.notes == (
        "lists/key_accounts is included because a targeted change depends on it",
        "objects/clients is included because a targeted change depends on it",
    )
    value = plan.changes[-1].after["subscriptions"][0]["filter"]["$or"][0]["value"]
    assert value == {"ref": "lists/key_accounts", "id": KNOWN_AFTER_APPLY}


def test_targeting_the_old_address_selects_a_rename_and_fingerprints_both():
    live = m.Workspace(
        objects=(
            m.Object(
                "projects",
                "Project",
                "Projects",
                (m.Attribute("cost", "Budget", "number", id="attribute-cost"),),
            ),
        )
    )
    renamed = m.Attribute("budget", "Budget", "number", renamed_from="cost")
    desired = m.Workspace(objects=(m.Object("projects", "Project", "Projects", (renamed,)),))
    plan = plan_for(desired=desired, live=live, targets=[A("objects/projects/attributes/cost")])
    assert summary(plan) == [("objects/projects/attributes/budget", "rename", [])]
    assert plan.fingerprints == {
        "objects/projects/attributes/budget": ABSENT,
        "objects/projects/attributes/cost": fingerprint(live.objects[0].attributes[0]),
    }


def test_pruning_is_passed_to_compare():
    plan = plan_for(prune=PrunePolicy(archive=True), targets=[A("objects/projects")])
    assert summary(plan) == [
        ("objects/clients", "create", []),
        ("objects/projects/attributes/budget", "update", []),
        ("objects/projects/attributes/client", "create", ["objects/clients"]),
        ("objects/projects/attributes/notes", "archive", []),
    ]
    assert plan.changes[3].destructive
    assert plan.unmanaged == ()
    assert plan.has_destructive


def test_no_changes_make_an_empty_plan():
    desired = m.Workspace(objects=(m.Object("projects", "Project", "Projects", (BUDGET,)),))
    live = m.Workspace(
        objects=(m.Object("projects", "Project", "Projects", (BUDGET,)),), id="w", slug="s"
    )
    plan = build_plan(desired, live, {})
    assert plan == Plan(workspace={"id": "w", "slug": "s"})
    assert not plan.has_changes


def problem_models() -> tuple[m.Workspace, m.Workspace]:
    """Two problems: a standard object that is not enabled, and a system attribute's slug."""
    desired = m.Workspace(
        objects=(
            m.Object(
                "deals",
                None,
                None,
                (m.Attribute("stage", "Stage", "status", is_system=True),),
                is_standard=True,
            ),
            m.Object("projects", "Project", "Projects", (m.Attribute("created_at", "C", "date"),)),
        )
    )
    live = m.Workspace(
        objects=(
            m.Object(
                "projects",
                "Project",
                "Projects",
                (m.Attribute("created_at", "Created at", "timestamp", is_system=True),),
            ),
        )
    )
    return desired, live


def test_problems_become_diagnostics_located_in_the_manifests():
    desired, live = problem_models()
    asked: list[Address] = []

    def locate(address: Address) -> Location | None:
        asked.append(address)
        if address == A("objects/projects/attributes/created_at"):
            return Location("manifests/projects.yaml", 12, 7)
        return None

    with pytest.raises(PlanProblemsError) as caught:
        build_plan(desired, live, {}, locate=locate)
    assert isinstance(caught.value, DiagnosticsError)
    assert asked == [A("objects/deals"), A("objects/projects/attributes/created_at")]
    assert caught.value.diagnostics == [
        Diagnostic(
            Location("(manifests)"),
            "objects/deals is a standard object that is not enabled in this workspace; "
            "enable it in Attio's settings first",
        ),
        Diagnostic(
            Location("manifests/projects.yaml", 12, 7),
            "objects/projects/attributes/created_at is a system attribute in this workspace: "
            "only its options or statuses can be managed; choose another api_slug for a "
            "custom attribute",
        ),
    ]
    assert str(caught.value) == "2 problems found"
    assert caught.value.lines()[1].startswith(
        "manifests/projects.yaml:12:7: objects/projects/attributes/created_at is a system"
    )


def test_problems_are_reported_whatever_the_targets():
    desired, live = problem_models()
    with pytest.raises(PlanProblemsError):
        build_plan(desired, live, {}, targets=[A("webhooks/https://elsewhere")])
