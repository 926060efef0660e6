"""Fuzzing manifests: random YAML, mutated manifest text and mutated manifest data.

Three generators feed the manifest pipeline (render, load, validate, merge, build):
- `yaml_documents`: structurally random YAML, with every scalar type, odd and duplicate keys,
  anchors, aliases and merge keys, standard, unknown and custom tags, directives, documents;
- `mutated_texts`: the examples' manifests, the bad corpus and a rich valid manifest, cut,
  spliced with YAML and Jinja fragments (`{{`, `{% if %}` without end, `{{ undefined }}`),
  BOMs, CRs, tabs, NEL/LS, random characters and invalid UTF-8 bytes;
- `mutated_data`: the same manifests loaded, then keys deleted, duplicated and renamed, values
  retyped and swapped between fields, and dumped back to YAML.

In process, every input must load or fail with located, one-line problems (conftest.py). A
smaller sample runs `validate` and `plan` through the real CLI against a prepared `local:ws.db`
workspace: documented exit codes, a message, no traceback, and no write anywhere.
"""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from schemactl.errors import ManifestError
from schemactl.manifest import load_manifests
from schemactl.manifest.render import render
from schemactl.manifest.yaml_loader import load_yaml
from tests.e2e.conftest import schemactl
from tests.fuzz.conftest import (
    RICH_MANIFEST,
    VARIABLES,
    PreparedWorkspace,
    check_diagnostics,
    check_error_lines,
    check_run,
    fuzz_settings,
    manifest_seeds,
    mutated_texts,
    reset_directory,
    snapshot,
    tree,
)

SEEDS = manifest_seeds()
MAX_DEPTH = 6

# --- (a) structurally random YAML -------------------------------------------------------------

KEYS = (
    *("objects", "lists", "webhooks", "attributes", "type", "options", "statuses", "title"),
    *("singular_noun", "plural_noun", "parent_object", "target_url", "subscriptions"),
    *("event_type", "filter", "ref", "renamed_from", "currency", "relationship"),
    *("allowed_objects", "default_value", "template", "workspace_access", "name"),
    *("<<", "1", "0x10", "null", "~", "true", "''", '""', "a b", "é", "-x", "x:y", "? x"),
    *("[a]", "{a: 1}", "!!str k", "!!int 1", "!!binary aGk=", "!foo k", "&k key", "*k"),
    *("projects", "companies", "stage", "Projects", "UPPER", "with space", "ünïcödé"),
)
PLAIN_SCALARS = (
    *("~", "null", "Null", "true", "False", "yes", "on", "no", "0x1F", "0o17", "017", "1_000"),
    *("1e400", "-.inf", ".nan", ".NaN", "+12", "-0", "3.", "1:30", "2001-12-14t21:59:43.10-05:00"),
    *("P14D", "P", "companies", "people", "select", "status", "text", "record-reference"),
    *("https://hooks.example.com/h", "http://x", "record.created", "USD", "usd", "EUR"),
    *("objects/projects", "lists/key_accounts", "webhooks/x", "full-access", "current-user"),
    *("dynamic", "static", "Planned", "é", "🎉", "''", '""', "'it''s'", "x" * 300),
)
TAGGED_SCALARS = (
    *("!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!!set {a}", "!!omap [a: 1]"),
    *("!custom x", "!<tag:example.com,2000:x> y", "!e!thing z", "!!float abc", "!!int 1.5"),
    *("!!int 0x1f", "!!bool yes", "!!null x", "!!str 12", "!!float .inf"),
    "!!python/name:os.system",
    *("!!python/object/apply:os.system [ls]", "!!merge <<", "!! x", "! y"),
)
PROPERTIES = ("", "", "", "", " &a", " &b", " !custom", " !!str", " !!map", " !!seq", " !!binary")


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar, escaping all but printable ASCII (so control
    characters, NUL and lone surrogates reach the data through escapes)."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in string.printable[:95] and ch not in '"\\':
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


scalars = st.one_of(
    st.sampled_from(PLAIN_SCALARS),
    st.sampled_from(TAGGED_SCALARS),
    st.text(max_size=12).map(double_quoted),
    st.sampled_from(['"\\ud800"', '"\\x00"', '"a\\nb"', '"\\u2028"', '"\\t"', '"\\x85"']),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
)


