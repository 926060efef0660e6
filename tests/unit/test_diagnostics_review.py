"""Behaviours settled in review: precise locations, no cascades, order-blind duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemactl.address import Address, AddressError
from schemactl.errors import ManifestError
from schemactl.manifest import load_manifests
from schemactl.project import ProjectFileError, load_project


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    with pytest.raises(ManifestError) as caught:
        load_manifests(paths, variables={}, environment="dev")
    return [f"{d.location.line}:{d.location.column}: {d.message}" for d in caught.value.diagnostics]


@pytest.mark.parametrize("text", ["objects/companies/", "objects/p/attributes/a/"])
def test_a_trailing_slash_is_not_an_address(text):
    with pytest.raises(AddressError, match="empty name"):
        Address.parse(text)


def test_a_filter_value_that_is_not_a_string_gets_a_plain_message(tmp_path):
    manifest = (
        "webhooks:\n"
        "  - target_url: https://h.example.com/x\n"
        "    subscriptions:\n"
        "      - event_type: record.created\n"
        "        filter: {$and: [{field: id.object_id, operator: equals, value: 5}]}\n"
    )
    assert _problems(tmp_path, {"m.yaml": manifest}) == [
        "5:72: a filter value is a string or {ref: ADDRESS}"
    ]


def test_a_webhook_declared_twice_names_the_first_target_url(tmp_path):
    hook = (
        "  - target_url: https://h.example.com/x\n    subscriptions: [{event_type: task.created}]\n"
    )
    problems = _problems(tmp_path, {"a.yaml": "webhooks:\n" + hook, "b.yaml": "webhooks:\n" + hook})
    first = tmp_path / "a.yaml"
    assert len(problems) == 1
    assert problems[0].startswith("2:17: webhooks/https://h.example.com/x is declared twice")
    assert problems[0].endswith(f"is at {first}:2:17")


def test_repeated_subscriptions_are_found_whatever_the_key_order(tmp_path):
    manifest = (
        "lists: {vip: {parent_object: companies}}\n"
        "webhooks:\n"
        "  - target_url: https://h.example.com/x\n"
        "    subscriptions:\n"
        "      - event_type: list-entry.created\n"
        "        filter: {$and: [{field: id.list_id, operator: equals, value: {ref: lists/vip}}]}\n"
        "      - event_type: list-entry.created\n"
        "        filter: {$and: [{value: {ref: lists/vip}, operator: equals, field: id.list_id}]}\n"
    )
    assert _problems(tmp_path, {"m.yaml": manifest}) == [
        "7:9: subscription repeats subscription 1 (same event and filter)"
    ]


def test_references_are_not_judged_while_another_file_failed_to_load(tmp_path):
    problems = _problems(
        tmp_path,
        {
            "a.yaml": "objects:\n  contracts: {singular_noun: {{ vars.nope }}, plural_noun: C}\n",
            "b.yaml": "lists:\n  renewals: {parent_object: contracts}\n",
        },
    )
    assert problems == ["2:38: undefined template variable: 'vars.nope' is not defined"]


def test_an_unterminated_quote_is_reported_where_it_opens(tmp_path):
    problems = _problems(tmp_path, {"m.yaml": 'objects:\n  p: {singular_noun: "Project\n'})
    assert len(problems) == 1
    assert problems[0].startswith("2:22: YAML syntax error:")


def test_every_unmatched_manifests_entry_is_reported(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "m.yaml").write_text("objects: {}\n")
    (tmp_path / "schemactl.yaml").write_text("version: 1\nmanifests: [manifests/, a/, b/]\n")
    with pytest.raises(ProjectFileError) as caught:
        load_project(tmp_path).manifest_files()
    assert [(d.location.line, d.message) for d in caught.value.diagnostics] == [
        (2, "manifests entry 'a/' matches no .yaml file"),
        (2, "manifests entry 'b/' matches no .yaml file"),
    ]


def test_glob_entries_take_only_yaml_files(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "m.yaml").write_text("objects: {}\n")
    (tmp_path / "manifests" / "README.md").write_text("hi\n")
    (tmp_path / "schemactl.yaml").write_text('version: 1\nmanifests: ["manifests/*"]\n')
    assert [p.name for p in load_project(tmp_path).manifest_files()] == ["m.yaml"]
