"""A corpus of bad manifests, each failing with exact `FILE:LINE:COL: message` diagnostics.

Every row of CASES names one case under tests/manifests/bad/ (or one generated in tmp_path: the
oversize file and the non-UTF-8 files are never committed), every diagnostic it must produce
(line, column, message, key path), and the stage that catches the problem:

- PRE_SCHEMA: the bytes, the Jinja template or the YAML text is bad. No document exists yet, so
  these are NOT schema-level: the JSON Schema never sees them.
- SCHEMA: the JSON Schema of one file rejects it; an editor using `schemactl schema` shows it too.
- RULES: Attio's rules that need the whole project (dangling references, duplicates, renames,
  the same item in two files, system attributes, nouns). NOT schema-level: every file of such a
  case passes the JSON Schema on its own, and the tests below check exactly that.

Rows marked xfail describe the behaviour the library should have but does not yet (wrong location
or misleading message); they are strict, so fixing the library turns them into failures to unmark.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from schemactl.cli.main import cli
from schemactl.errors import Diagnostic, ManifestError
from schemactl.manifest import load_manifests
from schemactl.manifest.render import render
from schemactl.manifest.schema import manifest_schema
from schemactl.manifest.yaml_loader import load_yaml
from schemactl.project import Environment, load_project

TESTS = Path(__file__).resolve().parent
BAD = TESTS / "manifests" / "bad"
EXAMPLES = TESTS.parent / "examples"

PRE_SCHEMA, SCHEMA, RULES = "pre-schema", "schema", "rules"
ENVIRONMENT = "dev"
# The variables every case is rendered with. `fund_currency` is deliberately lower-case (a real
# slip in an environment's vars) and `fund_count` is 0, for the template cases that use them.
VARIABLES = {
    "webhook_host": "hooks.example.com",
    "fund_currency": "usd",
    "fund_size": 50_000_000,
    "fund_count": 0,
    "hook_hosts": ["a.example.com", "b.example.com", "c.example.com"],
}
UNSET_VARIABLE = "SCHEMACTL_TEST_UNSET_HOOK_HOST"  # getenv_unset.yaml reads it without a default
LIMIT = 5 * 1024 * 1024  # the documented manifest size limit, in bytes


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (UNSET_VARIABLE, "SCHEMACTL_ENV", "SCHEMACTL_WORKSPACE", "SCHEMACTL_DEBUG"):
        monkeypatch.delenv(name, raising=False)


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contains:
    """An expected message given as a precise substring (for messages that embed long lists)."""

    text: str


class D(NamedTuple):
    """One expected diagnostic; `file` defaults to the case's only file."""

    line: int
    column: int
    message: str | Contains
    key_path: str = ""
    file: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    stage: str
    expected: tuple[D, ...]
    files: tuple[str, ...] = ()
    xfail: str | None = None
    generated: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        return self.files or (self.name,)


def _oversize() -> bytes:
    head = b"objects:\n  projects:\n    singular_noun: Project\n    plural_noun: Projects\n"
    return head + b"#" * (LIMIT + 1 - len(head))


# Generated in tmp_path by the tests, never committed.
GENERATED: dict[str, Callable[[], bytes]] = {
    "oversize.yaml": _oversize,
    # Saved as Latin-1 by an editor: the é of Café is the single byte 0xE9.
    "latin1.yaml": lambda: (
        b"objects:\n  cafes:\n    singular_noun: Caf\xe9\n    plural_noun: Cafes\n"
    ),
    # UTF-8 text with one pasted Latin-1 byte after two (two-byte) accented letters.
    "mixed_encoding.yaml": (
        lambda: (
            "objects:\n  desserts:\n    singular_noun: Crème brûl".encode()
            + b"\xe9e\n    plural_noun: Desserts\n"
        )
    ),
}