def _flow(draw: st.DrawFn, depth: int) -> str:
    """A flow collection, `[a, b]` or `{k: v}`, maybe nested."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        nested = depth < MAX_DEPTH and draw(st.integers(0, 3)) == 0
        items.append(_flow(draw, depth + 1) if nested else draw(scalars))
    if draw(st.booleans()):
        return "[" + ", ".join(items) + "]"
    keys = [draw(st.sampled_from(KEYS)) for _ in items]
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items, strict=True)) + "}"


def _node(draw: st.DrawFn, depth: int, indent: int) -> str:
    """What follows `key:` or `-`: a scalar, a flow collection, an alias or a nested block."""
    choice = draw(st.integers(0, 10 if depth < MAX_DEPTH else 4))
    prop = draw(st.sampled_from(PROPERTIES))
    pad = " " * (indent + 2)
    if choice <= 3:
        return f"{prop} {draw(scalars)}\n"
    if choice == 4:
        return f"{prop} {draw(st.sampled_from('|>'))}\n{pad}line one\n{pad}  line: two\n"
    if choice <= 6:
        return f"{prop} {_flow(draw, depth + 1)}\n"
    if choice == 7:
        return f" *{draw(st.sampled_from('abc'))}\n"
    if choice <= 9:
        return prop + "\n" + _block_map(draw, depth + 1, indent + 2)
    return prop + "\n" + _block_sequence(draw, depth + 1, indent + 2)


def _block_map(draw: st.DrawFn, depth: int, indent: int) -> str:
    pad = " " * indent
    lines = "".join(
        f"{pad}{draw(st.sampled_from(KEYS))}:{_node(draw, depth, indent)}"
        for _ in range(draw(st.integers(0, 4)))
    )
    if draw(st.integers(0, 6)) == 0:
        lines += f"{pad}<<: *{draw(st.sampled_from('ab'))}\n"
    return lines


def _block_sequence(draw: st.DrawFn, depth: int, indent: int) -> str:
    pad = " " * indent
    return "".join(f"{pad}-{_node(draw, depth, indent)}" for _ in range(draw(st.integers(0, 3))))


@st.composite
def yaml_documents(draw: st.DrawFn) -> bytes:
    """Random YAML text, mostly manifest-shaped at the top."""
    head = draw(
        st.sampled_from(
            [
                *("", "", "\ufeff", "%YAML 1.2\n---\n", "%YAML 1.1\n---\n", "--- !!map\n"),
                *("---\n", "%TAG !e! tag:example.com,2000:\n---\n", "--- |\n  text\n"),
            ]
        )
    )
    top_level_list = draw(st.integers(0, 5)) == 0
    body = _block_sequence(draw, 0, 0) if top_level_list else _block_map(draw, 0, 0)
    tail = draw(st.sampled_from(["", "", "...\n", "---\nx: 1\n", "# end", "\n\n", "--- \n"]))
    return (head + body + tail).encode("utf-8", "surrogatepass")


# --- (b) mutated manifest text ----------------------------------------------------------------

# --- (c) mutated manifest data ----------------------------------------------------------------


def _seed_data() -> list[dict[str, Any]]:
    """Every seed that renders and loads to a map, as data (both environments)."""
    documents = []
    for text in SEEDS:
        for environment in ("dev", "prod"):
            try:
                rendered = render(text, "seed", variables=VARIABLES, environment=environment)
                data = load_yaml(rendered, "seed").data
            except ManifestError:
                continue
            if isinstance(data, dict) and data not in documents:
                documents.append(data)
    return documents


SEED_DATA = _seed_data()
WORDS = (
    *("", "companies", "people", "projects", "select", "status", "text", "number", "P1D"),
    *("current-user", "dynamic", "static", "USD", "objects/projects", "lists/key_accounts"),
    *("full-access", "read-only", "record.created", "https://hooks.example.com/x", "ref", "title"),
    *("renamed_from", "Planned", "a b", "x" * 200, "é", "🎉", "a\nb", "\u2028", "\ud800", "\x00"),
)
values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(WORDS),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=3),
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_data(draw: st.DrawFn) -> bytes:
    """A seed's data with keys deleted, duplicated or renamed and values retyped or swapped."""
    document = copy.deepcopy(draw(st.sampled_from(SEED_DATA)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _at(document, path[:-1]), path[-1]
        other = _at(document, draw(st.sampled_from(paths)))
        operation = draw(st.sampled_from(["delete", "retype", "copy", "swap", "add", "rename"]))
        if operation == "delete":
            del parent[key]
        elif operation == "retype":
            parent[key] = draw(values)
        elif operation == "copy":
            parent[key] = copy.deepcopy(other)
        elif operation == "swap" and isinstance(other, dict | list) and other:
            other_key = draw(st.sampled_from(list(other) if isinstance(other, dict) else [0]))
            parent[key], other[other_key] = copy.deepcopy(other[other_key]), parent[key]
        elif operation == "add" and isinstance(parent, dict):
            new_key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))
            parent[new_key] = copy.deepcopy(parent[key])
        elif operation == "add":
            parent.append(copy.deepcopy(parent[key]))
        elif operation == "rename" and isinstance(parent, dict):
            new_key = draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))
            parent[new_key] = parent.pop(key)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
    return (text).encode("utf-8", "surrogatepass")


