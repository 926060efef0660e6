"""The library's front door: load a project, read its workspace, and make plans.

The CLI and Python callers go through these functions, so no command wires the pipeline on its
own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemactl import model as m
from schemactl.address import Address
from schemactl.attio.client import AttioClient
from schemactl.attio.read import LiveWorkspace, ReadScope, read_identity, read_workspace
from schemactl.attio.targets import open_client, resolve_token, token_variable
from schemactl.attio.usage import check_usage
from schemactl.errors import Location, SchemactlError
from schemactl.manifest import ManifestSet, load_manifests
from schemactl.plan.build import build_plan
from schemactl.plan.changes import Plan
from schemactl.plan.compare import PrunePolicy, fingerprint
from schemactl.plan.in_use import archives_to_check, holders, unsafe_archives, with_usage
from schemactl.project import Environment, Project, load_project

__all__ = [
    "ApplySession",
    "DataLossError",
    "Desired",
    "PlanResult",
    "PolicyError",
    "StalePlanError",
    "WorkspaceMismatchError",
    "check_data_loss",
    "check_in_use",
    "load_desired",
    "load_project",
    "make_plan",
    "open_environment",
    "prepare_apply",
    "prepare_saved",
]

ATTIO_API_URL = "https://api.attio.com/v2"


class WorkspaceMismatchError(SchemactlError):
    """The token reaches a different workspace than the environment expects."""


class PolicyError(SchemactlError):
    """The environment's policy forbids what was asked."""


@dataclass(frozen=True)
class Desired:
    """What one environment of a project declares, validated."""

    project: Project
    environment: Environment
    manifests: ManifestSet


@dataclass(frozen=True)
class PlanResult:
    """A plan, what it was made from, and how many API requests it took."""

    plan: Plan
    desired: Desired
    target: str
    requests: int


def load_desired(directory: Path | str = ".", environment: str | None = None) -> Desired:
    """Load the project at `directory` and validate its manifests for `environment`."""
    project = load_project(directory)
    chosen = project.environment(environment)
    manifests = load_manifests(
        project.manifest_files(),
        variables=chosen.vars,
        environment=chosen.name,
        protected_variables=project.token_variables(),
    )
    return Desired(project, chosen, manifests)