ALIAS_BOMB = (
    "YAML aliases expand to more than 10,000 nodes (an alias bomb?); "
    "write the repeated parts out or use fewer aliases"
)
STANDARD_OBJECT_NOUNS = (
    "companies is a standard object: its slug and nouns are Attio's; "
    "declare only its custom attributes here"
)
NO_MANAGER = (
    "a list needs workspace_access: full-access, or a workspace member with full-access, "
    "or nobody could manage it"
)
A = "objects.projects.attributes"  # the key path most cases live under
REF = "webhooks[0].subscriptions[0].filter.$and[0].value.ref"

CASES: tuple[Case, ...] = (
    # --- bytes, Jinja and YAML: caught before the JSON Schema ----------------------------------
    Case(
        "yaml_syntax_error.yaml",
        PRE_SCHEMA,
        (
            D(
                6,
                55,
                "YAML syntax error: expected ',' or ']', but got '}' "
                "(while parsing a flow sequence)",
            ),
        ),
    ),
    Case(
        "duplicate_key.yaml",
        PRE_SCHEMA,
        (D(10, 7, "duplicate key 'budget' (first defined at line 6, column 7)"),),
    ),
    Case(
        "tab_indentation.yaml",
        PRE_SCHEMA,
        (D(7, 1, "YAML syntax error: found character '\\t' that cannot start any token"),),
    ),
    Case(
        "multiple_documents.yaml",
        PRE_SCHEMA,
        (
            D(
                5,
                1,
                "YAML syntax error: expected a single document in the stream, "
                "but found another document",
            ),
        ),
    ),
    Case(
        "python_object_tag.yaml",
        PRE_SCHEMA,
        (
            D(
                6,
                16,
                "YAML tag '!!python/object:os.system' is not allowed in a manifest",
            ),
        ),
    ),
    Case(
        "python_name_tag.yaml",
        PRE_SCHEMA,
        (
            D(
                3,
                20,
                "YAML tag '!!python/name:os.system' is not allowed in a manifest",
            ),
        ),
    ),
    Case(
        "alias_bomb.yaml",
        PRE_SCHEMA,
        (D(5, 8, ALIAS_BOMB),),
    ),
    Case(
        "oversize.yaml",
        PRE_SCHEMA,
        (D(1, 1, "file is 5,242,881 bytes, over the 5,242,880-byte manifest limit"),),
        generated=True,
    ),
    Case("latin1.yaml", PRE_SCHEMA, (D(3, 23, "file is not valid UTF-8 text"),), generated=True),
    Case(
        "mixed_encoding.yaml",
        PRE_SCHEMA,
        (D(3, 30, "file is not valid UTF-8 text"),),
        generated=True,
    ),
    Case(
        "undefined_jinja_variable.yaml",
        PRE_SCHEMA,
        (D(5, 33, "undefined template variable: 'vars.missing' is not defined"),),
    ),
    Case(
        "undefined_variable_named_like_key.yaml",
        PRE_SCHEMA,
        (D(3, 28, "undefined template variable: 'vars.singular_noun' is not defined"),),
    ),
    Case(
        "jinja_syntax_error.yaml",
        PRE_SCHEMA,
        (D(6, 1, Contains("template syntax error: Encountered unknown tag 'endfor'.")),),
    ),
    Case(
        "unknown_jinja_filter.yaml",
        PRE_SCHEMA,
        (D(3, 20, "template syntax error: No filter named 'titlecase'."),),
    ),
    Case(
        "sandbox_escape.yaml",
        PRE_SCHEMA,
        (
            D(
                8,
                29,
                "template tried something the sandbox forbids: "
                "access to attribute '__class__' of 'str' object is unsafe.",
            ),
        ),
    ),
    Case(
        "sandbox_escape_via_getenv.yaml",
        PRE_SCHEMA,
        (
            D(
                2,
                53,
                "template tried something the sandbox forbids: "
                "access to attribute '__globals__' of 'function' object is unsafe.",
            ),
        ),
    ),
    Case(
        "getenv_unset.yaml",
        PRE_SCHEMA,
        (
            D(
                2,
                25,
                f"environment variable {UNSET_VARIABLE} is not set and getenv() was given no "
                "default",
            ),
        ),
    ),
    Case(
        "template_runtime_error.yaml",
        PRE_SCHEMA,
        (D(8, 39, "template error: ZeroDivisionError: integer division or modulo by zero"),),
    ),
    Case(
        "rendered_too_large.yaml",
        PRE_SCHEMA,
        (D(1, 1, "rendered manifest exceeds the 5,242,880-byte limit"),),
    ),
    # --- one file against the JSON Schema -----------------------------------------------------
    Case("top_level_list.yaml", SCHEMA, (D(1, 1, "expected a map, got a list"),)),
    Case(
        "unknown_top_level_key.yaml",
        SCHEMA,
        (
            D(
                1,
                1,
                "unknown key 'object' (did you mean 'objects'?); "
                "expected one of: lists, objects, webhooks",
                "object",
            ),
        ),
    ),
    Case(
        "typo_key.yaml",
        SCHEMA,
        (
            D(
                8,
                9,
                Contains(
                    "unknown key 'is_requird' (did you mean 'is_required'?); expected one of: "
                ),
                f"{A}.kickoff.is_requird",
            ),
        ),
    ),
    Case(
        "missing_plural_noun.yaml",
        SCHEMA,
        (D(2, 3, "missing required key 'plural_noun'", "objects.projects"),),
    ),
    Case(
        "invalid_slug.yaml",
        SCHEMA,
        (
            D(
                6,
                7,
                "invalid attribute slug 'Deal-Value': "
                "use lowercase letters, digits, '_' and '-', starting with a letter",
                f"{A}.Deal-Value",
            ),
        ),
    ),
    Case(
        "unknown_attribute_type.yaml",
        SCHEMA,
        (D(7, 15, "unknown attribute type 'numbr' (did you mean 'number'?)", f"{A}.amount.type"),),
    ),
    Case(
        "yes_is_not_a_boolean.yaml",
        SCHEMA,
        (
            D(
                8,
                22,
                "expected true or false, got the string 'yes'",
                f"{A}.kickoff.is_required",
            ),
        ),
    ),
    Case(
        "bad_currency_code.yaml",
        SCHEMA,
        (
            D(
                8,
                43,
                "unknown currency code 'US' (did you mean 'USD'?)",
                f"{A}.budget.currency.default_currency_code",
            ),
        ),
    ),
    Case(
        "bad_display_type.yaml",
        SCHEMA,
        (
            D(
                10,
                25,
                "unknown currency display type 'sign'; "
                "expected one of: code, name, narrowSymbol, symbol",
                f"{A}.budget.currency.display_type",
            ),
        ),
    ),
    Case(
        "template_var_bad_currency.yaml",
        SCHEMA,
        (
            D(
                8,
                43,  # the {{ vars.fund_currency }} that produced 'usd'
                "unknown currency code 'usd' (did you mean 'USD'?)",
                "objects.funds.attributes.target_size.currency.default_currency_code",
            ),
        ),
    ),
    Case(
        "currency_without_block.yaml",
        SCHEMA,
        (
            D(
                6,
                7,
                "a currency attribute needs "
                "'currency: {default_currency_code: …, display_type: …}'",
                f"{A}.budget",
            ),
        ),
    ),
    Case(
        "record_reference_without_target.yaml",
        SCHEMA,
        (
            D(
                6,
                7,
                "a record-reference attribute needs 'allowed_objects' or 'relationship'",
                f"{A}.client",
            ),
        ),
    ),
    Case(
        "options_on_text.yaml",
        SCHEMA,
        (D(8, 9, "'options' are only for select attributes", f"{A}.priority.options"),),
    ),
    Case(
        "multiselect_text.yaml",
        SCHEMA,
        (
            D(
                8,
                9,
                "this attribute type cannot be multiselect; only select, record-reference, "
                "actor-reference, domain, email-address, phone-number can",
                f"{A}.keywords.is_multiselect",
            ),
        ),
    ),
    Case(
        "unique_select.yaml",
        SCHEMA,
        (D(8, 9, "select attributes cannot be unique", f"{A}.code.is_unique"),),
    ),
    Case(
        "bad_duration.yaml",
        SCHEMA,
        (
            D(
                10,
                52,
                "invalid ISO 8601 duration '14 days': "
                "use an ISO 8601 duration such as P14D or PT12H",
                f"{A}.stage.statuses[1].target_time_in_status",
            ),
        ),
    ),
    Case(
        "bad_workspace_access.yaml",
        SCHEMA,
        (
            D(
                5,
                23,
                "unknown workspace access level 'full_access' (did you mean 'full-access'?)",
                "lists.key_accounts.workspace_access",
            ),
        ),
    ),
    Case(
        "nouns_on_standard.yaml",
        SCHEMA,
        (
            D(3, 5, STANDARD_OBJECT_NOUNS, "objects.companies.singular_noun"),
            D(4, 5, STANDARD_OBJECT_NOUNS, "objects.companies.plural_noun"),
        ),
    ),
    Case(
        "http_webhook.yaml",
        SCHEMA,
        (
            D(
                2,
                17,
                "invalid webhook target_url 'http://hooks.example.com/attio': "
                "Attio delivers webhooks only to https:// URLs",
                "webhooks[0].target_url",
            ),
        ),
    ),
    Case(
        "unknown_event_type.yaml",
        SCHEMA,
        (
            D(
                5,
                21,
                "unknown webhook event type 'record.upserted' (did you mean 'record.updated'?)",
                "webhooks[0].subscriptions[1].event_type",
            ),
        ),
    ),
    # Positions must be in the file the user wrote, not in the rendered template.
    Case(
        "error_after_stripped_if.yaml",
        SCHEMA,
        (D(10, 15, "unknown attribute type 'numbr' (did you mean 'number'?)", f"{A}.amount.type"),),
    ),
    Case(
        "error_after_jinja_comment.yaml",
        SCHEMA,
        (D(11, 15, "unknown attribute type 'numbr' (did you mean 'number'?)", f"{A}.amount.type"),),
    ),
    Case(
        "error_in_for_loop.yaml",
        SCHEMA,
        tuple(
            D(
                5,
                21,
                "unknown webhook event type 'record.upserted' (did you mean 'record.updated'?)",
                f"webhooks[{index}].subscriptions[0].event_type",
            )
            for index in range(3)
        ),
    ),
    Case(
        "several_problems.yaml",
        SCHEMA,
        (
            D(7, 15, "unknown attribute type 'numbr' (did you mean 'number'?)", f"{A}.amount.type"),
            D(
                10,
                27,
                "allowed_objects names 'customers', which is not a declared or standard object",
                f"{A}.client.allowed_objects[0]",
            ),
            D(
                13,
                29,
                "duplicate status title 'Planned' (also item 1 of statuses)",
                f"{A}.stage.statuses[1]",
            ),
            D(17, 23, NO_MANAGER, "lists.key_accounts.workspace_access"),
            D(
                19,
                17,
                "invalid webhook target_url 'http://hooks.example.com/attio': "
                "Attio delivers webhooks only to https:// URLs",
                "webhooks[0].target_url",
            ),
        ),
    ),
    # --- rules across items and files: every file passes the JSON Schema on its own ----------
    Case(
        "dangling_allowed_objects.yaml",
        RULES,
        (
            D(
                8,
                38,
                "allowed_objects names 'customers', which is not a declared or standard object",
                f"{A}.client.allowed_objects[1]",
            ),
        ),
    ),
    Case(
        "dangling_webhook_ref.yaml",
        RULES,
        (
            D(
                10,
                66,
                "ref 'lists/key_acounts' does not name anything declared in the manifests",
                REF,
            ),
        ),
    ),
    Case(
        "malformed_ref.yaml",
        RULES,
        (
            D(
                10,
                66,
                "invalid ref: 'list/key_accounts' is not a valid address: "
                "expected lists, objects, webhooks where 'list' is",
                REF,
            ),
        ),
    ),
    Case(
        "list_parent_undeclared.yaml",
        RULES,
        (
            D(
                4,
                20,
                "parent_object 'contracts' is not a declared or standard object",
                "lists.renewals.parent_object",
            ),
        ),
    ),
    Case(
        "relationship_unknown_object.yaml",
        RULES,
        (
            D(
                8,
                32,
                "relationship.object 'funds' is not a declared or standard object",
                "objects.investment_rounds.attributes.fund.relationship.object",
            ),
        ),
    ),
    Case(
        "duplicate_option_title.yaml",
        RULES,
        (
            D(
                10,
                13,
                "duplicate option title 'Enterprise' (also item 1 of options)",
                "objects.companies.attributes.tier.options[3]",
            ),
        ),
    ),
    Case(
        "duplicate_status_title.yaml",
        RULES,
        (
            D(
                8,
                37,
                "duplicate status title 'Planned' (also item 1 of statuses)",
                f"{A}.stage.statuses[2]",
            ),
        ),
    ),
    Case(
        "duplicate_subscription.yaml",
        RULES,
        (
            D(
                6,
                9,
                "subscription repeats subscription 1 (same event and filter)",
                "webhooks[0].subscriptions[2]",
            ),
        ),
    ),
    Case(
        "read_only_list.yaml",
        RULES,
        (D(4, 23, NO_MANAGER, "lists.key_accounts.workspace_access"),),
    ),
    Case(
        "renamed_from_collision.yaml",
        RULES,
        (
            D(
                11,
                23,
                "renamed_from 'customer' is also declared as an attribute here; "
                "a rename needs the old attribute to be gone from the manifests",
                f"{A}.client.renamed_from",
            ),
        ),
    ),
    Case(
        "renamed_twice.yaml",
        RULES,
        (
            D(
                13,
                23,
                "'customer' is renamed twice: also by objects/projects/attributes/client",
                f"{A}.account.renamed_from",
            ),
        ),
    ),
    Case(
        "twice",
        RULES,
        (
            D(
                3,
                3,
                "objects/projects is declared twice; the first declaration is at twice/a.yaml:2:3",
                "objects.projects",
                file="twice/b.yaml",
            ),
        ),
        files=("twice/a.yaml", "twice/b.yaml"),
    ),
    Case(
        "system_attribute.yaml",
        RULES,
        (
            D(
                7,
                7,
                "'name' is a system attribute of companies and cannot be managed; "
                "choose another slug for a custom attribute",
                "objects.companies.attributes.name",
            ),
        ),
    ),
    Case(
        "standard_noun.yaml",
        RULES,
        (
            D(
                3,
                20,
                "the noun 'Company' is already used by objects/companies",
                "objects.clients.singular_noun",
            ),
        ),
    ),
    Case(
        "dynamic_default_not_allowed.yaml",
        RULES,
        (
            D(
                8,
                24,
                "dynamic defaults exist only for actor-reference, date and timestamp attributes",
                f"{A}.effort.default_value",
            ),
        ),
    ),
    Case(
        "default_value_on_people.yaml",
        RULES,
        (
            D(
                6,
                24,
                "Attio does not support default values on people",
                "objects.people.attributes.account_owner.default_value",
            ),
        ),
    ),
)
BY_NAME = {case.name: case for case in CASES}


