"""Nothing in a manifest or a project file runs code, reads other files or exhausts the machine.

A manifest may come from anyone who can open a pull request, and CI validates and plans it.
Each payload here would run a command, write a file, read a file or eat memory or time if it
were honoured; schemactl refuses each one with a located message. The proof is in three parts:

- in process: every payload is refused, with the message and the place it is written;
- positive controls: the same payloads, given to an unsafe YAML loader or an unsandboxed Jinja2,
  really do create the canary file, so its absence afterwards means something;
- a real `python -m schemactl validate` over a project holding every payload, watched by a
  Python audit hook (no patching): no process is started, no file is opened for writing, the
  canary never appears, and every file is reported. The resource payloads run the same way,
  under a memory limit, and each stops with its own message.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

from schemactl.errors import ManifestError
from schemactl.manifest.render import render
from schemactl.manifest.template_limits import (
    MAX_CALL_DEPTH,
    MAX_INT_BITS,
    MAX_NESTING,
    MAX_STEPS,
    MAX_TEXT_PRODUCED,
    MAX_VALUE_SIZE,
)
from schemactl.manifest.yaml_loader import load_yaml

FILE = "manifests/payload.yaml"
CANARY = "CANARY"  # replaced by the canary file's path in every payload
_TOO_LARGE = f"template would build a value of over {MAX_VALUE_SIZE:,} characters"
_FORBIDS = "template tried something the sandbox forbids: access to attribute"
_READS_FILES = (
    "is not allowed: a manifest template cannot read other files; use a macro in the same file, "
    "or split the manifest into several files"
)

# name -> (template written on line 2, what the one error line says after the position)
TEMPLATE_PAYLOADS: dict[str, tuple[str, str]] = {
    "mro_subclasses": (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        f"{_FORBIDS} '__class__' of 'str' object is unsafe.",
    ),
    "attr_filter": (
        "{{ vars|attr('__class__') }}",
        f"{_FORBIDS} '__class__' of 'dict' object is unsafe.",
    ),
    "cycler_globals_popen": (
        "{{ cycler.__init__.__globals__.os.popen('touch CANARY').read() }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "lipsum_globals": (
        "{{ lipsum.__globals__['os'].system('touch CANARY') }}",
        "undefined template variable: 'lipsum' is undefined",
    ),
    "template_reference_context": (
        "{{ self._TemplateReference__context.cycler.__init__.__globals__"
        ".os.system('touch CANARY') }}",
        f"{_FORBIDS} '_TemplateReference__context' of 'TemplateReference' object is unsafe.",
    ),
    "namespace_init": (
        "{{ namespace.__init__.__globals__.os.system('touch CANARY') }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "joiner_init": (
        "{{ joiner.__init__.__globals__ }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "getenv_globals": (
        "{{ getenv.__globals__['os'].system('touch CANARY') }}",
        f"{_FORBIDS} '__globals__' of 'function' object is unsafe.",
    ),
    "getenv_code": (
        "{{ getenv.__code__ }}",
        f"{_FORBIDS} '__code__' of 'function' object is unsafe.",
    ),
    "str_format_field": (
        "{{ '{0.__init__.__globals__[os]}'.format(cycler) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "str_format_map_field": (
        "{{ '{c.__init__.__globals__}'.format_map({'c': cycler}) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "format_through_attr_filter": (
        "{{ ('{0.__init__.__globals__}'|attr('format'))(cycler) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "format_kept_in_a_variable": (
        "{% set f = '{0.__init__.__globals__}'.format %}{{ f(cycler) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "markup_format": (
        "{{ ('{0.__init__.__globals__}'|safe).format(cycler) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "printf_format_filter": (
        "{{ '%s'|format(cycler.__init__.__globals__) }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "printf_operator": (
        "{{ '%s' % cycler.__init__ }}",
        f"{_FORBIDS} '__init__' of 'type' object is unsafe.",
    ),
    "type_mro": ("{{ dict.mro() }}", f"{_FORBIDS} 'mro' of 'type' object is unsafe."),
    "int_base_subclasses": (
        "{{ (1).__class__.__base__.__subclasses__() }}",
        f"{_FORBIDS} '__class__' of 'int' object is unsafe.",
    ),
    "generator_frame": (
        "{{ (vars|map('string')).gi_frame.f_globals }}",
        f"{_FORBIDS} 'gi_frame' of 'generator' object is unsafe.",
    ),
    "loop_internals": (
        "{% for x in [1] %}{{ loop._iterator }}{% endfor %}",
        f"{_FORBIDS} '_iterator' of 'LoopContext' object is unsafe.",
    ),
    "list_mutation": (
        "{% set hosts = [] %}{{ hosts.append('x') }}",
        f"{_FORBIDS} 'append' of 'list' object is unsafe.",
    ),
    "include_file": ("{% include '/etc/passwd' %}", f"'{{% include %}}' {_READS_FILES}"),
    "import_file": ("{% import '/etc/passwd' as x %}", f"'{{% import %}}' {_READS_FILES}"),
    "from_import_file": (
        "{% from '/etc/passwd' import x %}",
        f"'{{% from … import %}}' {_READS_FILES}",
    ),
    "extends_file": ("{% extends '/etc/passwd' %}", f"'{{% extends %}}' {_READS_FILES}"),
}

_TAG_REFUSED = "YAML tag '{}' is not allowed in a manifest"
# name -> (YAML text, line, column, message)
YAML_PAYLOADS: dict[str, tuple[str, int, int, str]] = {
    "object_apply_os_system": (
        'objects:\n  projects: !!python/object/apply:os.system ["touch CANARY"]\n',
        2,
        13,
        _TAG_REFUSED.format("!!python/object/apply:os.system"),
    ),
    "object_apply_subprocess": (
        "objects:\n  projects: !!python/object/apply:subprocess.check_call [[touch, CANARY]]\n",
        2,
        13,
        _TAG_REFUSED.format("!!python/object/apply:subprocess.check_call"),
    ),
    "object_apply_open_for_writing": (
        "objects:\n  projects: !!python/object/apply:builtins.open [CANARY, w]\n",
        2,
        13,
        _TAG_REFUSED.format("!!python/object/apply:builtins.open"),
    ),
    "object_new": (
        'objects:\n  projects: !!python/object/new:os.system ["touch CANARY"]\n',
        2,
        13,
        _TAG_REFUSED.format("!!python/object/new:os.system"),
    ),
    "object": (
        "objects:\n  projects: !!python/object:os.system {}\n",
        2,
        13,
        _TAG_REFUSED.format("!!python/object:os.system"),
    ),
    "name": (
        "objects:\n  projects:\n    description: !!python/name:os.system\n",
        3,
        18,
        _TAG_REFUSED.format("!!python/name:os.system"),
    ),
    "module": (
        "objects:\n  projects:\n    description: !!python/module:os\n",
        3,
        18,
        _TAG_REFUSED.format("!!python/module:os"),
    ),
    "tuple": (
        "objects:\n  projects:\n    options: !!python/tuple [a, b]\n",
        3,
        14,
        _TAG_REFUSED.format("!!python/tuple"),
    ),
    "tag_directive": (
        "%TAG !py! tag:yaml.org,2002:python/\n---\n"
        'objects: !py!object/apply:os.system ["touch CANARY"]\n',
        3,
        10,
        _TAG_REFUSED.format("!!python/object/apply:os.system"),
    ),
    "on_a_key": (
        "objects:\n  !!python/name:os.system : {}\n",
        2,
        3,
        _TAG_REFUSED.format("!!python/name:os.system"),
    ),
    "behind_an_alias": (
        "objects:\n  a: &x !!python/object/apply:os.system [touch CANARY]\n  b: *x\n",
        2,
        6,
        _TAG_REFUSED.format("!!python/object/apply:os.system"),
    ),
    "local_tag": ("objects: !shell {run: touch}\n", 1, 10, _TAG_REFUSED.format("!shell")),
    "binary": ("objects:\n  a: !!binary aGk=\n", 2, 6, _TAG_REFUSED.format("!!binary")),
    "set": ("objects:\n  a: !!set {x: null}\n", 2, 6, _TAG_REFUSED.format("!!set")),
    "timestamp": (
        "objects:\n  a: !!timestamp 2001-12-14\n",
        2,
        6,
        _TAG_REFUSED.format("!!timestamp"),
    ),
}

# name -> (template, what the one error line says after the position): each would take
# gigabytes of memory or hours of work if it ran.
RESOURCE_PAYLOADS: dict[str, tuple[str, str]] = {
    "range_huge": ("{{ range(10**10)|list }}", "template asks range() for more than 100,000"),
    "string_times_huge": ("{{ 'x' * 10**10 }}", f"{_TOO_LARGE} ('*')"),
    "list_times_huge": ("{{ [0] * 10**10 }}", f"{_TOO_LARGE} ('*')"),
    "power_huge": (
        "{{ 7 ** 1000000000 }}",
        f"template computes a number of over {MAX_INT_BITS} bits",
    ),
    "squaring_in_a_loop": (
        "{% set n = namespace(v=3) %}{% for i in range(64) %}{% set n.v = n.v * n.v %}{% endfor %}",
        f"template computes a number of over {MAX_INT_BITS} bits",
    ),
    "nested_loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        f"template does too much work: over {MAX_STEPS:,} steps",
    ),
    "macro_recursion": (
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        f"template calls nest more than {MAX_CALL_DEPTH} deep",
    ),
    "recursive_loop": (
        "{% for i in [1] recursive %}{{ loop([1]) }}{% endfor %}",
        f"template calls nest more than {MAX_CALL_DEPTH} deep",
    ),
    "doubling_with_tilde": (
        "{% set n = namespace(s='x') %}{% for i in range(64) %}{% set n.s = n.s ~ n.s %}"
        "{% endfor %}",
        f"{_TOO_LARGE} ('~')",
    ),
    "doubling_with_plus": (
        "{% set n = namespace(s=['x' * 1000]) %}{% for i in range(64) %}{% set n.s = n.s + n.s %}"
        "{% endfor %}",
        f"{_TOO_LARGE} ('+')",
    ),
    "nested_repetition": (
        "{% set a = ['x' * 1000] * 1000 %}{% set b = [a] * 1000 %}{{ b }}",
        f"{_TOO_LARGE} ('*')",
    ),
    "nested_literals": (
        "{% set a = 'x' * 1000 %}"
        + "".join("{% set a = [a, a, a, a, a, a, a, a, a, a] %}" for _ in range(8))
        + "{{ a }}",
        f"{_TOO_LARGE} (a list, tuple or dict)",
    ),
    "deep_nesting": (
        "{% set n = namespace(t=()) %}{% for i in range(100000) %}{% set n.t = (n.t,) %}"
        "{% endfor %}{{ {n.t: 1} }}",
        f"template builds a value nested more than {MAX_NESTING} levels deep",
    ),
    "center_filter": ("{{ 'x'|center(10**9) }}", f"{_TOO_LARGE} (filter 'center')"),
    "center_method": ("{{ 'x'.center(10**9) }}", f"{_TOO_LARGE} (method 'center')"),
    "indent_filter": ("{{ ('x\\n' * 1000)|indent(10**6) }}", f"{_TOO_LARGE} (filter 'indent')"),
    "printf_width": ("{{ '%0999999999d' % 1 }}", f"{_TOO_LARGE} ('%')"),
    "printf_width_filter": ("{{ '%0999999999d'|format(1) }}", f"{_TOO_LARGE} (filter 'format')"),
    "format_width": ("{{ '{:>999999999}'.format(1) }}", f"{_TOO_LARGE} (method 'format')"),
    "format_nested_width": (
        "{{ '{:>{}}'.format(1, 999999999) }}",
        "template uses a nested field in a format spec",
    ),
    "replace_growth": (
        "{{ ('x' * 100000)|replace('x', 'y' * 100000) }}",
        f"{_TOO_LARGE} (filter 'replace')",
    ),
    "join_growth": ("{{ range(100000)|join('x' * 100000) }}", f"{_TOO_LARGE} (filter 'join')"),
    "batch_padding": ("{{ [1]|batch(10**9, 'x')|list }}", f"{_TOO_LARGE} (filter 'batch')"),
    "slice_count": ("{{ [1]|slice(10**9)|list }}", f"{_TOO_LARGE} (filter 'slice')"),
    "tojson_indent": (
        "{{ range(1000)|list|tojson(indent=10**8) }}",
        f"{_TOO_LARGE} (filter 'tojson' with an indent)",
    ),
    "int_to_bytes": ("{{ (1).to_bytes(10**9, 'big') }}", f"{_TOO_LARGE} (method 'to_bytes')"),
    "punycode_of_distinct_letters": (
        "{{ '" + "".join(chr(0x100 + i) for i in range(8000)) + "'.encode('punycode') }}",
        f"template does too much work: over {MAX_STEPS:,} steps",
    ),
    "captured_output": (
        "{% macro m() %}{% for i in range(100000) %}" + "x" * 1000 + "{% endfor %}{% endmacro %}"
        "{% set thrown_away = m() %}",
        f"template produces over {MAX_TEXT_PRODUCED:,} characters of text in all",
    ),
}


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """Where every payload would write; outside any project."""
    (tmp_path / "outside").mkdir()
    return tmp_path / "outside" / "pwned"


def armed(text: str, canary: Path) -> str:
    return text.replace(CANARY, str(canary))


def refusal(text: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        render(text, FILE, variables={"region": "EMEA"}, environment="dev")
    return info.value.lines()


# --- in process -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_PAYLOADS)
def test_a_template_payload_is_refused_where_it_is_written(name: str, canary: Path) -> None:
    template, message = TEMPLATE_PAYLOADS[name]
    lines = refusal(f"# {name}\n" + armed(template, canary) + "\n")
    assert len(lines) == 1, lines
    position, _, said = lines[0].partition(": ")
    assert position.startswith(f"{FILE}:2:"), lines[0]
    assert said == message
    assert not canary.exists()


@pytest.mark.parametrize("name", YAML_PAYLOADS)
def test_a_yaml_tag_payload_is_refused_where_it_is_written(name: str, canary: Path) -> None:
    text, line, column, message = YAML_PAYLOADS[name]
    with pytest.raises(ManifestError) as info:
        load_yaml(armed(text, canary), FILE)
    assert info.value.lines() == [f"{FILE}:{line}:{column}: {message}"]
    assert not canary.exists()


@pytest.mark.parametrize("name", RESOURCE_PAYLOADS)
def test_a_resource_payload_is_stopped_in_process(name: str) -> None:
    template, message = RESOURCE_PAYLOADS[name]
    lines = refusal(f"# {name}\n{template}\n")
    assert len(lines) == 1, lines
    position, _, said = lines[0].partition(": ")
    assert position.startswith(f"{FILE}:2:"), lines[0]
    assert said.startswith(message), lines[0]


def test_legitimate_templates_keep_working() -> None:
    text = "\n".join(
        [
            "{% set ns = namespace(names=[]) %}",
            "{% for tier in ['Gold', 'Silver', 'Bronze'] %}"
            "{% set ns.names = ns.names + [tier] %}{% endfor %}",
            "names: {{ ns.names|join(', ') }}",
            "{% macro option(title, n) %}{{ '%-8s|%03d'|format(title, n) }}{% endmacro %}",
            "{% for t in ns.names %}{{ loop.index }}/{{ loop.length }} {{ option(t, loop.index) }}",
            "{% endfor %}",
            "{{ '{:>6}|{}'.format('x', vars.region) }} {{ 'ab'|center(6) }}| {{ 'a' ~ 1 ~ [2] }}",
            "{{ dict(a=1, b=[1, 2])|tojson }} {{ ('x' * 3)|replace('x', 'yz') }} {{ 2 ** 10 }}",
            "{% set c = cycler('odd', 'even') %}{% for i in range(3) %}{{ c.next() }} {% endfor %}",
            "{% filter upper %}shouted{% endfilter %} {% set kept %}captured{% endset %}{{ kept }}",
            "{% for node in [{'n': 'a', 'kids': [{'n': 'b', 'kids': []}]}] recursive %}"
            "{{ node.n }}({{ loop(node.kids) }}){% endfor %}",
            "{% autoescape true %}<b>{{ '<i>' }}</b>{% endautoescape %} <b>{{ '<i>' }}</b>",
            "",
        ]
    )
    assert render(text, FILE, variables={"region": "EMEA"}, environment="dev") == (
        "\n\nnames: Gold, Silver, Bronze\n\n"
        "1/3 Gold    |001\n2/3 Silver  |002\n3/3 Bronze  |003\n\n"
        "     x|EMEA   ab  | a1[2]\n"
        '{"a": 1, "b": [1, 2]} yzyzyz 1024\n'
        "odd even odd \n"
        "SHOUTED captured\n"
        "a(b())\n"
        "<b>&lt;i&gt;</b> <b><i></b>\n"
    )


def test_a_template_of_the_largest_allowed_size_still_renders() -> None:
    size = MAX_VALUE_SIZE // 4
    text = "{% set s = 'x' * " + str(size) + " %}{{ s|length }} {{ (s ~ s)|length }}"
    assert render(text, FILE, variables={}, environment="dev") == f"{size} {2 * size}"


# --- positive controls: the payloads are real ---------------------------------------------------


def test_an_unsafe_yaml_loader_would_have_written_the_canary(canary: Path) -> None:
    text = armed(YAML_PAYLOADS["object_apply_open_for_writing"][0], canary)
    yaml.load(text, Loader=yaml.UnsafeLoader)["objects"]["projects"].close()
    assert canary.exists()


@pytest.mark.skipif(shutil.which("touch") is None, reason="needs a `touch` command")
def test_an_unsafe_yaml_loader_would_have_started_a_process(canary: Path) -> None:
    text = YAML_PAYLOADS["object_apply_os_system"][0].replace(
        "touch CANARY", f"touch {shlex.quote(str(canary))}"
    )
    yaml.load(text, Loader=yaml.UnsafeLoader)
    assert canary.exists()


@pytest.mark.skipif(shutil.which("touch") is None, reason="needs a `touch` command")
def test_jinja2_without_the_sandbox_would_have_started_a_process(canary: Path) -> None:
    template = TEMPLATE_PAYLOADS["cycler_globals_popen"][0].replace(
        "touch CANARY", f"touch {shlex.quote(str(canary))}"
    )
    jinja2.Environment().from_string(template).render()
    assert canary.exists()


# --- the real command, watched ------------------------------------------------------------------

# Runs the CLI with a Python audit hook that records every process started and every file opened
# for writing, changed or removed. Audit hooks see what the interpreter does; nothing is patched.
_WATCHER = r"""
import os, sys
report = open(sys.argv[1], "w", encoding="utf-8")
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
WATCHED = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.startfile",
    "subprocess.Popen", "pty.spawn", "os.remove", "os.rename", "os.mkdir", "os.rmdir",
    "os.symlink", "os.link", "os.truncate", "os.chmod", "shutil.rmtree", "shutil.move",
}
def hook(event, args):
    if event in WATCHED:
        report.write(f"{event} {args!r}\n")
    elif event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITES:
            report.write(f"open for writing {path!r}\n")
    report.flush()
