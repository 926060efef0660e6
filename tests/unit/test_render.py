"""Template rendering: variables, getenv, strict undefined, the sandbox and the size cap."""

from __future__ import annotations

import pytest

from schemactl.errors import ManifestError
from schemactl.manifest.render import render
from schemactl.manifest.yaml_loader import MAX_FILE_BYTES

FILE = "manifests/m.yaml"
UNSET = "SCHEMACTL_TEST_SURELY_UNSET_VARIABLE"


def rendered(text: str, variables: dict | None = None, environment: str = "dev") -> str:
    return render(text, FILE, variables=variables or {}, environment=environment)


def problems(text: str, variables: dict | None = None, environment: str = "dev") -> list[str]:
    with pytest.raises(ManifestError) as info:
        rendered(text, variables, environment)
    return info.value.lines()


def test_vars_and_env_are_available():
    text = "host: {{ vars.webhook_host }}\nwhere: {{ env }}\nn: {{ vars.n + 1 }}\n"
    assert rendered(text, {"webhook_host": "hooks.example.com", "n": 1}, "prod") == (
        "host: hooks.example.com\nwhere: prod\nn: 2\n"
    )


def test_vars_can_be_indexed_like_a_map():
    assert rendered("a: {{ vars['x'] }}\n", {"x": "y"}) == "a: y\n"


def test_env_selects_conditional_text():
    text = "a: 1\n{% if env == 'prod' %}b: 2\n{% endif %}"
    assert rendered(text, environment="prod") == "a: 1\nb: 2\n"
    assert rendered(text, environment="dev") == "a: 1\n"


def test_getenv_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv(UNSET, "from-env")
    assert rendered(f"a: {{{{ getenv('{UNSET}') }}}}\n") == "a: from-env\n"
    assert rendered(f"a: {{{{ getenv('{UNSET}', 'default') }}}}\n") == "a: from-env\n"


def test_getenv_default_is_used_when_unset(monkeypatch):
    monkeypatch.delenv(UNSET, raising=False)
    assert rendered(f"a: {{{{ getenv('{UNSET}', 'fallback') }}}}\n") == "a: fallback\n"
    assert rendered(f"a: {{{{ getenv('{UNSET}', '') }}}}|\n") == "a: |\n"
    assert rendered(f"a: {{{{ getenv('{UNSET}', 'x') | upper }}}}\n") == "a: X\n"


def test_getenv_of_an_empty_variable_is_the_empty_string(monkeypatch):
    monkeypatch.setenv(UNSET, "")
    assert rendered(f"a: '{{{{ getenv('{UNSET}', 'fallback') }}}}'\n") == "a: ''\n"


def test_getenv_unset_without_default_names_the_variable(monkeypatch):
    monkeypatch.delenv(UNSET, raising=False)
    assert problems(f"a: 1\nb: {{{{ getenv('{UNSET}') }}}}\n") == [
        f"manifests/m.yaml:2:4: environment variable {UNSET} is not set "
        "and getenv() was given no default"
    ]


TOKEN_REFUSED = (
    "getenv() cannot read {name}: it holds an Attio API token, which never belongs in a manifest"
)
SECRET = "sk_test_never_print_me_0123456789"


@pytest.mark.parametrize(
    "call", ["getenv('ATTIO_API_TOKEN')", "getenv('ATTIO_API_TOKEN', 'fallback')"]
)
def test_getenv_refuses_the_attio_api_token(monkeypatch, call):
    monkeypatch.setenv("ATTIO_API_TOKEN", SECRET)
    with pytest.raises(ManifestError) as info:
        rendered(f"a: 1\nb:\n  c: https://{{{{ {call} }}}}/x\n")
    assert info.value.lines() == [
        "manifests/m.yaml:3:14: " + TOKEN_REFUSED.format(name="ATTIO_API_TOKEN")
    ]
    assert SECRET not in str(info.value)
    assert all(SECRET not in line for line in info.value.lines())


def test_getenv_refuses_the_attio_api_token_even_when_it_is_unset(monkeypatch):
    monkeypatch.delenv("ATTIO_API_TOKEN", raising=False)
    assert problems("a: {{ getenv('ATTIO_API_TOKEN') }}\n") == [
        "manifests/m.yaml:1:4: " + TOKEN_REFUSED.format(name="ATTIO_API_TOKEN")
    ]


def test_getenv_refuses_the_protected_variables_it_is_given(monkeypatch):
    monkeypatch.setenv("MY_TOKEN", SECRET)
    with pytest.raises(ManifestError) as info:
        render(
            "a: {{ getenv('MY_TOKEN') }}\n",
            FILE,
            variables={},
            environment="dev",
            protected_variables=frozenset({"MY_TOKEN"}),
        )
    assert info.value.lines() == ["manifests/m.yaml:1:4: " + TOKEN_REFUSED.format(name="MY_TOKEN")]
    assert SECRET not in "\n".join(info.value.lines())
    # Only the names given are protected.
    assert rendered("a: {{ getenv('MY_TOKEN') }}\n") == f"a: {SECRET}\n"


def test_undefined_var_gives_file_line_and_the_column_of_the_name():
    assert problems("a: 1\nb:\n  c: {{ vars.nope }}\n") == [
        "manifests/m.yaml:3:14: undefined template variable: 'vars.nope' is not defined"
    ]