any_manifest = st.one_of(mutated_texts(SEEDS), mutated_data(), yaml_documents())

# --- properties, in process -------------------------------------------------------------------


def load_checked(files: dict[str, bytes], environment: str = "dev") -> None:
    """Write `files` (relative name -> bytes) and load them: success, or located problems."""
    for name, raw in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_bytes(raw)
    try:
        load_manifests([Path(name) for name in files], variables=VARIABLES, environment=environment)
    except ManifestError as exc:
        check_diagnostics(exc.diagnostics, files)


@fuzz_settings(120)
@given(document=yaml_documents())
def test_random_yaml_loads_or_fails_with_located_one_line_problems(document: bytes) -> None:
    load_checked({"m.yaml": document})


@fuzz_settings(200)
@given(text=mutated_texts(SEEDS), environment=st.sampled_from(["dev", "prod"]))
def test_mutated_manifest_text_loads_or_fails_with_located_problems(
    text: bytes, environment: str
) -> None:
    load_checked({"m.yaml": text}, environment)


@fuzz_settings(150)
@given(data=mutated_data(), with_rich=st.booleans())
def test_mutated_manifest_data_loads_or_fails_with_located_problems(
    data: bytes, with_rich: bool
) -> None:
    files = {"a.yaml": data}
    if with_rich:  # a second file: the same item twice, references across files
        files["b.yaml"] = RICH_MANIFEST.encode()
    load_checked(files)


# --- property, through the CLI ----------------------------------------------------------------

PROJECT_FILE = """\
version: 1
default_environment: dev
environments:
  dev:
    workspace: local:ws.db
    vars: {webhook_host: hooks.example.com, fund_currency: USD, fund_size: 1, fund_count: 0}
  prod:
    workspace: local:ws.db
    vars: {webhook_host: hooks.prod.example.com, fund_currency: EUR, hook_hosts: [a.example.com]}
"""


@fuzz_settings(50)
@given(manifest=any_manifest, with_rich=st.booleans(), environment=st.sampled_from(["dev", "prod"]))
def test_validate_and_plan_exit_cleanly_and_never_write(
    prepared_workspace: PreparedWorkspace,
    isolated: Path,
    manifest: bytes,
    with_rich: bool,
    environment: str,
) -> None:
    project = isolated / "project"
    reset_directory(project / "manifests")
    files = {"project/schemactl.yaml": PROJECT_FILE.encode(), "project/manifests/m.yaml": manifest}
    if with_rich:
        files["project/manifests/rich.yaml"] = RICH_MANIFEST.encode()
    for name, raw in files.items():
        Path(name).write_bytes(raw)
    prepared_workspace.copy_to(project / "ws.db")
    before = tree(project)
    for command in ("validate", "plan"):
        run = schemactl("-C", "project", "-e", environment, command)
        event(f"{command} exit {run.exit_code}")
        check_run(run, files, command=command)
        assert tree(project) == before, f"{command} changed a file of the project"
    assert snapshot(project / "ws.db") == prepared_workspace.before


