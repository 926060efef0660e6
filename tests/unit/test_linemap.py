"""Positions reported in rendered templates point into the file the user wrote."""

from __future__ import annotations

import pytest

from schemactl.errors import ManifestError
from schemactl.manifest import load_manifests
from schemactl.manifest.linemap import LineMap

SOURCE = """\
objects:
{% if env == "prod" %}
  audit:
    singular_noun: Audit
    plural_noun: Audits
{% endif %}
  projects:
    singular_noun: {{ vars.noun }}
    plural_noun: Projects
    attributes:
      a: {type: numbr}
      b: {type: select, options: [{{ vars.opt }}, Y, 3]}
"""


def test_identical_text_maps_to_itself():
    assert LineMap("a: 1\n", "a: 1\n").to_source(1, 4) == (1, 4)


def test_lines_after_a_dropped_block_map_back():
    line_map = LineMap("a\n{% if x %}\nb\n{% endif %}\nc\n", "a\n\nc\n")
    assert line_map.to_source(3, 1) == (5, 1)


def test_columns_after_a_substituted_expression_map_back():
    line_map = LineMap("k: [{{ v }}, Y, 3]\n", "k: [Xylophone, Y, 3]\n")
    assert line_map.to_source(1, 19) == (1, 17)  # the `3`
    assert line_map.to_source(1, 6) == (1, 5)  # inside the substitution: the expression


def test_unalignable_lines_are_left_as_rendered():
    line_map = LineMap("{% for i in range(3) %}x{{ i }}\n{% endfor %}", "x0\nx1\nx2\n")
    assert line_map.to_source(2, 1) == (2, 1)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_manifest_errors_point_at_the_source_line_in_every_environment(tmp_path, environment):
    path = tmp_path / "m.yaml"
    path.write_text(SOURCE)
    with pytest.raises(ManifestError) as caught:
        load_manifests([path], variables={"noun": "Project", "opt": "X"}, environment=environment)
    positions = [(d.location.line, d.location.column, d.key_path) for d in caught.value.diagnostics]
    assert positions == [
        (11, 17, "objects.projects.attributes.a.type"),
        (12, 54, "objects.projects.attributes.b.options[2]"),
    ]


def test_yaml_syntax_errors_point_at_the_source_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("{% if false %}\nx: 1\ny: 2\n{% endif %}\nobjects:\n  a: [1, 2\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([path], variables={}, environment="dev")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message.startswith("YAML syntax error")
    assert (diagnostic.location.line, diagnostic.location.column) == (6, 6)


LOOP = """\
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
{% for name in vars.names %}
      {{ name }}:
        title: {{ name | title }}
        type: numbr
{% endfor %}
      owner:
        type: numbr
"""


def _diagnostics(tmp_path, text: str, variables: dict) -> list[tuple[int, int, str, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifests([path], variables=variables, environment="dev")
    return [
        (d.location.line, d.location.column, d.message, d.key_path)
        for d in caught.value.diagnostics
    ]


def test_an_error_in_a_loop_body_is_reported_at_the_body_line_for_every_iteration(tmp_path):
    numbr = "unknown attribute type 'numbr' (did you mean 'number'?)"
    names = ["alpha", "beta", "gamma", "delta"]
    # Ties at one place are ordered by key path.
    assert _diagnostics(tmp_path, LOOP, {"names": names}) == [
        *((9, 15, numbr, f"objects.projects.attributes.{name}.type") for name in sorted(names)),
        # After the loop, lines map back to their own place again.
        (12, 15, numbr, "objects.projects.attributes.owner.type"),
    ]


LOOP_WITH_SUBSTITUTED_VALUE = """\
webhooks:
{% for event in vars.events %}
  - target_url: https://hooks.example.com/{{ loop.index }}
    subscriptions:
      - event_type: {{ event }}
{% endfor %}
"""


def test_an_error_in_a_substituted_loop_value_points_at_its_expression(tmp_path):
    events = ["record.upserted", "record.upserted", "record.upserted"]
    upserted = "unknown webhook event type 'record.upserted' (did you mean 'record.updated'?)"
    assert _diagnostics(tmp_path, LOOP_WITH_SUBSTITUTED_VALUE, {"events": events}) == [
        (5, 21, upserted, f"webhooks[{index}].subscriptions[0].event_type") for index in range(3)
    ]


def test_every_iteration_maps_to_the_body_line_however_long_the_substituted_value(tmp_path):
    events = ["record.upserted", "list-entry.deleted-forever"]
    assert [
        (line, column, key_path)
        for line, column, _, key_path in _diagnostics(
            tmp_path, LOOP_WITH_SUBSTITUTED_VALUE, {"events": events}
        )
    ] == [
        # Same place, so ordered by message: 'list-entry.deleted-forever' sorts first.
        (5, 21, "webhooks[1].subscriptions[0].event_type"),
        (5, 21, "webhooks[0].subscriptions[0].event_type"),
    ]


def test_duplicate_key_after_a_dropped_block_names_the_source_line_of_the_first(tmp_path):
    text = "{% if false %}\nx: 1\n{% endif %}\na: 1\na: 2\n"
    assert _diagnostics(tmp_path, text, {}) == [
        (5, 1, "duplicate key 'a' (first defined at line 4, column 1)", "")
    ]
