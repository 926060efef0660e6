"""Workspace members (read-only here) and `/v2/self`, the token's own description."""

from __future__ import annotations

from typing import Any

from schemactl.emulator import errors
from schemactl.emulator.workspace import Workspace, public


def list_members(ws: Workspace) -> list[dict[str, Any]]:
    return [public(m) for m in ws.store.all("member")]


def get_member(ws: Workspace, member_id: str) -> dict[str, Any]:
    found = ws.store.get("member", member_id)
    if found is None:
        raise errors.not_found(f'Workspace member with ID "{member_id}" not found.')
    return public(found)


def describe_token(ws: Workspace, scopes: list[str], issued_at: int) -> dict[str, Any]:
    """The flat (unwrapped) `/v2/self` body."""
    info = ws.info
    admin = ws.store.all("member")[0]
    return {
        "active": True,
        "scope": " ".join(scopes),
        "client_id": info["client_id"],
        "token_type": "Bearer",
        "exp": None,
        "iat": issued_at,
        "sub": info["id"],
        "aud": info["client_id"],
        "iss": "attio.com",
        "authorized_by_workspace_member_id": admin["id"]["workspace_member_id"],
        "workspace_id": info["id"],
        "workspace_name": info["name"],
        "workspace_slug": info["slug"],
        "workspace_logo_url": None,
    }