def _params(cases: tuple[Case, ...], *, with_xfail: bool) -> list[pytest.param]:
    params = []
    for case in cases:
        marks = []
        if with_xfail and case.xfail:
            marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
        params.append(pytest.param(case, id=case.name.removesuffix(".yaml"), marks=marks))
    return params


def _case_directory(case: Case, tmp_path: Path) -> Path:
    """Where the case's files are: the committed corpus, or tmp_path for a generated file."""
    if not case.generated:
        return BAD
    (tmp_path / case.name).write_bytes(GENERATED[case.name]())
    return tmp_path


# --- the diagnostics of every case ---------------------------------------------------------------


def _expected_rows(case: Case) -> list[tuple[str, int, int, str | Contains, str]]:
    rows = [
        (d.file or case.paths[0], d.line, d.column, d.message, d.key_path) for d in case.expected
    ]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[4], str(r[3])))


def _actual_rows(
    diagnostics: list[Diagnostic], expected: list[tuple[str, int, int, str | Contains, str]]
) -> list[tuple[str, int, int, str | Contains, str]]:
    rows = sorted(
        (
            (d.location.file, d.location.line, d.location.column, d.message, d.key_path)
            for d in diagnostics
        ),
        key=lambda r: (r[0], r[1], r[2], r[4], r[3]),
    )
    if len(rows) == len(expected):  # let a substring expectation stand for the message it matches
        for index, (row, want) in enumerate(zip(rows, expected, strict=True)):
            if isinstance(want[3], Contains) and want[3].text in row[3]:
                rows[index] = (*row[:3], want[3], row[4])
    return rows


