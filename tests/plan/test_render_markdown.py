"""Markdown rendering of plans for pull-request comments: golden output, structure, escaping.

Golden files live in tests/plan/golden/. After an intended change to the output, rewrite them
with `SCHEMACTL_UPDATE_GOLDEN=1 python -m pytest tests/plan`, then read the diff before
committing; without the variable, any difference fails the test.
"""

from __future__ import annotations

import json
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
from schemactl.plan.render_markdown import render_markdown
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

STAGE = PROJECTS.attribute("stage")
HOOK = Address.webhook("https://hooks.example.com/attio?a=1|2")
ODD_TITLE = 'R&D | "Ops" `beta` ``x`` </details><script>alert(1)</script> ✨ Zürich / 東京'
ODD_NOTE = "Use *care* with <b>|tables|</b>, [links](x), `code`, @team and </details> & &amp;"


def review_plan() -> Plan:
    """A plan with each thing a reviewer must see, and titles that try to break the markup."""
    changes = (
        Change(
            PROJECTS,
            "create",
            None,
            {"api_slug": "projects", "singular_noun": "Project", "plural_noun": "Projects"},
            "not in the workspace",
        ),
        Change(TAGS.option(ODD_TITLE), "create", None, {"title": ODD_TITLE}, ""),
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
                                    "value": {"ref": "lists/vip"},
                                }
                            ]
                        },
                    }
                ],
                "secret": KNOWN_AFTER_APPLY,
            },
            "not in the workspace",
            depends_on=(VIP,),
        ),
        Change(
            STAGE.status("Won"),
            "update",
            {"title": "Won", "celebration_enabled": False},
            {"title": "Won", "celebration_enabled": True},
            "fields differ",
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
            STAGE.status("Paused"),
            "unarchive",
            {"title": "Paused"},
            {"title": "Paused"},
            "archived in the workspace",
        ),
        Change(
            PROJECTS.attribute("legacy_score"),
            "archive",
            {"api_slug": "legacy_score", "title": "Legacy score", "type": "number"},
            None,
            PRUNING,
            destructive=True,
            in_use=True,
        ),
        Change(
            Address.webhook("https://zapier.example.com/hooks/123"),
            "delete",
            {
                "target_url": "https://zapier.example.com/hooks/123",
                "subscriptions": [{"event_type": "record.deleted", "filter": None}],
                "secret": SENSITIVE,
            },
            None,
            PRUNING,
            destructive=True,
        ),
        Change(
            PROJECTS.attribute("size"),
            "manual",
            {"api_slug": "size", "type": "number"},
            {"api_slug": "size", "type": "select"},
            "type cannot change in place (number -> select)",
            steps=(
                "Declare a new select attribute, e.g. `size_band`, and apply.",
                "1. Copy the values across <by hand>.",
                "Remove `size` from the manifests and plan with --prune.",
            ),
        ),
    )
    return Plan(
        workspace={"id": "ws_0123", "slug": "acme"},
        environment="prod",
        changes=changes,
        unmanaged=(
            Unmanaged(Address.object("companies").attribute("legacy_id"), "created in the UI"),
            Unmanaged(TAGS.option("A|B `c` </details>"), ODD_NOTE),
            Unmanaged(STAGE.status(ODD_TITLE), ""),
        ),
        notes=(ODD_NOTE, "- starts like a list item"),
    )


# --- golden outputs ---


def test_review_plan_matches_golden() -> None:
    assert_matches_golden("review_plan.md", render_markdown(review_plan()))


def test_no_changes_matches_golden() -> None:
    plan = Plan(workspace={"id": "ws_0123", "slug": "acme"}, environment="dev")
    assert_matches_golden("no_changes.md", render_markdown(plan))


# --- sections ---


def test_title_names_workspace_and_environment() -> None:
    markdown = render_markdown(review_plan())
    assert markdown.startswith("### schemactl plan for workspace `acme` (environment `prod`)\n")


