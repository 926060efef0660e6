"""Write a live workspace as manifests: one file per object and per list, plus webhooks.

Only what the manifests could declare is written: custom objects, custom attributes (on custom
and standard objects), every list, and every webhook. Archived items and Attio's system
attributes are left out, and so is the reverse side of each two-way relationship (declaring one
side creates the other). The output is deterministic: files, objects, lists and attributes are
sorted by slug; options and statuses keep the workspace's order, which is the order people see.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from schemactl import model as m
from schemactl.attio.read import ReadScope, read_workspace
from schemactl.engine import connect
from schemactl.errors import SchemactlError, display_path
from schemactl.manifest.build import title_from_slug
from schemactl.manifest.yaml_loader import reads_as_non_string
from schemactl.plan.compare import ref_targets, refs_to_ids
from schemactl.project import Project, load_project


@dataclass(frozen=True)
class ExportFile:
    """One manifest to write: its path below the output folder, header and YAML body."""

    path: str
    header: str
    body: str

    @property
    def text(self) -> str:
        return self.header + self.body


def export_files(workspace: m.Workspace, header: str) -> list[ExportFile]:
    """The manifests declaring `workspace` (filtered by `declarable`), each after `header`."""
    files: list[ExportFile] = []
    for obj in sorted(workspace.objects, key=lambda o: o.api_slug):
        document = _object(obj)
        if document is not None:
            files.append(_file(f"objects/{obj.api_slug}.yaml", header, {"objects": document}))
    for lst in sorted(workspace.lists, key=lambda item: item.api_slug):
        files.append(_file(f"lists/{lst.api_slug}.yaml", header, {"lists": _list(lst)}))
    if workspace.webhooks:
        hooks = [_webhook(h) for h in sorted(workspace.webhooks, key=lambda h: h.target_url)]
        files.append(_file("webhooks.yaml", header, {"webhooks": hooks}))
    return files


def header_comment(lines: list[str]) -> str:
    """`lines` as a YAML comment block (no line may break out of the comment)."""
    return "".join(f"# {' '.join(line.split())}\n" for line in lines)


def body_of(text: str) -> str:
    """A manifest's text without its leading comment lines: what `export` compares."""
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        index += 1
    return "".join(lines[index:])