# --- regressions: crashes and misplaced positions the fuzzing found ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        # The parser pointed one line past a last line without a newline (the end of input).
        'objects:\n  x: {{ "{a: [\\n\\n\\n" }}',
        '{{ "[\\n" }}\n{{ "\\n" }}',
        'lists: [{{ "\\n" }}{{ "\\n\\"\\n" }}',
        # Lines an expression added, resembling no source line, kept their rendered numbers.
        '    attributes:{{ "\\n" }}    attributes:',
        '{{ "#\\n- #" }}{{ "#\\n- #" }}objects:',
        '{{ "\\x85" }}objects:{#- c -#}\n{{ "\\x85" }}objects:{#- c -#}',
        # A column past the end of its source line.
        '{#- c -#}{{ "\\n" }}\n{#- c -#}  - target_url: h\n{#- c -#}  - target_url: h\n',
    ],
)
def test_positions_in_rendered_templates_stay_inside_the_file(text: str) -> None:
    Path("m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifests([Path("m.yaml")], variables={}, environment="dev")
    check_diagnostics(caught.value.diagnostics, {"m.yaml": text.encode()})


def test_an_error_at_the_end_of_a_rendered_file_points_at_its_last_line() -> None:
    text = 'objects:\n  x: {{ "{a: [\\n\\n\\n" }}'  # no newline at the end
    Path("m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifests([Path("m.yaml")], variables={}, environment="dev")
    (problem,) = caught.value.diagnostics
    assert (problem.location.line, problem.location.column) == (2, 1)  # was 3:1, past the end


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('objects:\n  "a\\nb": {}\n', "invalid object slug 'a\\nb'"),
        ('objects:\n  x:\n    "k\\ry": 1\n', "unknown key 'k\\ry'"),
        (
            "webhooks:\n  - target_url: https://a.example.com/x\n"
            '    subscriptions: [{event_type: "record\\u2028created"}]\n',
            "unknown webhook event type 'record\\u2028created'",
        ),
        ('lists:\n  l: {parent_object: "x\\x85y"}\n', "parent_object 'x\\x85y'"),
    ],
)
def test_text_quoted_in_a_problem_is_escaped_onto_one_line(text: str, shown: str) -> None:
    Path("manifests").mkdir()
    Path("manifests/m.yaml").write_text(text, encoding="utf-8")
    run = schemactl("validate")
    assert run.exit_code == 1
    check_error_lines(run.stderr, {"manifests/m.yaml": text.encode()})
    assert shown in run.stderr


def test_a_surrogate_escape_is_refused_at_its_place_before_plan_could_print_it() -> None:
    # A lone surrogate passed validation, then plan failed printing it (UnicodeEncodeError).
    text = (
        "objects:\n  projects:\n    singular_noun: Project\n    plural_noun: Projects\n"
        '    attributes:\n      tags: {type: select, options: [A, "\\ud83d"]}\n'
    )
    Path("manifests").mkdir()
    Path("manifests/m.yaml").write_text(text, encoding="utf-8")
    for command in ("validate", "plan"):
        run = schemactl(command)
        assert run.exit_code == 1
        assert run.stderr.startswith(
            "manifests/m.yaml:6:41: this text holds a surrogate escape such as \\ud83d"
        ), run.stderr
        assert run.stderr.rstrip().endswith("(at objects.projects.attributes.tags.options[1])")
    assert not Path(".schemactl").exists()  # refused before any workspace was opened


# --- regressions: characters YAML refuses, bytes that are not UTF-8 -----------------------------


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ufffe"])
def test_a_character_yaml_refuses_is_a_located_problem(character: str) -> None:
    text = f"objects:\n  a{character}b: {{}}\n"
    Path("manifests").mkdir()
    Path("manifests/m.yaml").write_text(text, encoding="utf-8")
    run = schemactl("validate")
    assert run.exit_code == 1
    assert run.stderr.startswith("manifests/m.yaml:2:4: "), run.stderr