def test_warning_banner_lists_destructive_and_manual_changes() -> None:
    markdown = render_markdown(review_plan())
    banner = markdown[markdown.index("> [!WARNING]") : markdown.index("| Action | Count |")]
    assert "> - **archive** `objects/projects/attributes/legacy_score` (in use)\n" in banner
    assert "> - **delete** `webhooks/https://zapier.example.com/hooks/123`\n" in banner
    assert "> - **manual** `objects/projects/attributes/size`\n" in banner
    assert "create" not in banner


@pytest.mark.parametrize("action", ["create", "update", "rename", "unarchive"])
def test_no_warning_banner_without_destructive_or_manual_changes(action: Action) -> None:
    change = single_change(action, PROJECTS)
    assert "[!WARNING]" not in render_markdown(Plan(workspace={"slug": "a"}, changes=(change,)))


def test_destructive_update_raises_the_banner() -> None:
    change = Change(PROJECTS, "update", {"a": 1}, {"a": 2}, "", destructive=True)
    assert "> [!WARNING]" in render_markdown(Plan(workspace={"slug": "a"}, changes=(change,)))


def test_summary_table_has_only_non_zero_rows_in_summary_order() -> None:
    markdown = render_markdown(review_plan())
    table = re.findall(r"^\| (\w+) \| (\w+) \|$", markdown, flags=re.MULTILINE)
    assert table == [
        ("Action", "Count"),
        ("create", "4"),
        ("update", "1"),
        ("rename", "1"),
        ("unarchive", "1"),
        ("archive", "1"),
        ("delete", "1"),
        ("manual", "1"),
    ]


def test_changes_are_grouped_by_object_list_or_webhook() -> None:
    summaries = re.findall(r"<summary>(.*)</summary>", render_markdown(review_plan()))
    assert summaries == [
        "<code>objects/projects</code>: 2 to create, 1 to update, 1 to rename, 1 to unarchive, "
        "1 to archive (1 in use), 1 manual change ⚠️",
        "<code>lists/vip</code>: 1 to create",
        "<code>webhooks/https://hooks.example.com/attio?a=1|2</code>: 1 to create",
        "<code>webhooks/https://zapier.example.com/hooks/123</code>: 1 to delete ⚠️",
    ]


def test_groups_needing_attention_start_open() -> None:
    openings = re.findall(r"^<details(?: open)?>", render_markdown(review_plan()), re.MULTILINE)
    assert openings == ["<details open>", "<details>", "<details>", "<details open>"]


def test_field_detail_is_a_diff_block() -> None:
    markdown = render_markdown(review_plan())
    assert "```diff\n- celebration_enabled: false\n+ celebration_enabled: true\n```" in markdown
    assert '```diff\n- title: "Gold"\n+ title: "Gold / Platinum"\n```' in markdown
    assert '+           "value": {ref: lists/vip}\n' in markdown
    assert "+ secret: (known after apply)\n" in markdown
    assert "- secret: (sensitive)\n" in markdown


def test_manual_steps_are_a_numbered_list_that_user_text_cannot_renumber() -> None:
    markdown = render_markdown(review_plan())
    assert "1. Declare a new select attribute, e.g. \\`size\\_band\\`, and apply.\n" in markdown
    assert "2. 1\\. Copy the values across \\<by hand\\>.\n" in markdown


def test_ends_with_the_same_summary_sentence_as_text() -> None:
    plan = review_plan()
    assert render_markdown(plan).splitlines()[-1] == render_text(plan).splitlines()[-1]
    empty = Plan(workspace={"slug": "acme"})
    assert render_markdown(empty).endswith("\nNo changes. The workspace matches the manifests.\n")


def test_unmanaged_and_notes_sections() -> None:
    markdown = render_markdown(review_plan())
    unmanaged = markdown[markdown.index("#### Unmanaged") : markdown.index("#### Notes")]
    assert "left untouched" in unmanaged and "--prune" in unmanaged
    assert "- `objects/companies/attributes/legacy_id`: created in the UI\n" in unmanaged
    notes = markdown[markdown.index("#### Notes") :]
    assert "- \\- starts like a list item\n" in notes