def read_existing(path: Path) -> str | None:
    """The file's text, or None when there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


# --- documents ----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, indented sequences, and short flat lists and maps on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _is_short_flat(items: list[Any]) -> bool:
    return all(isinstance(i, str | int | float | bool) for i in items) and (
        sum(len(str(i)) + 2 for i in items) <= 60
    )


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and _is_short_flat(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = len(data) <= 4 and _is_short_flat(list(data.values())) and len(data) > 0
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


class _Block(dict):  # type: ignore[type-arg]
    """A map always written in block style: objects, lists, attributes, webhooks."""


def _represent_block(dumper: yaml.SafeDumper, data: _Block) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


# Characters YAML reads as line breaks, or that only double quotes can carry exactly.
_NEEDS_DOUBLE_QUOTES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = None
    if _NEEDS_DOUBLE_QUOTES.search(data):
        style = '"'
    elif reads_as_non_string(data):
        # PyYAML resolves by YAML 1.1; the manifest loader by 1.2 (`1e3`, `0o17` are numbers).
        style = "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(_Block, _represent_block)


def _file(path: str, header: str, document: dict[str, Any]) -> ExportFile:
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return ExportFile(path, header, escape_jinja(body))


def escape_jinja(text: str) -> str:
    """`text` as a Jinja2 template that renders to exactly `text`.

    Manifests are templates: each `{{`, `{%` and `{#` is written as an expression printing it.
    """
    return _JINJA_MARKER.sub(lambda found: "{{ '" + found.group(0) + "' }}", text)


_JINJA_MARKER = re.compile(r"\{[{%#]")


def _object(obj: m.Object) -> dict[str, Any] | None:
    attributes = {
        a.api_slug: _attribute(a) for a in sorted(obj.attributes, key=lambda a: a.api_slug)
    }
    if obj.is_standard:
        return {obj.api_slug: _Block(attributes=attributes)} if attributes else None
    document: dict[str, Any] = _Block(singular_noun=obj.singular_noun, plural_noun=obj.plural_noun)
    if attributes:
        document["attributes"] = attributes
    return {obj.api_slug: document}


def _list(lst: m.List) -> dict[str, Any]:
    document: dict[str, Any] = _Block(parent_object=lst.parent_object)
    if lst.name != title_from_slug(lst.api_slug):
        document["name"] = lst.name
    if lst.workspace_access != "full-access":
        document["workspace_access"] = lst.workspace_access
    if lst.workspace_member_access:
        document["workspace_member_access"] = [
            {"workspace_member_id": a.workspace_member_id, "level": a.level}
            for a in lst.workspace_member_access
        ]
    attributes = {
        a.api_slug: _attribute(a) for a in sorted(lst.attributes, key=lambda a: a.api_slug)
    }
    if attributes:
        document["attributes"] = attributes
    return {lst.api_slug: document}


def _attribute(attribute: m.Attribute) -> dict[str, Any]:
    document: dict[str, Any] = _Block()
    if attribute.title != title_from_slug(attribute.api_slug):
        document["title"] = attribute.title
    document["type"] = attribute.type
    if attribute.description is not None:
        document["description"] = attribute.description
    for flag in ("is_required", "is_unique", "is_multiselect"):
        if getattr(attribute, flag):
            document[flag] = True
    if attribute.default_value is not None:
        document["default_value"] = attribute.default_value
    if attribute.currency is not None:
        document["currency"] = asdict(attribute.currency)
    relation = attribute.relationship
    if attribute.allowed_objects and (
        relation is None or list(attribute.allowed_objects) != [relation.object]
    ):
        document["allowed_objects"] = list(attribute.allowed_objects)
    if relation is not None:
        document["relationship"] = asdict(relation)
    if attribute.type == "select":
        document["options"] = [o.title for o in attribute.options]
    if attribute.type == "status":
        document["statuses"] = [_status(s) for s in attribute.statuses]
    return document


def _status(status: m.Status) -> str | dict[str, Any]:
    if not status.celebration_enabled and status.target_time_in_status is None:
        return status.title
    document: dict[str, Any] = {"title": status.title}
    if status.celebration_enabled:
        document["celebration_enabled"] = True
    if status.target_time_in_status is not None:
        document["target_time_in_status"] = status.target_time_in_status
    return document


def _webhook(hook: m.Webhook) -> dict[str, Any]:
    return _Block(
        target_url=hook.target_url,
        subscriptions=[
            {"event_type": s.event_type}
            if s.filter is None
            else {"event_type": s.event_type, "filter": _with_ref_maps(s.filter)}
            for s in hook.subscriptions
        ],
    )


def _with_ref_maps(value: Any) -> Any:
    """Model Refs back into the manifest's `{ref: ADDRESS}` form."""
    if isinstance(value, m.Ref):
        return {"ref": str(value.address)}
    if isinstance(value, dict):
        return {k: _with_ref_maps(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ref_maps(v) for v in value]
    return value


# --- running an export --------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """What an export did: files written and left alone, and what to tell the user."""

    directory: Path
    written: list[str]
    unchanged: list[str]
    counts: dict[str, int]
    warnings: list[str]


class ExportConflictError(SchemactlError):
    """Files that the user changed would be overwritten."""


def run_export(
    directory: Path | str = ".",
    environment: str | None = None,
    *,
    workspace: str | None = None,
    out: Path | None = None,
    force: bool = False,
    debug: bool = False,
    now: datetime | None = None,
) -> ExportResult:
    """Read the environment's workspace and write it as manifests under `out`."""
    project = load_project(directory)
    chosen = project.environment(environment)
    client, target, identity = connect(project, chosen, workspace, debug=debug)
    with client:
        live = read_workspace(client, ReadScope(everything=True), identity).workspace
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    header = header_comment(
        [
            f"Exported by schemactl export from workspace "
            f"'{identity.get('workspace_slug') or identity.get('workspace_id')}' "
            f"({target}, environment '{chosen.name}') on {when}.",
            "Edit freely: `schemactl plan` shows how the workspace differs from these files.",
        ]
    )
    out_dir = out if out is not None else project.root / "manifests"
    if not out_dir.is_absolute():
        out_dir = Path.cwd() / out_dir
    exportable = declarable(live)
    files = export_files(exportable.workspace, header)
    written, unchanged, changed = [], [], []
    for file in files:
        existing = read_existing(out_dir / file.path)
        if existing is None:
            written.append(file)
        elif body_of(existing) == file.body:
            unchanged.append(file.path)
        else:
            changed.append(file)
    if changed and not force:
        raise ExportConflictError(
            "these files differ from the workspace and would be overwritten: "
            + ", ".join(display_path(out_dir / f.path) for f in changed)
            + "; nothing was written (use --force to overwrite them)"
        )
    for file in [*written, *changed]:
        _write_atomic(out_dir / file.path, file.text)
    warnings = list(exportable.warnings)
    warnings += _stray_files(out_dir, {f.path for f in files})
    warnings += _outside_project(project, out_dir, files)
    counts = {
        "objects": sum(1 for f in files if f.path.startswith("objects/")),
        "lists": sum(1 for f in files if f.path.startswith("lists/")),
        "webhooks": len(exportable.workspace.webhooks),
    }
    return ExportResult(
        out_dir,
        [f.path for f in [*written, *changed]],
        unchanged,
        counts,
        warnings,
    )


@dataclass(frozen=True)
class Exportable:
    workspace: m.Workspace
    warnings: list[str]


def declarable(live: m.Workspace) -> Exportable:
    """What of `live` manifests declare: no system attributes, archived items or reverse sides
    of relationships, no webhooks but https ones; a webhook filter naming anything else keeps
    its live id (with a warning), since a `{ref: …}` may only name what manifests declare."""
    skipped = _reverse_sides(live)

    def kept(parent: str, attribute: m.Attribute) -> m.Attribute | None:
        if attribute.is_system or attribute.is_archived or (parent, attribute.api_slug) in skipped:
            return None
        return replace(
            attribute,
            options=tuple(o for o in attribute.options if not o.is_archived),
            statuses=tuple(s for s in attribute.statuses if not s.is_archived),
        )

    def attributes(parent: str, items: tuple[m.Attribute, ...]) -> tuple[m.Attribute, ...]:
        return tuple(a for a in (kept(parent, a) for a in items) if a is not None)

    objects = tuple(
        replace(o, attributes=attributes(o.api_slug, o.attributes)) for o in live.objects
    )
    lists = tuple(replace(lst, attributes=attributes("", lst.attributes)) for lst in live.lists)
    declared = replace(live, objects=objects, lists=lists, webhooks=())
    targets = ref_targets(declared)
    hooks, warnings = [], []
    for hook in live.webhooks:
        if not hook.target_url.startswith("https://"):
            warnings.append(
                f"webhook {hook.target_url} is not exported: manifests declare https:// "
                "webhooks only"
            )
            continue
        hook, undeclared = refs_to_ids(hook, live, lambda address: address not in targets)
        for address in undeclared:
            warnings.append(
                f"webhook {hook.target_url}: its filter names {address}, which the manifests "
                "do not declare; its id is written as is, and will differ in other workspaces"
            )
        hooks.append(hook)
    return Exportable(replace(declared, webhooks=tuple(hooks)), warnings)


def _reverse_sides(workspace: m.Workspace) -> set[tuple[str, str]]:
    """(object, attribute) pairs to leave out: the later-sorting side of each relationship."""
    candidates = {
        (o.api_slug, a.api_slug): a
        for o in workspace.objects
        for a in o.attributes
        if not a.is_system and not a.is_archived and a.relationship is not None
    }
    skipped = set()
    for (object_slug, slug), attribute in sorted(candidates.items()):
        if (object_slug, slug) in skipped:
            continue
        relation = attribute.relationship
        assert relation is not None
        other = (relation.object, relation.api_slug)
        if other != (object_slug, slug) and other in candidates:
            skipped.add(other)
    return skipped


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _stray_files(out_dir: Path, exported: set[str]) -> list[str]:
    """YAML files in `out_dir` export did not write: their declarations may now be duplicated."""
    stray = sorted(
        str(p.relative_to(out_dir))
        for p in out_dir.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and str(p.relative_to(out_dir).as_posix()) not in exported
    )
    if not stray:
        return []
    return [
        f"{display_path(out_dir)} also holds files export did not write ({', '.join(stray)}); "
        "run `schemactl validate` to check for items declared twice"
    ]


def _outside_project(project: Project, out_dir: Path, files: list[ExportFile]) -> list[str]:
    """Warn when the project's `manifests` entries would not read what was written."""
    if not files:
        return []
    try:
        read = {p.resolve() for p in project.manifest_files()}
    except SchemactlError:
        read = set()
    if (out_dir / files[0].path).resolve() in read:
        return []
    return [
        f"{display_path(out_dir)} is not among this project's manifests entries; add it to "
        "`manifests` in schemactl.yaml so plan reads it"
    ]
