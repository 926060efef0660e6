"""docs/cli.md documents every command, option and argument of the `schemactl` click group.

The rule, for every command reached by walking the group recursively (`plan`, `emulator serve`):

- docs/cli.md has a section for it: a heading holding the code span `` `schemactl <path>` ``,
  e.g. ``### `schemactl emulator serve` ``. A group needs one only when it has options of its
  own; otherwise its subcommands' sections are its documentation.
- That section (with its subsections) mentions every option flag (`--detailed-exitcode`, `-o`,
  each one the command accepts) and every argument (by its metavar, `PLAN_FILE`).
- Every flag in the section's synopsis (a code block whose lines start `schemactl `, without a
  `$ ` prompt) and in its option tables (header starting `| option |`) exists: after the
  command path, on the command (or `--help`); before it, on the `schemactl` group.
- The global options are documented the same way in the section "Global options".

Each command's `--help` must also render, with a description.
"""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from schemactl.cli.main import cli
from tests.docs import Section, code_spans, read_doc, sections

DOC = "cli.md"
GLOBAL_SECTION = "Global options"
_FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def all_commands(
    command: click.Command = cli, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under `command`, depth first, with its path of names."""
    found: list[tuple[tuple[str, ...], click.Command]] = []
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in sorted(command.list_commands(context)):
            sub = command.get_command(context, name)
            assert sub is not None, name
            if getattr(sub, "hidden", False):
                continue
            found.append(((*path, name), sub))
            found.extend(all_commands(sub, (*path, name)))
    return found


def own_params(command: click.Command) -> list[click.Parameter]:
    """The parameters a user can give, without `--help` and hidden options."""
    return [p for p in command.params if not getattr(p, "hidden", False)]


def flags_of(command: click.Command) -> set[str]:
    """Every flag `command` accepts, `--help` included."""
    context = click.Context(command, info_name=command.name)
    found: set[str] = set()
    for param in command.get_params(context):
        if isinstance(param, click.Option):
            found.update(param.opts)
            found.update(param.secondary_opts)
    return found


def needs_section(command: click.Command) -> bool:
    return not isinstance(command, click.Group) or bool(own_params(command))


def documented_commands() -> list[tuple[tuple[str, ...], click.Command]]:
    return [(path, command) for path, command in all_commands() if needs_section(command)]


def _id(path: tuple[str, ...]) -> str:
    return " ".join(path) or "schemactl"


def command_sections() -> dict[str, Section]:
    """`schemactl <path>` -> the section whose heading holds that code span."""
    found: dict[str, Section] = {}
    for section in sections(read_doc(DOC)):
        for span in code_spans(section.title):
            if span.startswith("schemactl"):
                found.setdefault(span.strip(), section)
    return found


def _heading(section: Section) -> str:
    return f"{'#' * section.level} {section.title}"


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def missing_mentions(command: click.Command, text: str) -> list[str]:
    """The flags and arguments of `command` that `text` does not mention."""
    missing: list[str] = []
    for param in own_params(command):
        if isinstance(param, click.Option):
            missing.extend(
                f for f in [*param.opts, *param.secondary_opts] if not _mentions(text, f)
            )
        elif isinstance(param, click.Argument):
            name = param.human_readable_name
            if not _mentions(text, name):
                missing.append(f"argument {name}")
    return missing


def synopsis_flags(section: Section, path: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """Flags written before and after the command path in the section's synopsis lines."""
    before: set[str] = set()
    after: set[str] = set()
    for block in section.code_blocks():
        invocations: list[str] = []
        for line in block.splitlines():
            if line.startswith("schemactl"):
                invocations.append(line)
            elif invocations and line[:1].isspace():
                invocations[-1] += " " + line.strip()
        for invocation in invocations:
            words = invocation.split()
            for start in range(1, len(words) - len(path) + 1):
                if tuple(words[start : start + len(path)]) == path:
                    before.update(_FLAG.findall(" ".join(words[1:start])))
                    after.update(_FLAG.findall(" ".join(words[start + len(path) :])))
                    break
    return before, after


def table_flags(section: Section, *, include_subsections: bool = True) -> set[str]:
    """Flags in the first column of the section's option tables (`| option | …`)."""
    found: set[str] = set()
    for table in section.tables(include_subsections=include_subsections):
        if table.header and table.header[0].strip().lower() == "option":
            for row in table.rows:
                for span in code_spans(row[0]):
                    found.update(_FLAG.findall(span))
    return found


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [path for path, _ in documented_commands()],
    ids=[_id(p) for p, _ in documented_commands()],
)
def test_command_has_a_section_mentioning_every_option_and_argument(path: tuple[str, ...]) -> None:
    command = dict(all_commands())[path]
    name = f"schemactl {' '.join(path)}"
    section = command_sections().get(name)
    options = [f for p in own_params(command) if isinstance(p, click.Option) for f in p.opts]
    arguments = [
        p.human_readable_name for p in own_params(command) if isinstance(p, click.Argument)
    ]
    assert section is not None, (
        f"docs/{DOC} has no section for `{name}`: add a heading such as '### `{name}`' under "
        f"'## Commands', with a synopsis, what it does, and its options "
        f"({', '.join(options) or 'none'}) and arguments ({', '.join(arguments) or 'none'})"
    )
    missing = missing_mentions(command, section.subtree_text)
    assert not missing, (
        f"docs/{DOC}, section '{_heading(section)}' (line {section.line}), does not mention "
        f"these parameters of `{name}`: {', '.join(missing)}"
    )