# --- escaping ---


def test_code_spans_hold_titles_with_backticks_verbatim() -> None:
    markdown = render_markdown(review_plan())
    assert f"**+ create** ``` objects/projects/attributes/tags/options/{ODD_TITLE} ```" in markdown


def test_html_in_titles_is_escaped_in_summaries() -> None:
    change = Change(
        Address.webhook("https://x.example.com/</summary></details>"), "create", None, {}, ""
    )
    markdown = render_markdown(Plan(workspace={"slug": "a"}, changes=(change,)))
    assert (
        "<code>webhooks/https://x.example.com/&lt;/summary&gt;&lt;/details&gt;</code>" in markdown
    )
    assert markdown.splitlines().count("</details>") == 1


def test_user_text_cannot_open_markdown_or_html() -> None:
    markdown = render_markdown(review_plan())
    assert (
        "Use \\*care\\* with \\<b\\>\\|tables\\|\\</b\\>, \\[links\\](x), \\`code\\`, @team and "
        "\\</details\\> \\& \\&amp;"
    ) in markdown


def test_parsed_markdown_has_only_the_renderers_own_html() -> None:
    markdown_it = pytest.importorskip(
        "markdown_it", reason="markdown-it-py (installed with the test extras) parses the output"
    )
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    tokens = parser.parse(render_markdown(review_plan()))
    html_blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    assert [block.split("<summary>")[0] for block in html_blocks] == [
        "<details open>",
        "</details>",
        "<details>",
        "</details>",
        "<details>",
        "</details>",
        "<details open>",
        "</details>",
    ]
    inline = [child for t in tokens if t.type == "inline" for child in t.children or ()]
    assert [c for c in inline if c.type == "html_inline"] == []
    code_spans = {c.content for c in inline if c.type == "code_inline"}
    assert f"objects/projects/attributes/tags/options/{ODD_TITLE}" in code_spans
    assert "objects/projects/attributes/tags/options/A|B `c` </details>" in code_spans
    assert f"objects/projects/attributes/stage/statuses/{ODD_TITLE}" in code_spans
    texts = "".join(c.content for c in inline if c.type == "text")
    assert ODD_NOTE in texts
    assert "- starts like a list item" in texts
    fences = [t for t in tokens if t.type == "fence"]
    assert {f.info for f in fences} == {"diff"}
    assert any(json.dumps(ODD_TITLE, ensure_ascii=False) in fence.content for fence in fences)


# --- every action on every kind of address ---


@pytest.mark.parametrize("kind", KIND_ADDRESSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_on_each_kind_has_a_heading_and_a_diff(action: Action, kind: str) -> None:
    address = KIND_ADDRESSES[kind]
    change = single_change(action, address)
    markdown = render_markdown(Plan(workspace={"slug": "acme"}, changes=(change,)))

    heading = f"**{EXPECTED_SYMBOLS[action]} {action}** "
    if action == "rename":
        heading += f"`{change.renamed_from}` → `{address}`"
    else:
        heading += f"`{address}`"
    assert f"\n{heading}" in markdown
    root = str(Address(address.parts[:1]))
    assert f"<summary><code>{root}</code>: " in markdown
    diff = {
        "create": '+ title: "New"',
        "archive": '- title: "Old"',
        "delete": '- title: "Old"',
    }.get(action, '- title: "Old"\n+ title: "New"')
    assert f"```diff\n{diff}\n```" in markdown
    if action == "manual":
        assert "\n1. Do it by hand.\n" in markdown
    summary = "Plan: 1 manual change." if action == "manual" else f"Plan: 1 to {action}."
    assert markdown.endswith(f"\n{summary}\n")


def test_line_breaks_in_user_text_become_spaces_and_controls_show_as_escapes() -> None:
    plan = Plan(workspace={"slug": "a"}, notes=("line one\nline two\tand\x1b[31m red",))
    # The escape's backslash is itself escaped, so the comment shows `\x1b[31m` literally.
    assert "\n- line one line two and\\\\x1b\\[31m red\n" in render_markdown(plan)
