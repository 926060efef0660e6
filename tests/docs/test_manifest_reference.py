"""docs/manifests.md documents exactly the keys and values the manifest JSON Schema allows.

The schema is the one `schemactl schema` prints. Every place in it that holds keys (the top
level, an object, an attribute, a currency block, a status, a webhook subscription, a filter
condition, ...) is mapped by SECTION_FOR_PATH to a section of docs/manifests.md. The rule:

- every key the schema allows there is a row of a *reference table* in that section: a table
  whose header's first cell is `key`, whose rows start with the key in backticks;
- every key a reference table documents is a key the schema allows in that section;
- every enumeration (attribute types, currency codes, display types, access levels, event
  types, filter operators) is listed exactly, in the place ENUM_LOCATIONS names.

A section's own text counts, not its subsections' (`### Currency` is not part of `## Attributes`).
Keys the schema refuses outright (`not: {}`, e.g. a standard object's nouns) are not keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from schemactl.manifest.schema import manifest_schema
from tests.docs import Section, Table, code_spans, read_doc, sections

DOC = "manifests.md"

# Where each place of the schema is documented: (regex over the schema path, section title).
# Paths name properties with `.`, map entries (an object's slug, ...) with `.<slug>`, and list
# items with `[]`, e.g. `objects.<slug>.attributes.<slug>.statuses[]`. The first match wins.
SECTION_FOR_PATH: list[tuple[str, str]] = [
    (r"", "Files and merging"),
    (r"objects\.[a-z][a-z0-9_-]*", "Standard objects"),  # a named property: a standard object
    (r"objects\.<slug>", "Custom objects"),
    (r".*\.attributes\.<slug>", "Attributes"),
    (r".*\.currency", "Currency"),
    (r".*\.relationship", "Record references"),
    (r".*\.(options|statuses)\[\]", "Options and statuses"),
    (r".*\.default_value", "Default values"),
    (r"lists\.<slug>(\.workspace_member_access\[\])?", "Lists"),
    (r"webhooks\[\](\.subscriptions\[\](\.filter(\.\$(and|or)\[\](\.value)?)?)?)?", "Webhooks"),
]


@dataclass(frozen=True)
class EnumLocation:
    """Where the docs list an enumeration's values.

    `row`: the reference-table row of that key (values from its last cell, or its `value`
    column); `first_column_of`: the first column of the table whose header starts with that
    cell; `paragraph`: the paragraph that starts with that text.
    """

    section: str
    row: str | None = None
    first_column_of: str | None = None
    paragraph: str | None = None


# Enumerations by their `title` in the schema.
ENUM_LOCATIONS: dict[str, EnumLocation] = {
    "named entries of objects": EnumLocation(
        "Standard objects", paragraph="Attio's standard objects are"
    ),
    "attribute type": EnumLocation("Types", first_column_of="type"),
    "currency code": EnumLocation("Currency", row="default_currency_code"),
    "currency display type": EnumLocation("Currency", row="display_type"),
    "workspace access level": EnumLocation("Lists", row="workspace_access"),
    "access level": EnumLocation("Lists", row="level"),
    "webhook event type": EnumLocation("Webhooks", paragraph="**Event types**"),
    "filter operator": EnumLocation("Webhooks", row="operator"),
}

# Counts the prose states ("one of the 15 types"), by the enumeration they count.
STATED_COUNTS: dict[str, str] = {
    "attribute type": r"\b(\d+) types\b",
    "currency code": r"\b(\d+) codes\b",
    "webhook event type": r"\*\*Event types\*\* \((\d+)\)",
}


# --- the schema ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPlace:
    """A place in the schema that holds keys: its path and the keys allowed there."""

    path: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Enumeration:
    title: str
    path: str
    values: tuple[str, ...]


def _is_refused(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("not") == {}


def _walk(
    root: dict[str, Any], node: Any, path: str, refs: tuple[str, ...] = ()
) -> Iterator[KeyPlace | Enumeration]:
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in refs:  # a recursive schema: its keys were reported on the way in
            return
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        yield from _walk(root, target, path, (*refs, ref))
    for combinator in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(combinator, ()):
            yield from _walk(root, branch, path, refs)
    if "enum" in node:
        values = tuple("null" if v is None else str(v) for v in node["enum"])
        yield Enumeration(
            node.get("title", f"(untitled enum at {path or 'the top level'})"), path, values
        )
    properties = node.get("properties")
    if isinstance(properties, dict):
        allowed = {k: v for k, v in properties.items() if not _is_refused(v)}
        if "propertyNames" in node:
            # A map keyed by slugs with some slugs named (the standard objects): these are
            # names a user picks from, not keys of a reference table.
            yield Enumeration(f"named entries of {path}", path, tuple(allowed))
        else:
            yield KeyPlace(path, tuple(allowed))
        for key, sub in allowed.items():
            yield from _walk(root, sub, f"{path}.{key}" if path else key, refs)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(root, node["additionalProperties"], f"{path}.<slug>", refs)
    if isinstance(node.get("items"), dict):
        yield from _walk(root, node["items"], f"{path}[]", refs)


def _schema_facts() -> tuple[dict[str, list[str]], list[Enumeration]]:
    """Keys by schema path (merged over `anyOf` forms), and every enumeration."""
    schema = manifest_schema()
    keys: dict[str, list[str]] = {}
    enums: list[Enumeration] = []
    for fact in _walk(schema, schema, ""):
        if isinstance(fact, KeyPlace):
            known = keys.setdefault(fact.path, [])
            known.extend(k for k in fact.keys if k not in known)
        else:
            enums.append(fact)
    return keys, enums


SCHEMA_KEYS, SCHEMA_ENUMS = _schema_facts()


def section_for(path: str) -> str | None:
    for pattern, title in SECTION_FOR_PATH:
        if re.fullmatch(pattern, path):
            return title
    return None


def keys_by_section() -> dict[str, dict[str, str]]:
    """Section title -> {key: an example schema path where the key is allowed}."""
    found: dict[str, dict[str, str]] = {}
    for path, keys in sorted(SCHEMA_KEYS.items()):  # `<slug>` sorts before a named slug
        title = section_for(path)
        if title is None:
            continue
        for key in keys:
            found.setdefault(title, {}).setdefault(key, f"{path}.{key}" if path else key)
    return found


# --- the docs --------------------------------------------------------------------------------


def doc_sections() -> dict[str, Section]:
    found: dict[str, Section] = {}
    for section in sections(read_doc(DOC)):
        found.setdefault(section.title, section)
    return found


def is_reference_table(table: Table) -> bool:
    return bool(table.header) and table.header[0].strip().lower() == "key"


def documented_keys(section: Section) -> dict[str, int]:
    """Key -> line of its row, for every row of the section's reference tables."""
    keys: dict[str, int] = {}
    for table in section.tables():
        if not is_reference_table(table):
            continue
        for offset, row in enumerate(table.rows):
            for key in code_spans(row[0]):
                keys.setdefault(key, table.line + 2 + offset)
    return keys


