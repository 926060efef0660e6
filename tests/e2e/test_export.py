"""`schemactl export` end to end: a live workspace written out as manifests, then `plan` is empty.

Each scenario prepares a workspace (by applying manifests, or by hand with raw API calls shaped
as Attio takes them), exports it with the real CLI and ends with `plan --detailed-exitcode`
exiting 0: the exported manifests declare exactly what the workspace holds.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from schemactl.errors import display_path
from tests.e2e.conftest import (
    EXAMPLES,
    LiveWorkspace,
    Run,
    copy_example,
    live_workspace,
    schemactl,
    write_project,
)

NO_CHANGES = "No changes. The workspace matches the manifests."
NOTHING_TO_EXPORT = "The workspace holds nothing a manifest would declare; no files written.\n"
SUMMARY = re.compile(
    r"^Exported (\d+) object file\(s\), (\d+) list\(s\) and (\d+) webhook\(s\) to (.+): "
    r"(\d+) file\(s\) written, (\d+) unchanged\.$"
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What each example's export writes, below manifests/.
EXAMPLE_TREES = {
    "startup-crm": [
        "objects/companies.yaml",
        "objects/people.yaml",
        "objects/projects.yaml",
    ],
    "vc-dealflow": [
        "lists/deal_pipeline.yaml",
        "lists/lp_relations.yaml",
        "lists/portfolio.yaml",
        "objects/companies.yaml",
        "objects/funds.yaml",
        "objects/investment_rounds.yaml",
        "objects/limited_partners.yaml",
        "webhooks.yaml",
    ],
}
WORKSPACE_SLUG = "acme-export"


# --- helpers ------------------------------------------------------------------------------------


def apply(project: Path) -> Run:
    run = schemactl("-C", project, "--no-color", "apply", "--auto-approve")
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


def export(project: Path | None, *args: str | Path) -> Run:
    """`schemactl [-C PROJECT] --no-color export ARGS`."""
    where: list[str | Path] = ["-C", project] if project is not None else []
    return schemactl(*where, "--no-color", "export", *args)


def exported(project: Path | None, *args: str | Path) -> Run:
    """An export that must succeed."""
    run = export(project, *args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


def assert_plan_empty(project: Path | None) -> None:
    where: list[str | Path] = ["-C", project] if project is not None else []
    run = schemactl(*where, "--no-color", "plan", "--detailed-exitcode")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert NO_CHANGES in run.stdout


def assert_valid(project: Path | None) -> None:
    where: list[str | Path] = ["-C", project] if project is not None else []
    run = schemactl(*where, "--no-color", "validate")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.startswith("Valid:"), run.stdout


def summary(run: Run) -> tuple[int, int, int, Path, int, int]:
    """The numbers of the summary line: objects, lists, webhooks, folder, written, unchanged."""
    match = SUMMARY.match(run.stdout.splitlines()[0])
    assert match is not None, run.stdout
    objects, lists, hooks, folder, written, unchanged = match.groups()
    # The folder is shown relative to the current directory, where the tests run.
    return (
        int(objects),
        int(lists),
        int(hooks),
        Path(folder).resolve(),
        int(written),
        int(unchanged),
    )


def wrote_lines(run: Run) -> list[str]:
    return [line.removeprefix("  wrote ") for line in run.stdout.splitlines()[1:]]


def tree(folder: Path) -> list[str]:
    """Every file below `folder`, as sorted posix paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and modification time, to prove a run left them alone."""
    return {
        name: ((folder / name).read_bytes(), (folder / name).stat().st_mtime_ns)
        for name in tree(folder)
    }


def header_and_body(text: str) -> tuple[list[str], str]:
    """The leading comment lines, and the rest (what export compares)."""
    lines = text.splitlines(keepends=True)
    count = 0
    while count < len(lines) and lines[count].startswith("#"):
        count += 1
    return lines[:count], "".join(lines[count:])


def load(path: Path) -> dict[str, Any]:
    """An exported manifest's data: its body rendered as the Jinja2 template it is, then read."""
    _, body = header_and_body(path.read_text(encoding="utf-8"))
    rendered = jinja2.Environment(keep_trailing_newline=True).from_string(body).render()
    data = yaml.safe_load(rendered)
    assert isinstance(data, dict), body
    return data


def unordered(choices: list[Any]) -> list[Any]:
    """Options or statuses in a fixed order: apply creates them concurrently, so the workspace's
    order (which export keeps) need not be the manifest's."""
    return sorted(choices, key=lambda c: json.dumps(c, sort_keys=True))