@pytest.mark.parametrize("case", _params(CASES, with_xfail=True))
def test_bad_manifest_is_reported_exactly(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_case_directory(case, tmp_path))
    with pytest.raises(ManifestError) as caught:
        load_manifests([Path(p) for p in case.paths], variables=VARIABLES, environment=ENVIRONMENT)
    expected = _expected_rows(case)
    assert _actual_rows(caught.value.diagnostics, expected) == expected


def test_every_corpus_file_is_in_the_table() -> None:
    on_disk = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*") if p.is_file()}
    in_table = {path for case in CASES if not case.generated for path in case.paths}
    assert on_disk == in_table
    assert len(CASES) >= 35


def test_the_table_covers_each_stage() -> None:
    stages = [case.stage for case in CASES]
    assert {PRE_SCHEMA, SCHEMA, RULES} == set(stages)
    assert all(case.expected for case in CASES)
    assert all(case.generated == (case.name in GENERATED) for case in CASES)


def test_committed_corpus_files_are_small() -> None:
    """The oversize case is generated; nothing big or binary is committed."""
    for path in BAD.rglob("*.yaml"):
        data = path.read_bytes()
        assert len(data) < 2_000, path.name
        data.decode("utf-8")


# --- the JSON Schema ------------------------------------------------------------------------------


