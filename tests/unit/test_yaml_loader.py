"""The YAML loader: plain data, 1-based marks, YAML 1.2 core scalars and the safety limits."""

from __future__ import annotations

import math

import pytest

from schemactl.errors import Location, ManifestError
from schemactl.manifest.yaml_loader import (
    MAX_FILE_BYTES,
    Document,
    format_key_path,
    load_yaml,
)

FILE = "m.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_yaml(text, FILE)
    return info.value.lines()


BLOCK_AND_FLOW = """\
a: 1
b:
  c: [x, {y: 2}]
  d:
    - p
    - q: r
"""


def test_data_from_block_and_flow_style():
    assert load_yaml(BLOCK_AND_FLOW, FILE).data == {
        "a": 1,
        "b": {"c": ["x", {"y": 2}], "d": ["p", {"q": "r"}]},
    }


def test_key_marks_are_one_based_line_and_column_of_each_key():
    document = load_yaml(BLOCK_AND_FLOW, FILE)
    assert document.key_marks == {
        ("a",): (1, 1),
        ("b",): (2, 1),
        ("b", "c"): (3, 3),
        ("b", "c", 1, "y"): (3, 11),
        ("b", "d"): (4, 3),
        ("b", "d", 1, "q"): (6, 7),
    }


def test_value_marks_are_one_based_line_and_column_of_each_value():
    document = load_yaml(BLOCK_AND_FLOW, FILE)
    assert document.value_marks == {
        (): (1, 1),
        ("a",): (1, 4),
        ("b",): (3, 3),
        ("b", "c"): (3, 6),
        ("b", "c", 0): (3, 7),
        ("b", "c", 1): (3, 10),
        ("b", "c", 1, "y"): (3, 14),
        ("b", "d"): (5, 5),
        ("b", "d", 0): (5, 7),
        ("b", "d", 1): (6, 7),
        ("b", "d", 1, "q"): (6, 10),
    }


def test_marks_in_nested_lists():
    document = load_yaml("top:\n  - [a, [b, c]]\n  -\n    - d\n", FILE)
    assert document.data == {"top": [["a", ["b", "c"]], ["d"]]}
    assert document.value_marks[("top", 0)] == (2, 5)
    assert document.value_marks[("top", 0, 1)] == (2, 9)
    assert document.value_marks[("top", 0, 1, 1)] == (2, 13)
    assert document.value_marks[("top", 1, 0)] == (4, 7)


def test_location_uses_the_file_name_and_marks():
    document = load_yaml(BLOCK_AND_FLOW, FILE)
    assert document.location(("b", "c", 1, "y")) == Location(FILE, 3, 14)
    assert document.location(("b", "c", 1, "y"), at_key=True) == Location(FILE, 3, 11)
    assert str(document.location(("b", "d", 1, "q"))) == "m.yaml:6:10"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("off", "off"),
        ("no", "no"),
        ("y", "y"),
        ("1:30", "1:30"),
        ("2024-01-01", "2024-01-01"),
        ("1_000", "1_000"),
        ("010", 10),
        ("0x1F", 31),
        ("0o17", 15),
        ("0o8", "0o8"),
        ("-42", -42),
        ("+12", 12),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("~", None),
        ("null", None),
        ("NULL", None),
        ("", None),
        ("True", True),
        ("true", True),
        ("FALSE", False),
        ("'true'", "true"),
        ("'010'", "010"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text, value):
    loaded = load_yaml(f"k: {text}\n", FILE).data["k"]
    assert loaded == value
    assert type(loaded) is type(value)


def test_nan_is_a_float_and_signed_nan_is_text():
    data = load_yaml("a: .nan\nb: .NaN\nc: -.nan\n", FILE).data
    assert math.isnan(data["a"])
    assert math.isnan(data["b"])
    assert data["c"] == "-.nan"


def test_keys_are_text_as_written():
    data = load_yaml("on: 1\nyes: 2\n3: 3\n1.0: 5\nnull: 6\ntrue: 7\n~: 8\n0x1F: 9\n", FILE).data
    # Keys are text, as in JSON: `3:`, `null:` and `true:` mean "3", "null" and "true".
    assert data == {
        "on": 1,
        "yes": 2,
        "3": 3,
        "1.0": 5,
        "null": 6,
        "true": 7,
        "~": 8,
        "0x1F": 9,
    }
    assert all(type(key) is str for key in data)


def test_a_plain_key_and_a_quoted_key_with_the_same_text_are_duplicates():
    assert problems("3: 3\n'3': 4\n") == [
        "m.yaml:2:1: duplicate key '3' (first defined at line 1, column 1)"
    ]
    assert problems("true: 1\n'true': 2\n") == [
        "m.yaml:2:1: duplicate key 'true' (first defined at line 1, column 1)"
    ]


def test_explicit_standard_tags_are_allowed():
    assert load_yaml("a: !!str 1\nb: !!int '3'\n", FILE).data == {"a": "1", "b": 3}