@pytest.mark.parametrize(
    "path",
    [path for path, _ in documented_commands()],
    ids=[_id(p) for p, _ in documented_commands()],
)
def test_command_section_names_only_real_flags(path: tuple[str, ...]) -> None:
    command = dict(all_commands())[path]
    name = f"schemactl {' '.join(path)}"
    section = command_sections().get(name)
    if section is None:
        pytest.skip(f"no section for `{name}` (reported by the test above)")
    before, after = synopsis_flags(section, path)
    problems = [
        f"{flag} (synopsis, after the command): `{name}` has no such option"
        for flag in sorted(after - flags_of(command))
    ]
    problems += [
        f"{flag} (synopsis, before the command): `schemactl` has no such global option"
        for flag in sorted(before - flags_of(cli))
    ]
    problems += [
        f"{flag} (option table): `{name}` has no such option"
        for flag in sorted(table_flags(section) - flags_of(command))
    ]
    assert not problems, (
        f"docs/{DOC}, section '{_heading(section)}' (line {section.line}), documents flags "
        "that do not exist:\n  " + "\n  ".join(problems)
    )


def test_every_command_section_names_an_existing_command() -> None:
    known = {f"schemactl {' '.join(path)}" for path, _ in all_commands()}
    stale = [
        f"'{_heading(section)}' (line {section.line})"
        for name, section in command_sections().items()
        if name != "schemactl" and name not in known
    ]
    assert not stale, f"docs/{DOC} has sections for commands that do not exist: {stale}"


def test_global_options_are_documented() -> None:
    section = next((s for s in sections(read_doc(DOC)) if s.title == GLOBAL_SECTION), None)
    assert section is not None, f"docs/{DOC} has no section titled {GLOBAL_SECTION!r}"
    missing = missing_mentions(cli, section.subtree_text)
    missing += [f for f in ("--help",) if not _mentions(section.subtree_text, f)]
    assert not missing, (
        f"docs/{DOC}, section '{_heading(section)}' (line {section.line}), does not mention "
        f"these global options: {', '.join(missing)}"
    )
    stale = sorted(table_flags(section) - flags_of(cli))
    assert not stale, (
        f"docs/{DOC}, section '{_heading(section)}' (line {section.line}), documents global "
        f"options that `schemactl` does not have: {', '.join(stale)}"
    )


@pytest.mark.parametrize(
    "path",
    [(), *[path for path, _ in all_commands()]],
    ids=[_id(()), *[_id(p) for p, _ in all_commands()]],
)
def test_help_renders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="schemactl")
    shown = " ".join(("schemactl", *path))
    assert result.exit_code == 0, f"`{shown} --help` exited {result.exit_code}:\n{result.output}"
    assert result.output.startswith(f"Usage: {shown} "), (
        f"`{shown} --help` does not start with its usage line:\n{result.output}"
    )
    command = dict(all_commands()).get(path, cli)
    assert (command.help or "").strip(), f"`{shown}` has no description for --help"
    missing = [f for p in own_params(command) if isinstance(p, click.Option) for f in p.opts]
    missing = [f for f in missing if not _mentions(result.output, f)]
    assert not missing, f"`{shown} --help` does not show these options: {', '.join(missing)}"