def _validator() -> Draft202012Validator:
    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _example_files() -> list[pytest.param]:
    params = []
    for project_file in sorted(EXAMPLES.glob("*/schemactl.yaml")):
        project = load_project(project_file.parent)
        for environment in project.environments.values():
            for path in project.manifest_files():
                relative = path.relative_to(EXAMPLES).as_posix()
                params.append(pytest.param(path, environment, id=f"{relative}[{environment.name}]"))
    return params


EXAMPLE_FILES = _example_files()


def test_there_are_examples_to_check() -> None:
    projects = {param.values[0].parent.parent for param in EXAMPLE_FILES}
    environments = {
        (param.values[0].parent.parent, param.values[1].name) for param in EXAMPLE_FILES
    }
    assert len(projects) >= 2
    assert len(EXAMPLE_FILES) >= 6
    assert len(environments) >= 3  # vc-dealflow has dev and prod


@pytest.mark.parametrize(("path", "environment"), EXAMPLE_FILES)
def test_schema_accepts_every_example(path: Path, environment: Environment) -> None:
    text = path.read_text(encoding="utf-8")
    rendered = render(text, path.name, variables=environment.vars, environment=environment.name)
    document = load_yaml(rendered, path.name)
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(document.data)
    ]
    assert errors == []


def _rendered_document(path: Path):
    text = path.read_bytes().decode("utf-8")
    rendered = render(text, path.name, variables=VARIABLES, environment=ENVIRONMENT)
    return load_yaml(rendered, path.name)