def test_undefined_top_level_name_points_at_the_name():
    assert problems("a: 1\nb:\n  c: {{ nope }}\n") == [
        "manifests/m.yaml:3:9: undefined template variable: 'nope' is undefined"
    ]


def test_undefined_nested_var_points_at_the_missing_part():
    assert problems("a: 1\nb: {{ vars.x.y }}\n", {"x": {}}) == [
        "manifests/m.yaml:2:14: undefined template variable: 'vars.x.y' is not defined"
    ]


def test_undefined_var_inside_a_loop_reports_the_template_line():
    assert problems("{% for i in range(3) %}\n{{ vars.nope }}\n{% endfor %}") == [
        "manifests/m.yaml:2:9: undefined template variable: 'vars.nope' is not defined"
    ]


def test_undefined_var_used_in_a_condition_is_an_error():
    assert problems("a: 1\n{% if vars.flag %}b: 2{% endif %}\n") == [
        "manifests/m.yaml:2:12: undefined template variable: 'vars.flag' is not defined"
    ]


def test_undefined_var_column_points_into_the_expression_even_if_the_key_has_that_name():
    assert problems("webhook_host: {{ vars.webhook_host }}\n") == [
        "manifests/m.yaml:1:23: undefined template variable: 'vars.webhook_host' is not defined"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: {{ ''.__class__ }}\n",
            "manifests/m.yaml:1:10: template tried something the sandbox forbids: "
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "a: {{ ''.__class__.__mro__[1].__subclasses__() }}\n",
            "manifests/m.yaml:1:10: template tried something the sandbox forbids: "
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "a: 1\nb: {{ dict.__subclasses__() }}\n",
            "manifests/m.yaml:2:12: template tried something the sandbox forbids: "
            "access to attribute '__subclasses__' of 'type' object is unsafe.",
        ),
        (
            "a: 1\n\nb: {{ getenv.__globals__['os'] }}\n",
            "manifests/m.yaml:3:14: template tried something the sandbox forbids: "
            "access to attribute '__globals__' of 'function' object is unsafe.",
        ),
        (
            "a: {{ vars.__class__ }}\n",
            "manifests/m.yaml:1:12: template tried something the sandbox forbids: "
            "access to attribute '__class__' of 'dict' object is unsafe.",
        ),
    ],
)
def test_sandbox_blocks_dunder_access(text, message):
    assert problems(text) == [message]


def test_template_syntax_error_reports_its_line():
    assert problems("a: 1\nb: {% if %}\n") == [
        "manifests/m.yaml:2:4: template syntax error: "
        "Expected an expression, got 'end of statement block'"
    ]
    assert problems("a: 1\nb: {{ x \n") == [
        "manifests/m.yaml:2:4: template syntax error: "
        "unexpected end of template, expected 'end of print statement'."
    ]


def test_unknown_filter_is_a_syntax_error_on_its_line():
    assert problems("a: 1\nb: {{ vars.x | nosuchfilter }}\n", {"x": 1}) == [
        "manifests/m.yaml:2:4: template syntax error: No filter named 'nosuchfilter'."
    ]


def test_a_template_runtime_error_is_located():
    assert problems("a: 1\nb: {{ 1 / 0 }}\n") == [
        "manifests/m.yaml:2:4: template error: ZeroDivisionError: division by zero"
    ]


def test_runaway_loop_is_stopped_at_the_size_cap():
    text = (
        "{% for i in range(100000) %}{% for j in range(100000) %}"
        + "x" * 1000
        + "{% endfor %}{% endfor %}"
    )
    assert problems(text) == [
        f"manifests/m.yaml:1:1: rendered manifest exceeds the {MAX_FILE_BYTES:,}-byte limit"
    ]


def test_output_just_under_the_cap_is_rendered():
    text = "{% for i in range(5) %}" + "x" * 1000 + "{% endfor %}"
    assert rendered(text) == "x" * 5000


def test_size_cap_counts_bytes_like_the_loader():
    text = "{% for i in range(3000) %}" + "é" * 1000 + "{% endfor %}"
    assert problems(text) == [
        f"manifests/m.yaml:1:1: rendered manifest exceeds the {MAX_FILE_BYTES:,}-byte limit"
    ]


def test_text_without_templates_is_unchanged_with_trailing_newline_kept():
    assert rendered("a: 1\n") == "a: 1\n"
    assert rendered("a: 1\n\n") == "a: 1\n\n"
    assert rendered("a: 1") == "a: 1"


def test_rendering_keeps_line_numbers_of_unconditional_text():
    text = (
        "# header\n"  # 1
        "{% set host = vars.host %}\n"  # 2
        "a: {{ host }}\n"  # 3
        "{# a comment #}\n"  # 4
        "{% if true %}\n"  # 5
        "b: {{ env }}\n"  # 6
        "{% endif %}\n"  # 7
        "c: 3\n"  # 8
    )
    lines = rendered(text, {"host": "h.example.com"}).split("\n")
    assert lines == [
        "# header",
        "",
        "a: h.example.com",
        "",
        "",
        "b: dev",
        "",
        "c: 3",
        "",
    ]


def test_rendering_the_vc_dealflow_style_trailing_conditional():
    text = 'webhooks:\n  - a\n{% if env == "prod" %}\n  - b\n{% endif %}\n'
    assert rendered(text, environment="prod") == "webhooks:\n  - a\n\n  - b\n\n"
    assert rendered(text, environment="dev") == "webhooks:\n  - a\n\n"