def _heading(section: Section) -> str:
    return f"{'#' * section.level} {section.title}"


def _where(section: Section) -> str:
    return f"docs/{DOC}, section '{_heading(section)}' (line {section.line})"


def enum_text(location: EnumLocation, section: Section) -> tuple[str, str]:
    """The doc text that lists an enumeration, and a description of where that is."""
    if location.row is not None:
        for table in section.tables():
            if not is_reference_table(table):
                continue
            value_column = table.column("value")
            for offset, row in enumerate(table.rows):
                if location.row in code_spans(row[0]):
                    cell = row[value_column] if value_column is not None else row[-1]
                    return cell, f"the row `{location.row}` (line {table.line + 2 + offset})"
        return "", f"a reference-table row `{location.row}`, which is missing"
    if location.first_column_of is not None:
        for table in section.tables():
            if table.header and table.header[0].strip().lower() == location.first_column_of:
                text = " ".join(row[0] for row in table.rows)
                return text, f"the first column of the table at line {table.line}"
        return "", f"a table headed `| {location.first_column_of} | …`, which is missing"
    assert location.paragraph is not None
    paragraphs = re.split(r"\n\s*\n", section.prose())
    for paragraph in paragraphs:
        if paragraph.strip().startswith(location.paragraph):
            return paragraph, f"the paragraph starting {location.paragraph!r}"
    return "", f"a paragraph starting {location.paragraph!r}, which is missing"


# --- the tests -------------------------------------------------------------------------------


def test_every_place_in_the_schema_has_a_docs_section() -> None:
    unmapped = [path or "(the top level)" for path in SCHEMA_KEYS if section_for(path) is None]
    assert not unmapped, (
        "the manifest schema holds keys at places this test does not know where to look for "
        "in the docs; add a rule for each to SECTION_FOR_PATH (and document the keys):\n  "
        + "\n  ".join(unmapped)
    )


def test_every_section_the_schema_maps_to_exists() -> None:
    present = doc_sections()
    missing = sorted({title for _, title in SECTION_FOR_PATH} - set(present))
    assert not missing, f"docs/{DOC} has no section titled: {', '.join(missing)}"


@pytest.mark.parametrize("title", sorted(keys_by_section()))
def test_every_schema_key_has_a_reference_table_row(title: str) -> None:
    section = doc_sections().get(title)
    assert section is not None, f"docs/{DOC} has no section titled {title!r}"
    documented = documented_keys(section)
    missing = {k: p for k, p in keys_by_section()[title].items() if k not in documented}
    assert not missing, (
        f"{_where(section)} does not document these keys the schema allows (each needs a row "
        f"starting with the key in backticks, in a table whose header starts `| key |`):\n  "
        + "\n  ".join(f"`{key}` (schema path: {path})" for key, path in missing.items())
    )