@pytest.mark.parametrize("case", _params(CASES, with_xfail=False))
def test_schema_verdict_matches_the_stage(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SCHEMA rows: the JSON Schema rejects the file. RULES rows: it accepts every file, since
    their problems need the whole project. PRE_SCHEMA rows never become a document at all."""
    monkeypatch.chdir(_case_directory(case, tmp_path))
    validator = _validator()
    if case.stage == PRE_SCHEMA:
        for path in case.paths:
            with pytest.raises((ManifestError, UnicodeDecodeError)):
                _rendered_document(Path(path))
        return
    verdicts = [validator.is_valid(_rendered_document(Path(p)).data) for p in case.paths]
    if case.stage == SCHEMA:
        assert verdicts == [False] * len(case.paths)
    else:
        assert verdicts == [True] * len(case.paths)


# --- the command line -----------------------------------------------------------------------------

LINE = re.compile(r"^project/manifests/[\w./-]+\.yaml:\d+:\d+: \S.*$")
CLI_CASES = [
    "yaml_syntax_error.yaml",
    "duplicate_key.yaml",
    "sandbox_escape.yaml",
    "getenv_unset.yaml",
    "unknown_attribute_type.yaml",
    "dangling_webhook_ref.yaml",
    "several_problems.yaml",
]


def _project(tmp_path: Path, files: list[str]) -> Path:
    """A project in tmp_path/project with corpus files copied into manifests/."""
    project = tmp_path / "project"
    (project / "manifests").mkdir(parents=True)
    (project / "schemactl.yaml").write_text(
        "version: 1\nmanifests: [manifests/]\ndefault_environment: dev\n"
        f"environments:\n  dev: {{workspace: local, vars: {json.dumps(VARIABLES)}}}\n",
        encoding="utf-8",
    )
    for name in files:
        target = project / "manifests" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name in GENERATED:
            target.write_bytes(GENERATED[name]())
        else:
            shutil.copyfile(BAD / name, target)
    return project


def _validate(project: Path):
    result = CliRunner().invoke(cli, ["-C", str(project), "validate"])
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def _line(file: str, d: D) -> str:
    suffix = f" (at {d.key_path})" if d.key_path else ""
    return f"project/manifests/{file}:{d.line}:{d.column}: {d.message}{suffix}"


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_prints_one_line_per_problem(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = BY_NAME[name]
    assert case.xfail is None
    assert all(isinstance(d.message, str) for d in case.expected)
    monkeypatch.chdir(tmp_path)
    result = _validate(_project(tmp_path, [name]))
    assert result.exit_code == 1
    assert result.stdout == ""
    ordered = sorted(case.expected, key=lambda d: (d.line, d.column, d.message))
    assert result.stderr.splitlines() == [_line(name, d) for d in ordered]
    assert all(LINE.match(line) for line in result.stderr.splitlines())


def test_cli_names_both_places_of_a_double_declaration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _validate(_project(tmp_path, ["twice/a.yaml", "twice/b.yaml"]))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "project/manifests/twice/b.yaml:3:3: objects/projects is declared twice; "
        "the first declaration is at project/manifests/twice/a.yaml:2:3 (at objects.projects)"
    ]


def test_cli_reports_problems_of_every_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = ["yaml_syntax_error.yaml", "getenv_unset.yaml", "latin1.yaml", "standard_noun.yaml"]
    monkeypatch.chdir(tmp_path)
    result = _validate(_project(tmp_path, files))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert all(LINE.match(line) for line in lines)
    assert [line.split(":")[0] for line in lines] == [
        f"project/manifests/{f}" for f in sorted(files)
    ]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_failed_validate_leaves_every_file_byte_for_byte_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        "several_problems.yaml",
        "error_after_stripped_if.yaml",
        "template_var_bad_currency.yaml",
        "twice/a.yaml",
        "twice/b.yaml",
        "latin1.yaml",
    ]
    project = _project(tmp_path, files)
    # Line endings, a byte-order mark and a missing final newline must survive too.
    (project / "manifests" / "crlf.yaml").write_bytes(
        b"lists:\r\n  renewals:\r\n    parent_object: contracts\r\n"
    )
    (project / "manifests" / "bom.yaml").write_bytes(
        b"\xef\xbb\xbfwebhooks:\n  - target_url: http://hooks.example.com/x\n"
        b"    subscriptions: [{event_type: record.created}]"
    )
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = _validate(project)
    assert result.exit_code == 1
    # Another file (latin-1) failed to load, so dangling references are not judged this run:
    # they could name what that file declares.
    assert "parent_object 'contracts'" not in result.stderr
    assert "project/manifests/latin1.yaml" in result.stderr
    assert "project/manifests/bom.yaml:2:17: invalid webhook target_url" in result.stderr
    assert _snapshot(tmp_path) == before