def test_duplicate_keys_name_the_first_location():
    assert problems("a: 1\nb: 2\na: 3\n") == [
        "m.yaml:3:1: duplicate key 'a' (first defined at line 1, column 1)"
    ]


def test_duplicate_keys_in_flow_and_nested_maps():
    assert problems("x: {a: 1, a: 2}\n") == [
        "m.yaml:1:11: duplicate key 'a' (first defined at line 1, column 5)"
    ]
    assert problems("top:\n  inner:\n    k: 1\n    j: 2\n    k: 3\n") == [
        "m.yaml:5:5: duplicate key 'k' (first defined at line 3, column 5)"
    ]


def test_the_same_key_in_different_maps_is_not_a_duplicate():
    assert load_yaml("a: {k: 1}\nb: {k: 2}\n", FILE).data == {"a": {"k": 1}, "b": {"k": 2}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "x: !!python/object/apply:os.system ['ls']\n",
            "m.yaml:1:4: YAML tag '!!python/object/apply:os.system' is not allowed in a manifest",
        ),
        ("x: !custom 1\n", "m.yaml:1:4: YAML tag '!custom' is not allowed in a manifest"),
        ("x: !custom [1]\n", "m.yaml:1:4: YAML tag '!custom' is not allowed in a manifest"),
        (
            "a: 1\nb:\n  c: !custom {k: v}\n",
            "m.yaml:3:6: YAML tag '!custom' is not allowed in a manifest",
        ),
        (
            "x: !!binary aGVsbG8=\n",
            "m.yaml:1:4: YAML tag '!!binary' is not allowed in a manifest",
        ),
        (
            "x: !!set {a, b}\n",
            "m.yaml:1:4: YAML tag '!!set' is not allowed in a manifest",
        ),
        (
            "- ok\n- !!timestamp 2024-01-01\n",
            "m.yaml:2:3: YAML tag '!!timestamp' is not allowed in a manifest",
        ),
    ],
)
def test_disallowed_tags_are_rejected_with_their_location(text, message):
    assert problems(text) == [message]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x: !!int abc\n", "'abc' is not a valid int"),
        ("x: !!float abc\n", "'abc' is not a valid float"),
        ("x: !!int 0x\n", "'0x' is not a valid int"),
    ],
)
def test_explicit_number_tag_on_non_number_is_a_located_problem(text, message):
    with pytest.raises(ManifestError) as info:
        load_yaml(text, FILE)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.location == Location(FILE, 1, 4)
    assert diagnostic.message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x: !!bool yes\n", "'yes' is not a valid bool"),
        ("x: !!null abc\n", "'abc' is not a valid null"),
    ],
)
def test_explicit_bool_or_null_tag_on_other_text_is_a_located_problem(text, message):
    with pytest.raises(ManifestError) as info:
        load_yaml(text, FILE)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.location == Location(FILE, 1, 4)
    assert diagnostic.message == message


def test_a_bad_explicit_tag_on_a_key_is_a_located_problem():
    assert problems("a: 1\n!!int abc: 2\n") == ["m.yaml:2:1: 'abc' is not a valid int"]


def test_mapping_keys_must_be_scalars():
    assert problems("[1, 2]: x\n") == [
        "m.yaml:1:1: mapping keys must be plain values, not lists or maps"
    ]


MERGE = """\
base: &base {a: 1, b: 2}
other: &other {b: 3, c: 4}
merged:
  <<: [*base, *other]
  a: 9
"""


def test_merge_keys_explicit_keys_win_and_earlier_sources_win():
    data = load_yaml(MERGE, FILE).data
    assert data["merged"] == {"a": 9, "b": 2, "c": 4}
    assert data["base"] == {"a": 1, "b": 2}
    assert data["other"] == {"b": 3, "c": 4}


def test_merge_key_with_a_single_map_and_explicit_key_before_it():
    data = load_yaml("base: &b {a: 1, b: 2}\nm:\n  a: 9\n  <<: *b\n", FILE).data
    assert data["m"] == {"a": 9, "b": 2}


def test_merge_key_with_an_inline_map():
    assert load_yaml("m:\n  <<: {a: 1}\n  b: 2\n", FILE).data == {"m": {"a": 1, "b": 2}}


def test_merge_key_accepts_only_maps():
    assert problems("<<: 5\n") == ["m.yaml:1:5: '<<' merges only maps"]
    assert problems("m:\n  <<: [{a: 1}, 3]\n") == ["m.yaml:2:16: '<<' merges only maps"]


def test_quoted_merge_key_is_an_ordinary_key():
    assert load_yaml("'<<': 1\n", FILE).data == {"<<": 1}


def test_explicit_key_after_merge_keeps_its_own_value_mark():
    document = load_yaml("base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  a: 9\n", FILE)
    assert document.data["m"]["a"] == 9
    assert document.value_marks[("m", "a")] == (4, 6)


def test_explicit_key_before_merge_keeps_its_own_key_mark():
    document = load_yaml("base: &b {a: 1, b: 2}\nm:\n  a: 9\n  <<: *b\n", FILE)
    assert document.data["m"]["a"] == 9
    assert document.key_marks[("m", "a")] == (3, 3)