def test_reference_tables_document_only_schema_keys() -> None:
    allowed = keys_by_section()
    stray: list[str] = []
    for section in doc_sections().values():
        for key, line in documented_keys(section).items():
            if key not in allowed.get(section.title, {}):
                stray.append(f"`{key}` at line {line}, in section '{_heading(section)}'")
    assert not stray, (
        f"reference tables in docs/{DOC} document keys that the manifest schema does not "
        "allow in that section (remove them, fix the spelling, or map the section in "
        "SECTION_FOR_PATH):\n  " + "\n  ".join(stray)
    )


def test_every_enumeration_has_a_place_in_the_docs() -> None:
    unplaced = sorted({e.title for e in SCHEMA_ENUMS} - set(ENUM_LOCATIONS))
    assert not unplaced, (
        "the manifest schema has enumerations this test does not know where to find in the "
        "docs; add them to ENUM_LOCATIONS (and list their values in the docs): "
        + ", ".join(unplaced)
    )
    stale = sorted(set(ENUM_LOCATIONS) - {e.title for e in SCHEMA_ENUMS})
    assert not stale, f"ENUM_LOCATIONS names enumerations the schema no longer has: {stale}"


@pytest.mark.parametrize("title", sorted(ENUM_LOCATIONS))
def test_enumeration_is_listed_exactly(title: str) -> None:
    location = ENUM_LOCATIONS[title]
    section = doc_sections().get(location.section)
    assert section is not None, f"docs/{DOC} has no section titled {location.section!r}"
    values: set[str] = set()
    for enum in SCHEMA_ENUMS:
        if enum.title == title:
            values.update(enum.values)
    text, where = enum_text(location, section)
    listed = set(code_spans(text))
    missing = [v for e in SCHEMA_ENUMS if e.title == title for v in e.values if v not in listed]
    extra = sorted(listed - values)
    assert text, f"{_where(section)} should list the {title}s in {where}"
    assert not missing and not extra, (
        f"{_where(section)}, {where}, does not list the schema's {title}s exactly:"
        + (f"\n  missing: {', '.join(f'`{v}`' for v in dict.fromkeys(missing))}" if missing else "")
        + (f"\n  not in the schema: {', '.join(f'`{v}`' for v in extra)}" if extra else "")
    )


@pytest.mark.parametrize("title", sorted(STATED_COUNTS))
def test_counts_stated_in_the_docs_match_the_schema(title: str) -> None:
    count = len({v for e in SCHEMA_ENUMS if e.title == title for v in e.values})
    text = read_doc(DOC)
    wrong = []
    for match in re.finditer(STATED_COUNTS[title], text):
        if int(match.group(1)) != count:
            line = text.count("\n", 0, match.start()) + 1
            wrong.append(f"line {line}: {match.group(0)!r}")
    assert not wrong, (
        f"docs/{DOC} states a wrong number of {title}s (the schema has {count}):\n  "
        + "\n  ".join(wrong)
    )


def _type_rules() -> tuple[dict[str, set[str]], set[str]]:
    """From the attribute schema: the types each type-specific key is for, and the types that
    may be multiselect."""
    attribute = manifest_schema()["$defs"]["attribute"]
    types = set(attribute["properties"]["type"]["enum"])
    only_for: dict[str, set[str]] = {}
    multiselect = set(types)
    for rule in attribute.get("allOf", ()):
        condition = rule.get("if", {}).get("properties", {}).get("type", {})
        if "enum" not in condition:  # not "only for these types", e.g. "select is not unique"
            continue
        refused_types = set(condition["enum"])
        for key in rule.get("then", {}).get("properties", {}):
            if key == "is_multiselect":
                multiselect = types - refused_types
            else:
                only_for[key] = types - refused_types
    return only_for, multiselect


def test_types_table_matches_type_specific_keys_and_multiselect() -> None:
    """`### Types` says which keys belong to which type and which types may be multiselect."""
    section = doc_sections().get("Types")
    assert section is not None, f"docs/{DOC} has no section titled 'Types'"
    table = next((t for t in section.tables() if t.header[0].strip() == "type"), None)
    assert table is not None, f"{_where(section)} has no table headed `| type | …`"
    own_keys = table.column("its own keys")
    may_multi = table.column("may be multiselect")
    assert own_keys is not None and may_multi is not None, (
        f"{_where(section)}: the types table needs the columns 'its own keys' and "
        "'may be multiselect'"
    )
    only_for, multiselect = _type_rules()
    problems: list[str] = []
    for row in table.rows:
        for type_ in code_spans(row[0]):
            listed = set(code_spans(row[own_keys]))
            for key, for_types in only_for.items():
                if type_ in for_types and key not in listed:
                    problems.append(f"`{type_}`: 'its own keys' should mention `{key}`")
                if type_ not in for_types and key in listed:
                    problems.append(f"`{type_}`: `{key}` is not for this type")
            says = row[may_multi].strip().lower()
            expected = "yes" if type_ in multiselect else "no"
            if not says.startswith(expected):
                problems.append(f"`{type_}`: 'may be multiselect' should be {expected}")
    assert not problems, f"{_where(section)}, types table:\n  " + "\n  ".join(problems)