def attributes_of(path: Path, kind: str, slug: str) -> dict[str, Any]:
    return load(path)[kind][slug].get("attributes", {})


def fresh_project(root: Path, environment: dict[str, Any] | None = None) -> Path:
    """A project with no manifests whose `dev` environment is `local:ws.db` in `root`."""
    project = write_project(root, {}, {"dev": {"workspace": "local:ws.db", **(environment or {})}})
    return project


def attribute(
    live: LiveWorkspace, parent: str, slug: str, attribute_type: str, **fields: Any
) -> dict[str, Any]:
    """Create an attribute with a full Attio create body; `fields` override the defaults."""
    body: dict[str, Any] = {
        "title": slug.replace("_", " ").capitalize(),
        "description": None,
        "api_slug": slug,
        "type": attribute_type,
        "is_required": False,
        "is_unique": False,
        "is_multiselect": False,
        "config": {},
    }
    body.update(fields)
    return live.call("POST", f"{parent}/attributes", body)


def member_id(live: LiveWorkspace) -> str:
    return live.call("GET", "workspace_members")[0]["id"]["workspace_member_id"]


SMALL_MODEL = """
objects:
  tickets:
    singular_noun: Ticket
    plural_noun: Tickets
    attributes:
      priority: {type: select, options: [Low, High]}
lists:
  triage:
    parent_object: tickets
"""