def resolve_target(
    project: Project,
    environment: Environment,
    override: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> str:
    """Where to go: --workspace, else the environment's workspace.

    A directory with no project file and an ATTIO_API_TOKEN in the environment means the real
    Attio; with no token it means the embedded local workspace, so a new user needs nothing.
    """
    if override:
        return override
    if project.file is None and env.get("ATTIO_API_TOKEN"):
        return ATTIO_API_URL
    return environment.workspace


def prune_policy(environment: Environment, prune: bool) -> PrunePolicy:
    """What may be removed, from --prune and the environment's policy."""
    policy = environment.policy
    if prune and policy.allow_archive is False:
        raise PolicyError(
            f"environment '{environment.name}' forbids archiving (policy.allow_archive: false); "
            "--prune is refused"
        )
    archive = prune or policy.allow_archive is True
    return PrunePolicy(archive=archive, delete_webhooks=archive and policy.allow_delete_webhooks)


def open_environment(
    desired: Desired, workspace: str | None = None, *, debug: bool = False
) -> tuple[AttioClient, str, dict[str, Any]]:
    """A client for the environment's workspace, its target, and the verified identity.

    `expect_workspace` is checked with GET /v2/self before anything else is read.
    """
    return connect(desired.project, desired.environment, workspace, debug=debug)


def connect(
    project: Project,
    environment: Environment,
    workspace: str | None = None,
    *,
    debug: bool = False,
) -> tuple[AttioClient, str, dict[str, Any]]:
    """A client for `environment`'s workspace (manifests not needed), target, and identity."""
    target = resolve_target(project, environment, workspace)
    token = resolve_token(environment) if not target.startswith("local") else None
    client = open_client(
        target,
        project_root=project.root,
        token=token,
        debug=debug,
        token_env=token_variable(environment),
    )
    try:
        identity = read_identity(client)
        expected = environment.expect_workspace
        reached = {identity.get("workspace_slug"), identity.get("workspace_id")}
        if expected and expected not in reached:
            raise WorkspaceMismatchError(
                f"environment '{environment.name}' expects workspace '{expected}', but "
                f"{target} is workspace '{identity.get('workspace_slug')}'; nothing was changed"
            )
    except BaseException:
        client.close()
        raise
    return client, target, identity


def make_plan(
    directory: Path | str = ".",
    environment: str | None = None,
    *,
    workspace: str | None = None,
    prune: bool = False,
    targets: Sequence[Address] = (),
    excludes: Sequence[Address] = (),
    debug: bool = False,
) -> PlanResult:
    """Read the environment's workspace and plan the changes its manifests ask for."""
    session = prepare_apply(
        directory,
        environment,
        workspace=workspace,
        prune=prune,
        targets=targets,
        excludes=excludes,
        debug=debug,
    )
    with session.client:
        return PlanResult(
            session.plan, session.desired, session.target, session.client.total_requests
        )


class StalePlanError(SchemactlError):
    """The workspace moved on since the saved plan was made; nothing was written."""

    def __init__(self, lines: list[str]):
        self._lines = lines
        super().__init__(lines[0])

    def lines(self) -> list[str]:
        return self._lines


@dataclass
class ApplySession:
    """A plan ready to apply: the open client, the live ids, and where records go.

    `unchecked` holds, for each archive whose records could not be checked, Attio's reason.
    """

    plan: Plan
    desired: Desired
    client: AttioClient
    ids: dict[Address, str]
    target: str
    unchecked: dict[Address, str] = field(default_factory=dict)

    def close(self) -> None:
        self.client.close()


class DataLossError(PolicyError):
    """Apply would archive what records still hold values of, and nothing allows it."""

    def __init__(self, lines: list[str]):
        self._lines = lines
        super().__init__(lines[-1])

    def lines(self) -> list[str]:
        return self._lines


def check_in_use(client: AttioClient, plan: Plan) -> tuple[Plan, dict[Address, str]]:
    """The plan with each archive's `in_use` checked now (one query each), and the reasons
    for those that could not be checked."""
    archives = archives_to_check(plan)
    if not archives:
        return plan, {}
    usages = check_usage(client, [plan.live_address(c.address) for c in archives])
    found = {c.address: u.in_use for c, u in zip(archives, usages, strict=True)}
    unchecked = {c.address: u.problem for c, u in zip(archives, usages, strict=True) if u.problem}
    notes = [f"could not check whether {a} is in use: {why}" for a, why in unchecked.items()]
    return with_usage(plan, found, notes), unchecked


def check_data_loss(session: ApplySession, allow_data_loss: bool = False) -> str | None:
    """Refuse (DataLossError, before any write) archives of what is or may be in use, unless
    allowed; return what allowed them, or None when there are none."""
    unsafe = unsafe_archives(session.plan)
    if not unsafe:
        return None
    if allow_data_loss:
        return "--allow-data-loss"
    environment = session.desired.environment
    if environment.policy.allow_archive_in_use:
        return "policy allow_archive_in_use"
    lines = []
    for change in unsafe:
        who = holders(change.address)
        if change.in_use:
            lines.append(f"{change.address}: in use ({who} hold values for it)")
        else:
            why = session.unchecked.get(change.address, "it was not checked")
            lines.append(f"{change.address}: may be in use (could not check its {who}: {why})")
    them = "it" if len(unsafe) == 1 else "them"
    lines.append(
        f"refusing to archive what is or may be in use; nothing was changed. To archive {them} "
        "anyway, run apply with --allow-data-loss, or set policy.allow_archive_in_use: true "
        f"for environment '{environment.name}' in schemactl.yaml"
    )
    raise DataLossError(lines)


def prepare_apply(
    directory: Path | str = ".",
    environment: str | None = None,
    *,
    workspace: str | None = None,
    prune: bool = False,
    targets: Sequence[Address] = (),
    excludes: Sequence[Address] = (),
    debug: bool = False,
) -> ApplySession:
    """Plan afresh, keeping the connection and the live ids for executing the plan."""
    desired = load_desired(directory, environment)
    policy = prune_policy(desired.environment, prune)
    client, target, identity = open_environment(desired, workspace, debug=debug)
    try:
        plan, live, unchecked = plan_against(
            client,
            identity,
            desired.manifests.workspace,
            environment=desired.environment.name,
            prune=policy,
            targets=targets,
            excludes=excludes,
            locate=desired.manifests.declarations.locate,
        )
    except BaseException:
        client.close()
        raise
    return ApplySession(plan, desired, client, live.ids, target, unchecked)


def plan_against(
    client: AttioClient,
    identity: dict[str, Any],
    desired: m.Workspace,
    *,
    environment: str,
    prune: PrunePolicy,
    targets: Sequence[Address] = (),
    excludes: Sequence[Address] = (),
    locate: Callable[[Address], Location | None] = lambda _address: None,
) -> tuple[Plan, LiveWorkspace, dict[Address, str]]:
    """Read what `desired` needs from the workspace, plan, and check each archive's use:
    the plan, the live workspace, and why the archives that could not be checked were not."""
    live = read_workspace(client, ReadScope.for_desired(desired), identity)
    plan = build_plan(
        desired,
        live.workspace,
        live.ids,
        prune=prune,
        targets=targets,
        excludes=excludes,
        environment=environment,
        locate=locate,
    )
    plan, unchecked = check_in_use(client, plan)
    return plan, live, unchecked


def prepare_saved(
    plan: Plan,
    directory: Path | str = ".",
    environment: str | None = None,
    *,
    workspace: str | None = None,
    debug: bool = False,
) -> ApplySession:
    """Check a saved plan against the workspace now; refuse, with zero writes, if it moved on."""
    chosen = environment or plan.environment
    if environment and plan.environment and environment != plan.environment:
        raise PolicyError(
            f"the plan was made for environment '{plan.environment}', not '{environment}'"
        )
    desired = load_desired(directory, chosen)
    policy = desired.environment.policy
    removals = [c for c in plan.changes if c.action in ("archive", "delete")]
    if removals and policy.allow_archive is False:
        raise PolicyError(
            f"environment '{desired.environment.name}' forbids archiving "
            f"(policy.allow_archive: false), and the plan archives {removals[0].address}"
        )
    deletes = [c for c in plan.changes if c.action == "delete"]
    if deletes and not policy.allow_delete_webhooks:
        raise PolicyError(
            f"environment '{desired.environment.name}' does not allow deleting webhooks "
            f"(policy.allow_delete_webhooks), and the plan deletes {deletes[0].address}"
        )
    client, target, identity = open_environment(desired, workspace, debug=debug)
    try:
        planned_id = plan.workspace.get("id")
        if planned_id and planned_id != identity.get("workspace_id"):
            raise StalePlanError(
                [
                    f"the plan was made for workspace {plan.workspace.get('slug')} "
                    f"({planned_id}), but {target} is workspace "
                    f"{identity.get('workspace_slug')}; nothing was changed"
                ]
            )
        live = read_workspace(client, _scope_of(plan), identity)
        stale = [
            address
            for address, expected in plan.fingerprints.items()
            if fingerprint(live.workspace.find(plan.live_address(Address.parse(address))))
            != expected
        ]
        if stale:
            raise StalePlanError(
                [f"{address}: changed since the plan was made" for address in stale]
                + ["the saved plan is stale; nothing was changed. Run plan again."]
            )
        # Records change without the schema changing: what was unused at plan time may not be.
        plan, unchecked = check_in_use(client, plan)
    except BaseException:
        client.close()
        raise
    return ApplySession(plan, desired, client, live.ids, target, unchecked)


def _scope_of(plan: Plan) -> ReadScope:
    """Read just enough to fingerprint and address everything the plan touches."""
    addresses = [Address.parse(a) for a in plan.fingerprints]
    addresses += [c.address for c in plan.changes]
    addresses += [plan.live_address(a) for a in addresses]
    objects = {a.parts[0][1] for a in addresses if a.parts[0][0] == "objects"}
    lists = {a.parts[0][1] for a in addresses if a.parts[0][0] == "lists"}
    choices = {
        (a.parts[0][0], a.parts[0][1], a.parts[1][1]) for a in addresses if len(a.parts) >= 2
    }
    for change in plan.changes:
        for slug in (change.after or {}).get("allowed_objects") or ():
            objects.add(slug)
    return ReadScope(frozenset(objects), frozenset(lists), frozenset(choices))
