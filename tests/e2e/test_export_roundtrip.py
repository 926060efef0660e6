"""The export round trip as a property: apply random valid manifests, export, and plan is empty.

Hypothesis draws a model (custom objects with random slugs and nouns, attributes of every
creatable type with their own keys, options and statuses with unusual titles, relationships,
custom attributes on standard objects, lists, webhooks with filters and refs), writes it as a
project, applies it to a fresh embedded workspace, moves the manifests away, exports, and
checks that `plan --detailed-exitcode` finds nothing to change. Each example uses its own
temporary folder; the search is bounded and derandomized so the run is fast and repeatable.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemactl.attio.standard import STANDARD_OBJECTS
from tests.e2e.conftest import live_workspace, schemactl, write_project
from tests.e2e.test_export import NO_CHANGES, member_id

STANDARD_NOUNS = {"Person", "People", "Company", "Companies", "Deal", "Deals", "User", "Users"}
STANDARD_NOUNS |= {"Workspace", "Workspaces"}
# Standard objects a new workspace has turned on (deals, users and workspaces are off).
ENABLED_STANDARD = ("companies", "people")
TYPES = (
    "text",
    "number",
    "checkbox",
    "currency",
    "date",
    "timestamp",
    "rating",
    "status",
    "select",
    "record-reference",
    "actor-reference",
    "location",
    "domain",
    "email-address",
    "phone-number",
)
MULTISELECT_TYPES = {
    "select",
    "record-reference",
    "actor-reference",
    "domain",
    "email-address",
    "phone-number",
}
UNIQUE_TYPES = {"text", "number", "domain", "email-address", "phone-number"}
CURRENCY_CODES = ("USD", "EUR", "GBP", "JPY", "CHF", "NTD", "XPF")
DISPLAY_TYPES = ("code", "name", "narrowSymbol", "symbol")
DURATIONS = ("P14D", "PT12H", "P1W", "P1M", "P0Y0M1DT0H0M0S")
EVENT_TYPES = (
    "record.created",
    "record.updated",
    "list-entry.created",
    "list-entry.updated",
    "object-attribute.created",
    "list-attribute.updated",
    "note.created",
)
FIELDS = ("id.list_id", "id.object_id", "id.attribute_id", "actor.type")
ACCESS = ("full-access", "read-and-write", "read-only", None)
# Titles YAML could misread, markers Jinja would act on, and text beyond ASCII.
TRICKY = (
    "yes",
    "no",
    "on",
    "1",
    "2.5",
    "-7",
    "0x1F",
    "true",
    "null",
    "~",
    "- x",
    "x: y",
    "# hash",
    "[a, b]",
    "{a: b}",
    "*star",
    "&amp",
    "!tag",
    "%pct",
    "@at",
    "'single'",
    '"double"',
    "{{ name }}",
    "{% if x %}",
    "{# note #}",
    "{% raw %}x{% endraw %}",
    "1e3",
    "0o17",
    "+.5",
    "été",
    "日本語",
    "emoji 😀",
    "two\nlines",
    " padded ",
)
ALPHABET = "abcXYZ019 _-:#'\"{}%[],&*!|>@`?.é☃日😀\t\n"
TEXT = st.one_of(st.sampled_from(TRICKY), st.text(ALPHABET, min_size=1, max_size=12))
SLUG = st.from_regex(r"[a-z][a-z0-9_-]{0,7}", fullmatch=True)


def titles(max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(TEXT, unique=True, max_size=max_size)


@st.composite
def statuses(draw: st.DrawFn) -> list[Any]:
    result: list[Any] = []
    for title in draw(titles(4)):
        celebration = draw(st.booleans())
        target = draw(st.sampled_from((None, *DURATIONS)))
        if not celebration and target is None:
            result.append(title)
        else:
            entry: dict[str, Any] = {"title": title}
            if celebration:
                entry["celebration_enabled"] = True
            if target is not None:
                entry["target_time_in_status"] = target
            result.append(entry)
    return result


@st.composite
def attribute(
    draw: st.DrawFn, references: list[str], *, standard: str | None = None
) -> dict[str, Any]:
    """One attribute declaration; `standard` names the standard object it goes on, if any."""
    attribute_type = draw(st.sampled_from(TYPES))
    declared: dict[str, Any] = {"type": attribute_type}
    if draw(st.booleans()):
        declared["title"] = draw(TEXT)
    if draw(st.booleans()):
        declared["description"] = draw(st.one_of(TEXT, st.none()))
    if draw(st.booleans()):
        declared["is_required"] = True
    if attribute_type in UNIQUE_TYPES and standard != "companies" and draw(st.booleans()):
        declared["is_unique"] = True
    if attribute_type in MULTISELECT_TYPES and draw(st.booleans()):
        declared["is_multiselect"] = True
    if attribute_type == "currency":
        declared["currency"] = {
            "default_currency_code": draw(st.sampled_from(CURRENCY_CODES)),
            "display_type": draw(st.sampled_from(DISPLAY_TYPES)),
        }
    elif attribute_type == "select":
        declared["options"] = draw(titles(4))
    elif attribute_type == "status":
        declared["statuses"] = draw(statuses())
    elif attribute_type == "record-reference":
        declared["allowed_objects"] = draw(
            st.lists(st.sampled_from(references), unique=True, min_size=1, max_size=3)
        )
    no_default = standard is not None or not draw(st.booleans())
    if not no_default and attribute_type in ("date", "timestamp"):
        template = draw(st.sampled_from(DURATIONS))
        declared["default_value"] = {"type": "dynamic", "template": template}
    elif not no_default and attribute_type == "actor-reference":
        declared["default_value"] = {"type": "dynamic", "template": "current-user"}
    return declared


@st.composite
def attributes(
    draw: st.DrawFn, references: list[str], taken: set[str], *, standard: str | None = None
) -> dict[str, Any]:
    """Up to four attributes whose slugs avoid `taken` (which they are added to)."""
    result: dict[str, Any] = {}
    for slug in draw(st.lists(SLUG, unique=True, max_size=4)):
        if slug in taken:
            continue
        taken.add(slug)
        result[slug] = draw(attribute(references, standard=standard))
    return result


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    """A valid manifest document; the member id placeholder is MEMBER."""
    slugs = draw(
        st.lists(
            SLUG.filter(lambda s: s not in STANDARD_OBJECTS), unique=True, min_size=1, max_size=3
        )
    )
    nouns = draw(
        st.lists(
            TEXT.filter(lambda t: t not in STANDARD_NOUNS),
            unique=True,
            min_size=2 * len(slugs),
            max_size=2 * len(slugs),
        )
    )
    references = [*slugs, *ENABLED_STANDARD]
    # Every object's taken slugs: system attributes first, so nothing declared collides.
    taken = {slug: {"record_id", "created_at", "created_by"} for slug in slugs}
    taken |= {slug: set(STANDARD_OBJECTS[slug]) for slug in ENABLED_STANDARD}
    objects: dict[str, Any] = {}
    for index, slug in enumerate(slugs):
        objects[slug] = {"singular_noun": nouns[2 * index], "plural_noun": nouns[2 * index + 1]}
        declared = draw(attributes(references, taken[slug]))
        if declared:
            objects[slug]["attributes"] = declared
    for standard in ENABLED_STANDARD:
        if draw(st.booleans()):
            declared = draw(attributes(references, taken[standard], standard=standard))
            if declared:
                objects[standard] = {"attributes": declared}
    relationship_ends: set[tuple[str, str]] = set()
    for number in range(draw(st.integers(0, 2))):
        source = draw(st.sampled_from(slugs))
        other = draw(st.sampled_from([s for s in references if s != source] or [source]))
        forward, reverse = f"rel{number}_{draw(SLUG)}", f"rev{number}_{draw(SLUG)}"
        if other == source or forward in taken[source] or reverse in taken[other]:
            continue
        taken[source].add(forward)
        taken[other].add(reverse)
        relationship_ends |= {(source, forward), (other, reverse)}
        declared = {
            "type": "record-reference",
            "relationship": {
                "object": other,
                "title": draw(TEXT),
                "api_slug": reverse,
                "is_multiselect": draw(st.booleans()),
            },
        }
        if draw(st.booleans()):
            declared["allowed_objects"] = [other]
        if draw(st.booleans()):
            declared["is_multiselect"] = True
        if draw(st.booleans()):
            declared["title"] = draw(TEXT)
        objects.setdefault(source, {}).setdefault("attributes", {})[forward] = declared
    document: dict[str, Any] = {"objects": objects}

    lists: dict[str, Any] = {}
    for slug in draw(st.lists(SLUG, unique=True, max_size=2)):
        declared = {"parent_object": draw(st.sampled_from(references))}
        if draw(st.booleans()):
            declared["name"] = draw(TEXT)
        access = draw(st.sampled_from(ACCESS))
        if access != "full-access":
            declared["workspace_access"] = access
            declared["workspace_member_access"] = [
                {"workspace_member_id": "MEMBER", "level": "full-access"}
            ]
        list_attributes = draw(attributes(references, set()))
        if list_attributes:
            declared["attributes"] = list_attributes
        lists[slug] = declared
    if lists:
        document["lists"] = lists

    addresses = _ref_targets(objects, lists, relationship_ends)
    webhooks = []
    for path in draw(st.lists(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True), unique=True)):
        subscriptions: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(draw(st.integers(1, 3))):
            subscription: dict[str, Any] = {"event_type": draw(st.sampled_from(EVENT_TYPES))}
            if draw(st.booleans()):
                subscription["filter"] = draw(filters(addresses))
            identity = json.dumps(subscription, sort_keys=True)
            if identity not in seen:
                seen.add(identity)
                subscriptions.append(subscription)
        webhooks.append(
            {"target_url": f"https://hooks.example.com/{path}", "subscriptions": subscriptions}
        )
        if len(webhooks) == 2:
            break
    if webhooks:
        document["webhooks"] = webhooks
    return document


def _ref_targets(
    objects: dict[str, Any], lists: dict[str, Any], relationship_ends: set[tuple[str, str]]
) -> list[str]:
    """Addresses a `{ref: …}` may name: declared items and standard objects.

    A relationship's declared side is included: export may write the other side instead, and
    then keeps the filter value as the live id.
    """
    addresses = [f"objects/{s}" for s in (*objects, *ENABLED_STANDARD)]
    addresses += [f"lists/{s}" for s in lists]
    for kind, items in (("objects", objects), ("lists", lists)):
        for slug, item in items.items():
            for name, declared in item.get("attributes", {}).items():
                base = f"{kind}/{slug}/attributes/{name}"
                addresses.append(base)
                addresses += [f"{base}/options/{t}" for t in declared.get("options", [])]
                addresses += [
                    f"{base}/statuses/{s if isinstance(s, str) else s['title']}"
                    for s in declared.get("statuses", [])
                ]
    return sorted(set(addresses))


@st.composite
def conditions(draw: st.DrawFn, addresses: list[str]) -> dict[str, Any]:
    """A filter condition. Attio checks `id.list_id` and `id.object_id` values against live
    lists and objects, so those are refs to one; other fields take any ref or text."""
    lists = [a for a in addresses if a.startswith("lists/") and "/attributes/" not in a]
    objects = [a for a in addresses if a.startswith("objects/") and "/attributes/" not in a]
    others = [a for a in addresses if "/attributes/" in a]
    choices = ["id.object_id", "actor.type"] + (["id.list_id"] if lists else [])
    choices += ["id.attribute_id"] if others else []
    field = draw(st.sampled_from(choices))
    value: Any
    if field == "id.list_id":
        value = {"ref": draw(st.sampled_from(lists))}
    elif field == "id.object_id":
        value = {"ref": draw(st.sampled_from(objects))}
    elif field == "id.attribute_id" and draw(st.booleans()):
        value = {"ref": draw(st.sampled_from(others))}
    else:
        value = draw(TEXT)
    operator = draw(st.sampled_from(("equals", "not_equals")))
    return {"field": field, "operator": operator, "value": value}


def filters(addresses: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda key, items: {key: items},
        st.sampled_from(("$and", "$or")),
        st.lists(conditions(addresses), min_size=1, max_size=2),
    )


def manifest_text(document: dict[str, Any], member: str) -> str:
    """The document as a template that renders to itself: JSON (valid YAML 1.2) in which each
    `{` opening a Jinja2 marker is spelled `\\u007b` (with indent, JSON's own braces never are)."""
    text = json.dumps(document, indent=1, ensure_ascii=False).replace('"MEMBER"', f'"{member}"')
    return re.sub(r"\{(?=[{%#])", lambda _: "\\u007b", text) + "\n"


def run_ok(*args: str | Path, what: str) -> str:
    run = schemactl(*args)
    assert run.exit_code == 0, f"{what}:\n{run.stdout}{run.stderr}"
    return run.stdout


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    # Each example applies and exports a whole model: shrinking a failure would take minutes.
    # The failing (unshrunk) model is printed, and re-runs are repeatable (derandomized).
    phases=(Phase.explicit, Phase.generate),
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(document=models())
def test_apply_export_plan_is_empty(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = write_project(Path(folder) / "project", {})
        with live_workspace(project / "ws.db") as live:
            member = member_id(live)
        (project / "manifests" / "model.yaml").write_text(
            manifest_text(document, member), encoding="utf-8"
        )
        run_ok("-C", project, "validate", what="the generated manifests do not validate")
        applied = run_ok("-C", project, "--no-color", "apply", "--auto-approve", what="apply")
        assert " 0 failed" in applied, applied
        shutil.move(project / "manifests", project / "applied")

        run_ok("-C", project, "--no-color", "export", what="export")

        run_ok("-C", project, "validate", what="the exported manifests do not validate")
        plan = run_ok(
            "-C", project, "--no-color", "plan", "--detailed-exitcode", what="plan after export"
        )
        assert NO_CHANGES in plan