sys.addaudithook(hook)
if sys.argv[2] == "--control":
    os.system("exit 0")
    open(sys.argv[3], "w").close()
    sys.exit(0)
sys.argv = ["schemactl", *sys.argv[2:]]
from schemactl.cli.main import run
run()
"""
# Address space for the resource payloads: far below what any of them would need.
_MEMORY_LIMIT = 1536 * 1024 * 1024


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))


def watched(project: Path, *args: str, limit_memory: bool = False) -> tuple[int, str, list[str]]:
    """`schemactl ARGS` in a fresh interpreter in `project`: exit code, stderr, and events."""
    report = project.parent / f"{project.name}-events.txt"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("ATTIO_", "SCHEMACTL_ENV"))
    }
    limit = limit_memory and sys.platform.startswith("linux")
    completed = subprocess.run(
        [sys.executable, "-B", "-c", _WATCHER, str(report), *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=_limit_memory if limit else None,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    events = report.read_text(encoding="utf-8").splitlines()
    return completed.returncode, completed.stderr, events


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def payload_project(root: Path, files: dict[str, str]) -> Path:
    (root / "manifests").mkdir(parents=True)
    (root / "schemactl.yaml").write_text(
        "version: 1\nmanifests: [manifests/]\nenvironments:\n  dev:\n"
        "    workspace: local:ws.db\n    vars: {region: EMEA}\n",
        encoding="utf-8",
    )
    for name, text in files.items():
        (root / "manifests" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_watcher_sees_a_process_and_a_file_write(tmp_path: Path) -> None:
    target = tmp_path / "written"
    completed = subprocess.run(
        [sys.executable, "-B", "-c", _WATCHER, str(tmp_path / "events"), "--control", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    events = (tmp_path / "events").read_text(encoding="utf-8")
    assert "os.system" in events
    assert f"open for writing {str(target)!r}" in events


def test_validate_refuses_every_payload_and_starts_no_process_and_writes_nothing(
    tmp_path: Path, canary: Path
) -> None:
    files = {
        f"jinja_{n}": f"# {n}\n{armed(t, canary)}\n" for n, (t, _) in TEMPLATE_PAYLOADS.items()
    }
    files |= {f"yaml_{n}": armed(t, canary) for n, (t, *_) in YAML_PAYLOADS.items()}
    project = payload_project(tmp_path / "project", files)
    before = tree(project)

    exit_code, stderr, events = watched(project, "validate")

    assert exit_code == 1, stderr
    assert events == []
    assert not canary.exists()
    assert tree(project) == before
    reported = {line.split(":", 1)[0]: line for line in stderr.splitlines()}
    for name, (_template, message) in TEMPLATE_PAYLOADS.items():
        line = reported.pop(f"manifests/jinja_{name}.yaml")
        assert line.startswith(f"manifests/jinja_{name}.yaml:2:"), line
        assert line.endswith(f": {message}"), line
    for name, (_text, line_number, column, message) in YAML_PAYLOADS.items():
        path = f"manifests/yaml_{name}.yaml"
        assert reported.pop(path) == f"{path}:{line_number}:{column}: {message}"
    assert reported == {}


def test_plan_refuses_the_payloads_before_touching_the_workspace(
    tmp_path: Path, canary: Path
) -> None:
    files = {"payload": "# x\n" + armed(TEMPLATE_PAYLOADS["cycler_globals_popen"][0], canary)}
    project = payload_project(tmp_path / "project", files)

    exit_code, stderr, events = watched(project, "plan")

    assert exit_code == 1, stderr
    assert events == []
    assert not canary.exists()
    assert not (project / "ws.db").exists()


def test_a_python_tag_in_the_project_file_is_refused(tmp_path: Path, canary: Path) -> None:
    project = payload_project(tmp_path / "project", {"ok": "objects: {}\n"})
    (project / "schemactl.yaml").write_text(
        armed(
            "version: 1\nenvironments:\n"
            '  dev: {vars: !!python/object/apply:os.system ["touch CANARY"]}\n',
            canary,
        ),
        encoding="utf-8",
    )

    exit_code, stderr, events = watched(project, "validate")

    assert exit_code == 1
    assert stderr == (
        "schemactl.yaml:3:15: YAML tag '!!python/object/apply:os.system' is not allowed in a "
        "manifest\n"
    )
    assert events == []
    assert not canary.exists()


def test_resource_payloads_stop_with_their_own_message_within_a_memory_limit(
    tmp_path: Path,
) -> None:
    files = {name: f"# {name}\n{template}\n" for name, (template, _) in RESOURCE_PAYLOADS.items()}
    project = payload_project(tmp_path / "project", files)

    exit_code, stderr, events = watched(project, "validate", limit_memory=True)

    assert exit_code == 1, stderr
    assert events == []
    reported = {line.split(":", 1)[0]: line for line in stderr.splitlines()}
    for name, (_template, message) in RESOURCE_PAYLOADS.items():
        line = reported.pop(f"manifests/{name}.yaml")
        position, _, said = line.partition(": ")
        assert position.startswith(f"manifests/{name}.yaml:2:"), line
        assert said.startswith(message), line
    assert reported == {}