def test_aliases_are_expanded():
    assert load_yaml("a: &x [1, 2]\nb: *x\nc: &s v\nd: *s\n", FILE).data == {
        "a": [1, 2],
        "b": [1, 2],
        "c": "v",
        "d": "v",
    }


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join(f"*{previous}" for _ in range(9)) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_stopped_with_a_located_message():
    # Reported at the alias whose expansion crosses the limit: the first *d on line 5. Before
    # it, b, c and d expand 90 + 819 + 7,380 alias nodes; that *d alone brings 7,381 more.
    assert problems(_alias_bomb()) == [
        "m.yaml:5:8: YAML aliases expand to more than 10,000 nodes (an alias bomb?); "
        "write the repeated parts out or use fewer aliases"
    ]


def test_depth_limit_allows_64_levels_below_the_root():
    assert load_yaml("[" * 65 + "]" * 65, FILE).data is not None


def test_depth_limit_is_located():
    assert problems("[" * 66 + "]" * 66) == ["m.yaml:1:66: YAML is nested more than 64 levels deep"]
    block = "".join("  " * i + f"k{i}:\n" for i in range(65)) + "  " * 65 + "v\n"
    assert problems(block) == ["m.yaml:66:131: YAML is nested more than 64 levels deep"]


def test_nesting_too_deep_for_the_parser_is_reported_not_raised():
    assert problems("[" * 2000 + "]" * 2000) == [
        "m.yaml:1:1: YAML is nested too deeply to be a manifest"
    ]


def test_file_over_5_mb_is_refused_before_parsing():
    assert MAX_FILE_BYTES == 5 * 1024 * 1024
    assert problems("#" + "x" * MAX_FILE_BYTES) == [
        "m.yaml:1:1: file is 5,242,881 bytes, over the 5,242,880-byte manifest limit"
    ]


def test_size_limit_counts_utf8_bytes_not_characters():
    text = "é" * (MAX_FILE_BYTES // 2 + 1)
    assert len(text) < MAX_FILE_BYTES
    assert problems(text) == [
        "m.yaml:1:1: file is 5,242,882 bytes, over the 5,242,880-byte manifest limit"
    ]


def test_multiple_documents_are_refused_at_the_second_one():
    assert problems("a: 1\n---\nb: 2\n") == [
        "m.yaml:2:1: YAML syntax error: expected a single document in the stream, "
        "but found another document"
    ]


def test_syntax_errors_are_located():
    # An unclosed flow collection is shown where it opens.
    assert problems("x: [1, 2") == [
        "m.yaml:1:4: YAML syntax error: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence)"
    ]
    assert problems("x: 1\n y: 2\n") == [
        "m.yaml:2:3: YAML syntax error: mapping values are not allowed here"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file_gives_data_none(text):
    document = load_yaml(text, FILE)
    assert document.data is None
    assert document.key_marks == {}
    assert document.value_marks == {}
    assert document.location(("objects", "x")) == Location(FILE, 1, 1)


def test_document_marker_alone_gives_data_none_located_after_the_marker():
    document = load_yaml("---\n", FILE)
    assert document.data is None
    assert document.location(("objects", "x")) == Location(FILE, 2, 1)


def test_location_of_a_missing_path_falls_back_to_the_nearest_enclosing_value():
    document = load_yaml(BLOCK_AND_FLOW, FILE)
    assert document.location(("b", "c", 7)) == Location(FILE, 3, 6)
    assert document.location(("b", "d", 1, "missing")) == Location(FILE, 6, 7)
    assert document.location(("b", "missing", "deeper")) == Location(FILE, 3, 3)


def test_location_at_key_falls_back_to_the_nearest_enclosing_key():
    document = load_yaml(BLOCK_AND_FLOW, FILE)
    assert document.location(("b", "missing"), at_key=True) == Location(FILE, 2, 1)
    assert document.location(("b", "d", 1, "q", "x"), at_key=True) == Location(FILE, 6, 7)
    # A list index has no key mark of its own: the key holding the list is used.
    assert document.location(("b", "d", 0), at_key=True) == Location(FILE, 4, 3)


def test_location_of_an_unknown_top_level_key_is_the_root_value():
    document = load_yaml("\n\n  a: 1\n", FILE)
    assert document.location(("zzz",)) == Location(FILE, 3, 3)
    assert document.location(("zzz",), at_key=True) == Location(FILE, 3, 3)


def test_location_uses_a_key_mark_when_a_value_mark_is_missing():
    document = Document(FILE, {"a": {}}, key_marks={("a",): (2, 1)}, value_marks={})
    assert document.location(("a", "b")) == Location(FILE, 2, 1)
    assert document.location(()) == Location(FILE, 1, 1)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("objects",), "objects"),
        (("objects", "projects", "attributes"), "objects.projects.attributes"),
        (("webhooks", 2, "subscriptions", 0), "webhooks[2].subscriptions[0]"),
        ((0, "a"), "[0].a"),
    ],
)
def test_format_key_path(path, text):
    assert format_key_path(path) == text