# --- 1. every example: apply, export, plan is empty -----------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_export_then_plan_is_empty(example, tmp_path):
    project = copy_example(example, tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")

    run = exported(project)

    out = project / "manifests"
    assert tree(out) == EXAMPLE_TREES[example]
    objects, lists, _, folder, written, unchanged = summary(run)
    assert folder == out
    assert (objects, lists) == (
        sum(1 for f in EXAMPLE_TREES[example] if f.startswith("objects/")),
        sum(1 for f in EXAMPLE_TREES[example] if f.startswith("lists/")),
    )
    assert (written, unchanged) == (len(EXAMPLE_TREES[example]), 0)
    assert sorted(wrote_lines(run)) == EXAMPLE_TREES[example]
    assert run.stderr == ""
    for name in EXAMPLE_TREES[example]:
        text = (out / name).read_text(encoding="utf-8")
        header, _ = header_and_body(text)
        assert len(header) >= 1
        assert "schemactl export" in header[0]
        assert "environment 'dev'" in header[0]
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", header[0])
        assert not UUID.search(text), f"{name} holds an id:\n{text}"
    assert_valid(project)
    assert_plan_empty(project)


def test_vc_export_declares_lists_webhooks_with_refs_and_one_relationship_side(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")

    run = exported(project)

    assert summary(run)[:3] == (4, 3, 2)
    out = project / "manifests"
    lists = load(out / "lists/lp_relations.yaml")["lists"]
    stage = lists["lp_relations"]["attributes"]["stage"]
    stage["statuses"] = unordered(stage["statuses"])
    assert lists == {
        "lp_relations": {
            "parent_object": "limited_partners",
            "name": "LP relations",
            "attributes": {
                "stage": {
                    "type": "status",
                    "statuses": unordered(
                        [
                            "Prospect",
                            "Soft circled",
                            "Committed",
                            {"title": "Closed", "celebration_enabled": True},
                        ]
                    ),
                }
            },
        }
    }
    # "Deal pipeline" is the slug's own title: left out, as is the default full-access.
    assert set(load(out / "lists/deal_pipeline.yaml")["lists"]["deal_pipeline"]) == {
        "parent_object",
        "attributes",
    }
    hooks = load(out / "webhooks.yaml")["webhooks"]
    assert [h["target_url"] for h in hooks] == [
        "https://hooks.dev.example.com/attio/deal-pipeline",
        "https://hooks.dev.example.com/attio/rounds",
    ]
    assert hooks[0]["subscriptions"][0] == {
        "event_type": "list-entry.created",
        "filter": {
            "$and": [
                {
                    "field": "id.list_id",
                    "operator": "equals",
                    "value": {"ref": "lists/deal_pipeline"},
                }
            ]
        },
    }
    assert hooks[1]["subscriptions"][0]["filter"]["$or"][0]["value"] == {
        "ref": "objects/investment_rounds"
    }
    # funds/rounds sorts before investment_rounds/fund: that side declares the relationship.
    assert attributes_of(out / "objects/funds.yaml", "objects", "funds")["rounds"] == {
        "type": "record-reference",
        "is_multiselect": True,
        "relationship": {
            "object": "investment_rounds",
            "title": "Fund",
            "api_slug": "fund",
            "is_multiselect": False,
        },
    }
    assert "fund" not in attributes_of(
        out / "objects/investment_rounds.yaml", "objects", "investment_rounds"
    )
    assert_valid(project)
    assert_plan_empty(project)


# --- 2. a workspace set up by hand ----------------------------------------------------------


def build_by_hand(live: LiveWorkspace) -> dict[str, str]:
    """Every creatable attribute type, archived items, a list with member access, webhooks.

    Returns ids the test needs: the member, the list and the projects object.
    """
    member = member_id(live)
    projects = live.create_object("projects", "Project", "Projects")
    live.create_object("funds", "Fund", "Funds")
    p = "objects/projects"
    attribute(
        live,
        p,
        "summary",
        "text",
        title="Executive summary",
        description="One paragraph a new teammate can read.",
    )
    attribute(live, p, "budget_hours", "number", is_required=True, is_unique=True)
    attribute(live, p, "billable", "checkbox")
    attribute(
        live,
        p,
        "budget",
        "currency",
        config={"currency": {"default_currency_code": "EUR", "display_type": "code"}},
    )
    attribute(live, p, "due", "date", default_value={"type": "dynamic", "template": "P1M"})
    attribute(live, p, "last_touched", "timestamp")
    attribute(live, p, "health", "rating")
    attribute(live, p, "stage", "status", is_required=True)
    live.create_status(p, "stage", "Planned")
    live.create_status(p, "stage", "Active", target_time_in_status="P14D")
    live.create_status(p, "stage", "Done", celebration_enabled=True)
    old = live.create_status(p, "stage", "Abandoned")
    live.call(
        "PATCH",
        f"{p}/attributes/stage/statuses/{old['id']['status_id']}",
        {"is_archived": True},
    )
    attribute(live, p, "tags", "select", is_multiselect=True)
    for title in ("Enterprise", "yes", "Pilot"):
        live.create_option(p, "tags", title)
    retired = live.create_option(p, "tags", "Retired")
    live.call(
        "PATCH",
        f"{p}/attributes/tags/options/{retired['id']['option_id']}",
        {"is_archived": True},
    )
    attribute(
        live,
        p,
        "client",
        "record-reference",
        config={"record_reference": {"allowed_objects": ["companies"]}},
    )
    attribute(
        live,
        p,
        "contacts",
        "record-reference",
        is_multiselect=True,
        config={"record_reference": {"allowed_objects": ["people", "companies"]}},
    )
    attribute(
        live,
        p,
        "fund",
        "record-reference",
        relationship={
            "object": "funds",
            "title": "Projects",
            "api_slug": "projects",
            "is_multiselect": True,
        },
    )
    attribute(
        live,
        p,
        "owner",
        "actor-reference",
        default_value={"type": "dynamic", "template": "current-user"},
    )
    attribute(live, p, "site", "location")
    attribute(live, p, "websites", "domain", is_multiselect=True)
    attribute(live, p, "contact_email", "email-address")
    attribute(live, p, "phone", "phone-number", title="Phone")
    attribute(live, p, "legacy_code", "text")
    live.archive_attribute(p, "legacy_code")

    attribute(live, "objects/companies", "tier", "select", description="Commercial tier.")
    for title in ("Enterprise", "Growth"):
        live.create_option("objects/companies", "tier", title)

    key_accounts = live.call(
        "POST",
        "lists",
        {
            "name": "Key Accounts",
            "api_slug": "key_accounts",
            "parent_object": "companies",
            "workspace_access": "read-only",
            "workspace_member_access": [{"workspace_member_id": member, "level": "full-access"}],
        },
    )
    attribute(live, "lists/key_accounts", "priority", "select")
    for title in ("P0", "P1"):
        live.create_option("lists/key_accounts", "priority", title)
    attribute(live, "lists/key_accounts", "stage", "status")
    live.create_status("lists/key_accounts", "stage", "Prospect")
    live.create_list("escalations", "Escalations", "people")

    list_id = key_accounts["id"]["list_id"]
    object_id = projects["id"]["object_id"]
    live.create_webhook(
        "https://hooks.example.com/attio",
        [
            {
                "event_type": "list-entry.created",
                "filter": {
                    "$and": [{"field": "id.list_id", "operator": "equals", "value": list_id}]
                },
            },
            {
                "event_type": "record.updated",
                "filter": {
                    "$or": [
                        {"field": "id.object_id", "operator": "equals", "value": object_id},
                        {"field": "actor.type", "operator": "not_equals", "value": "system"},
                    ]
                },
            },
            {"event_type": "record.created", "filter": None},
        ],
    )
    live.create_webhook(
        "http://127.0.0.1:8765/hook", [{"event_type": "record.created", "filter": None}]
    )
    return {"member": member, "list": list_id, "object": object_id}


def test_a_workspace_built_by_hand_exports_every_type_and_plan_is_empty(tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db", workspace_slug=WORKSPACE_SLUG) as live:
        ids = build_by_hand(live)

    run = exported(project)

    out = project / "manifests"
    assert tree(out) == [
        "lists/escalations.yaml",
        "lists/key_accounts.yaml",
        "objects/companies.yaml",
        "objects/funds.yaml",
        "objects/projects.yaml",
        "webhooks.yaml",
    ]
    assert summary(run)[:3] == (3, 2, 1)
    assert "Warning: webhook http://127.0.0.1:8765/hook is not exported" in run.stderr
    assert f"workspace '{WORKSPACE_SLUG}'" in (out / "webhooks.yaml").read_text()

    projects = load(out / "objects/projects.yaml")["objects"]["projects"]
    assert (projects["singular_noun"], projects["plural_noun"]) == ("Project", "Projects")
    attrs = projects["attributes"]
    assert list(attrs) == sorted(attrs)
    assert attrs == {
        "billable": {"type": "checkbox"},
        "budget": {
            "type": "currency",
            "currency": {"default_currency_code": "EUR", "display_type": "code"},
        },
        "budget_hours": {"type": "number", "is_required": True, "is_unique": True},
        "client": {"type": "record-reference", "allowed_objects": ["companies"]},
        "contact_email": {"type": "email-address"},
        "contacts": {
            "type": "record-reference",
            "is_multiselect": True,
            "allowed_objects": ["people", "companies"],
        },
        "due": {"type": "date", "default_value": {"type": "dynamic", "template": "P1M"}},
        "health": {"type": "rating"},
        "last_touched": {"type": "timestamp"},
        "owner": {
            "type": "actor-reference",
            "default_value": {"type": "dynamic", "template": "current-user"},
        },
        "phone": {"type": "phone-number"},
        "site": {"type": "location"},
        "stage": {
            "type": "status",
            "is_required": True,
            "statuses": [
                "Planned",
                {"title": "Active", "target_time_in_status": "P14D"},
                {"title": "Done", "celebration_enabled": True},
            ],
        },
        "summary": {
            "title": "Executive summary",
            "type": "text",
            "description": "One paragraph a new teammate can read.",
        },
        "tags": {
            "type": "select",
            "is_multiselect": True,
            "options": ["Enterprise", "yes", "Pilot"],
        },
        "websites": {"type": "domain", "is_multiselect": True},
    }
    # The relationship is written once, on funds (funds/projects sorts before projects/fund).
    assert load(out / "objects/funds.yaml")["objects"]["funds"]["attributes"] == {
        "projects": {
            "type": "record-reference",
            "is_multiselect": True,
            "relationship": {
                "object": "projects",
                "title": "Fund",
                "api_slug": "fund",
                "is_multiselect": False,
            },
        }
    }
    # Only the custom attribute of a standard object; none of its system attributes.
    assert load(out / "objects/companies.yaml") == {
        "objects": {
            "companies": {
                "attributes": {
                    "tier": {
                        "type": "select",
                        "description": "Commercial tier.",
                        "options": ["Enterprise", "Growth"],
                    }
                }
            }
        }
    }
    assert load(out / "lists/key_accounts.yaml")["lists"]["key_accounts"] == {
        "parent_object": "companies",
        "name": "Key Accounts",
        "workspace_access": "read-only",
        "workspace_member_access": [{"workspace_member_id": ids["member"], "level": "full-access"}],
        "attributes": {
            "priority": {"type": "select", "options": ["P0", "P1"]},
            "stage": {"type": "status", "statuses": ["Prospect"]},
        },
    }
    assert load(out / "lists/escalations.yaml") == {
        "lists": {"escalations": {"parent_object": "people"}}
    }
    assert load(out / "webhooks.yaml") == {
        "webhooks": [
            {
                "target_url": "https://hooks.example.com/attio",
                "subscriptions": [
                    {
                        "event_type": "list-entry.created",
                        "filter": {
                            "$and": [
                                {
                                    "field": "id.list_id",
                                    "operator": "equals",
                                    "value": {"ref": "lists/key_accounts"},
                                }
                            ]
                        },
                    },
                    {
                        "event_type": "record.updated",
                        "filter": {
                            "$or": [
                                {
                                    "field": "id.object_id",
                                    "operator": "equals",
                                    "value": {"ref": "objects/projects"},
                                },
                                {
                                    "field": "actor.type",
                                    "operator": "not_equals",
                                    "value": "system",
                                },
                            ]
                        },
                    },
                    {"event_type": "record.created"},
                ],
            }
        ]
    }
    everything = "".join((out / name).read_text() for name in tree(out))
    for absent in ("legacy_code", "Abandoned", "Retired", "127.0.0.1", "record_id", "domains"):
        assert absent not in everything
    assert ids["list"] not in everything and ids["object"] not in everything
    assert_valid(project)
    assert_plan_empty(project)


# --- 3. re-export, conflicts and --force ----------------------------------------------------


def test_re_export_leaves_matching_files_alone(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")
    first = exported(project)
    out = project / "manifests"
    before = snapshot(out)

    again = exported(project)

    assert summary(again)[4:] == (0, summary(first)[4])
    assert wrote_lines(again) == []
    assert snapshot(out) == before
    assert_plan_empty(project)


def test_an_edited_header_comment_still_counts_as_unchanged(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")
    exported(project)
    path = project / "manifests/objects/people.yaml"
    _, body = header_and_body(path.read_text())
    path.write_text("# my own notes about people\n" + body)

    run = exported(project)

    assert summary(run)[4:] == (0, 3)
    assert path.read_text().startswith("# my own notes about people\n")
    assert_plan_empty(project)


def test_an_edited_file_stops_the_export_and_nothing_is_written(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")
    exported(project)
    out = project / "manifests"
    edited = out / "objects/funds.yaml"
    edited.write_text(edited.read_text().replace("Harvesting", "Harvest"))
    (out / "lists/portfolio.yaml").unlink()  # export would create it anew
    before = snapshot(out)

    run = export(project)

    assert run.exit_code == 1
    assert run.stdout == ""
    assert display_path(edited) in run.stderr
    assert "--force" in run.stderr
    assert "portfolio" not in run.stderr
    assert snapshot(out) == before
    assert not (out / "lists/portfolio.yaml").exists()

    forced = exported(project, "--force")

    assert sorted(wrote_lines(forced)) == ["lists/portfolio.yaml", "objects/funds.yaml"]
    assert summary(forced)[4:] == (2, 6)
    assert "Harvesting" in edited.read_text()
    assert_plan_empty(project)


def test_several_edited_files_are_all_named(tmp_path):
    project = copy_example("startup-crm", tmp_path)
    apply(project)
    shutil.rmtree(project / "manifests")
    exported(project)
    out = project / "manifests"
    for name in ("objects/people.yaml", "objects/projects.yaml"):
        (out / name).write_text("objects: {}\n")

    run = export(project)

    assert run.exit_code == 1
    assert display_path(out / "objects/people.yaml") in run.stderr
    assert display_path(out / "objects/projects.yaml") in run.stderr
    assert display_path(out / "objects/companies.yaml") not in run.stderr
    assert (out / "objects/people.yaml").read_text() == "objects: {}\n"
    exported(project, "--force")
    assert_plan_empty(project)


# --- 4. Jinja markers come through verbatim -------------------------------------------------


JINJA_MODEL = """
{% raw %}
objects:
  templates:
    singular_noun: Template {{ name }}
    plural_noun: Templates
    attributes:
      body:
        title: "{% if x %} body"
        type: text
        description: "Use {{ customer.name }} and {# a comment #} as written."
      kind:
        type: select
        options: ["{{", "{%", "{#", plain]
lists:
  drafts:
    name: "Drafts {{ env }}"
    parent_object: templates
{% endraw %}
"""


def test_jinja_markers_in_text_round_trip_verbatim(tmp_path):
    project = write_project(tmp_path / "project", {"templates.yaml": JINJA_MODEL})
    apply(project)
    shutil.rmtree(project / "manifests")

    exported(project)

    out = project / "manifests"
    for name in ("objects/templates.yaml", "lists/drafts.yaml"):
        _, body = header_and_body((out / name).read_text())
        # Each marker is written as an expression printing it, so the file renders verbatim.
        assert "{{ '{{' }}" in body, body
    templates = load(out / "objects/templates.yaml")["objects"]["templates"]
    assert templates["singular_noun"] == "Template {{ name }}"
    assert templates["attributes"]["body"] == {
        "title": "{% if x %} body",
        "type": "text",
        "description": "Use {{ customer.name }} and {# a comment #} as written.",
    }
    assert unordered(templates["attributes"]["kind"]["options"]) == unordered(
        ["{{", "{%", "{#", "plain"]
    )
    assert load(out / "lists/drafts.yaml")["lists"]["drafts"]["name"] == "Drafts {{ env }}"
    assert_valid(project)
    assert_plan_empty(project)


def test_text_without_markers_is_written_as_is(tmp_path):
    project = write_project(tmp_path / "project", {"m.yaml": SMALL_MODEL})
    apply(project)
    shutil.rmtree(project / "manifests")

    exported(project)

    for name in tree(project / "manifests"):
        assert "{{" not in (project / "manifests" / name).read_text()
    assert_plan_empty(project)


# Text that must survive export unchanged.
ROUND_TRIP_TEXT = [
    "yes",
    "null",
    "1",
    "2.5",
    "- x",
    "x: y",
    "# not a comment",
    "'quoted'",
    '"double"',
    "~",
    "0x1F",
    ".inf",
    "été ☃ 😀 日本",
    "line one\nline two",
    "tab\there",
    "trailing space ",
    "a" * 70 + " " + "b" * 70,
    "1e3",
    "0o17",
    "+.5",
    "next\x85line",
    "{% raw %}x{% endraw %}",
]


@pytest.mark.parametrize("text", ROUND_TRIP_TEXT)
def test_unusual_text_round_trips(text, tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db") as live:
        live.create_object("notes", f"Note {text}", "Notes")
        attribute(live, "objects/notes", "kind", "select", title=text, description=text)
        live.create_option("objects/notes", "kind", text)
        live.create_option("objects/notes", "kind", "other")
        live.call(
            "POST",
            "lists",
            {
                "name": text,
                "api_slug": "board",
                "parent_object": "notes",
                "workspace_access": "full-access",
                "workspace_member_access": [],
            },
        )

    exported(project)

    assert_valid(project)
    notes = load(project / "manifests/objects/notes.yaml")["objects"]["notes"]
    assert notes["singular_noun"] == f"Note {text}"
    assert notes["attributes"]["kind"]["options"] == [text, "other"]
    assert_plan_empty(project)


# --- 5. relationships are written on one side -----------------------------------------------


RELATIONSHIP_MODEL = """
objects:
  zebras:
    singular_noun: Zebra
    plural_noun: Zebras
    attributes:
      keeper:
        type: record-reference
        relationship:
          {object: alpacas, title: Zebras in care, api_slug: zebras, is_multiselect: true}
      employer:
        type: record-reference
        allowed_objects: [companies]
        relationship:
          {object: companies, title: Zebra staff, api_slug: zebra_staff, is_multiselect: true}
  alpacas:
    singular_noun: Alpaca
    plural_noun: Alpacas
"""


def test_a_relationship_is_exported_on_the_side_that_sorts_first(tmp_path):
    project = write_project(tmp_path / "project", {"m.yaml": RELATIONSHIP_MODEL})
    apply(project)
    shutil.rmtree(project / "manifests")

    exported(project)

    out = project / "manifests"
    assert tree(out) == ["objects/alpacas.yaml", "objects/companies.yaml", "objects/zebras.yaml"]
    assert attributes_of(out / "objects/alpacas.yaml", "objects", "alpacas") == {
        "zebras": {
            "title": "Zebras in care",
            "type": "record-reference",
            "is_multiselect": True,
            "relationship": {
                "object": "zebras",
                "title": "Keeper",
                "api_slug": "keeper",
                "is_multiselect": False,
            },
        }
    }
    assert attributes_of(out / "objects/companies.yaml", "objects", "companies") == {
        "zebra_staff": {
            "type": "record-reference",
            "is_multiselect": True,
            "relationship": {
                "object": "zebras",
                "title": "Employer",
                "api_slug": "employer",
                "is_multiselect": False,
            },
        }
    }
    # Both of the zebras' relationships are declared from the other side.
    assert load(out / "objects/zebras.yaml")["objects"]["zebras"] == {
        "singular_noun": "Zebra",
        "plural_noun": "Zebras",
    }
    assert_valid(project)
    assert_plan_empty(project)


def _reverse_side(live: LiveWorkspace) -> str:
    """zebras/keeper ↔ alpacas/zebras: export declares alpacas/zebras, not zebras/keeper."""
    keeper = attribute(
        live,
        "objects/zebras",
        "keeper",
        "record-reference",
        relationship={
            "object": "alpacas",
            "title": "Zebras",
            "api_slug": "zebras",
            "is_multiselect": True,
        },
    )
    return keeper["id"]["attribute_id"]


def _archived_option(live: LiveWorkspace) -> str:
    attribute(live, "objects/zebras", "tags", "select")
    live.create_option("objects/zebras", "tags", "Kept")
    old = live.create_option("objects/zebras", "tags", "Old")
    option_id = old["id"]["option_id"]
    live.call("PATCH", f"objects/zebras/attributes/tags/options/{option_id}", {"is_archived": True})
    return option_id


def _archived_attribute(live: LiveWorkspace) -> str:
    attribute(live, "objects/zebras", "gone", "text")
    return live.archive_attribute("objects/zebras", "gone")["id"]["attribute_id"]


def _standard_object(live: LiveWorkspace) -> str:
    return live.call("GET", "objects/companies")["id"]["object_id"]


def _kept_option(live: LiveWorkspace) -> str:
    attribute(live, "objects/zebras", "tags", "select")
    return live.create_option("objects/zebras", "tags", "Kept")["id"]["option_id"]


def _system_attribute(parent: str, slug: str) -> Any:
    def find(live: LiveWorkspace) -> str:
        found = [a for a in live.call("GET", f"{parent}/attributes") if a["api_slug"] == slug]
        return found[0]["id"]["attribute_id"]

    return find


@pytest.mark.parametrize(
    "make_id",
    [
        pytest.param(_standard_object, id="standard-object"),
        pytest.param(_kept_option, id="option"),
        pytest.param(_system_attribute("objects/companies", "domains"), id="standard-system"),
        pytest.param(
            _reverse_side,
            id="reverse-side",
        ),
        pytest.param(
            _archived_option,
            id="archived-option",
        ),
        pytest.param(
            _archived_attribute,
            id="archived-attribute",
        ),
        pytest.param(
            _system_attribute("objects/zebras", "record_id"),
            id="custom-system",
        ),
    ],
)
def test_a_filter_naming_any_live_id_exports_to_valid_manifests(make_id, tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db") as live:
        live.create_object("alpacas", "Alpaca", "Alpacas")
        live.create_object("zebras", "Zebra", "Zebras")
        condition = {"field": "id.attribute_id", "operator": "equals", "value": make_id(live)}
        live.create_webhook(
            "https://hooks.example.com/zebras",
            [{"event_type": "record.updated", "filter": {"$and": [condition]}}],
        )

    exported(project)

    assert_valid(project)
    assert_plan_empty(project)


def test_static_default_values_export_as_the_workspace_holds_them(tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db") as live:
        live.create_object("tickets", "Ticket", "Tickets")
        attribute(
            live,
            "objects/tickets",
            "score",
            "number",
            default_value={"type": "static", "template": [{"value": 5}]},
        )

    exported(project)

    score = attributes_of(project / "manifests/objects/tickets.yaml", "objects", "tickets")["score"]
    assert score["default_value"]["type"] == "static"
    assert score["default_value"]["template"][0]["value"] == 5
    assert_plan_empty(project)


# --- 6. warnings, an empty workspace, expect_workspace, no project file --------------------


def test_stray_yaml_files_in_the_folder_are_warned_about(tmp_path):
    project = write_project(tmp_path / "project", {"m.yaml": SMALL_MODEL})
    apply(project)
    (project / "manifests/m.yaml").write_text("# the old model now lives in the exported files\n")

    run = exported(project)

    assert "Warning:" in run.stderr
    assert "m.yaml" in run.stderr
    assert "export did not write" in run.stderr
    assert summary(run)[4:] == (2, 0)
    assert_plan_empty(project)


def test_no_warning_without_stray_files(tmp_path):
    project = write_project(tmp_path / "project", {"m.yaml": SMALL_MODEL})
    apply(project)
    (project / "manifests/m.yaml").unlink()

    run = exported(project)

    assert run.stderr == ""
    assert_plan_empty(project)


def test_an_out_folder_outside_the_manifests_entries_is_warned_about(tmp_path):
    project = write_project(tmp_path / "project", {"m.yaml": SMALL_MODEL})
    apply(project)

    run = exported(project, "-o", "snapshot")  # relative to the current directory

    snapshot_dir = tmp_path / "snapshot"
    assert summary(run)[3] == snapshot_dir
    assert tree(snapshot_dir) == ["lists/triage.yaml", "objects/tickets.yaml"]
    assert not (project / "snapshot").exists()
    assert "Warning:" in run.stderr
    assert "not among this project's manifests entries" in run.stderr
    # The snapshot declares what the workspace holds: as the project's manifests, plan is empty.
    shutil.rmtree(project / "manifests")
    shutil.copytree(snapshot_dir, project / "manifests")
    assert_plan_empty(project)


def test_an_empty_workspace_exports_nothing(tmp_path):
    project = fresh_project(tmp_path / "project")

    run = exported(project)

    assert run.stdout == NOTHING_TO_EXPORT
    assert tree(project / "manifests") == []
    (project / "manifests/empty.yaml").write_text("# declares nothing\n")
    assert_plan_empty(project)


def test_only_http_webhooks_means_nothing_to_export_and_a_warning(tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db") as live:
        live.create_webhook(
            "http://localhost:9000/hook", [{"event_type": "record.created", "filter": None}]
        )

    run = exported(project)

    assert run.stdout == NOTHING_TO_EXPORT
    assert "Warning: webhook http://localhost:9000/hook is not exported" in run.stderr
    assert tree(project / "manifests") == []


def test_a_mismatched_expect_workspace_writes_nothing(tmp_path):
    project = fresh_project(tmp_path / "project", {"expect_workspace": "someone-else"})
    with live_workspace(project / "ws.db", workspace_slug=WORKSPACE_SLUG) as live:
        live.create_object("tickets", "Ticket", "Tickets")

    run = export(project)

    assert run.exit_code == 1
    assert run.stdout == ""
    assert "someone-else" in run.stderr
    assert tree(project / "manifests") == []

    # The right workspace exports.
    fresh_project(project, {"expect_workspace": WORKSPACE_SLUG})
    exported(project)
    assert tree(project / "manifests") == ["objects/tickets.yaml"]
    assert_plan_empty(project)


def test_the_workspace_option_chooses_what_is_exported(tmp_path):
    project = fresh_project(tmp_path / "project")
    with live_workspace(project / "ws.db") as live:
        live.create_object("tickets", "Ticket", "Tickets")
    with live_workspace(project / "other.db") as live:
        live.create_object("invoices", "Invoice", "Invoices")

    run = schemactl(
        "-C", project, "--workspace", "local:other.db", "export", "-o", tmp_path / "other"
    )

    assert run.exit_code == 0, run.stderr
    assert tree(tmp_path / "other") == ["objects/invoices.yaml"]
    assert tree(project / "manifests") == []
    exported(project)
    assert tree(project / "manifests") == ["objects/tickets.yaml"]
    assert_plan_empty(project)


def test_export_without_a_project_file_reads_the_embedded_workspace(tmp_path):
    folder = tmp_path / "bare"
    (folder / "manifests").mkdir(parents=True)
    (folder / "manifests/m.yaml").write_text(SMALL_MODEL.lstrip())
    apply(folder)
    shutil.rmtree(folder / "manifests")

    run = exported(folder)

    assert summary(run)[3] == folder / "manifests"
    assert tree(folder / "manifests") == ["lists/triage.yaml", "objects/tickets.yaml"]
    assert "environment 'default'" in (folder / "manifests/lists/triage.yaml").read_text()
    assert run.stderr == ""
    assert_plan_empty(folder)


# --- 7. webhook secrets stay out -----------------------------------------------------------


def test_exported_files_hold_no_webhook_secret(tmp_path):
    project = copy_example("vc-dealflow", tmp_path)
    apply(project)
    stored = json.loads((project / ".schemactl/secrets.json").read_text())
    secrets = [entry["secret"] for entry in stored.values()]
    webhook_ids = [entry["webhook_id"] for entry in stored.values()]
    assert len(secrets) == 2 and all(len(s) >= 16 for s in secrets)
    shutil.rmtree(project / "manifests")

    exported(project)

    out = project / "manifests"
    for name in tree(out):
        text = (out / name).read_text()
        for value in [*secrets, *webhook_ids]:
            assert value not in text, f"{name} holds {value}"
        assert "secret" not in text.lower()
    assert_plan_empty(project)
