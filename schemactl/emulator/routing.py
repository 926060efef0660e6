"""One emulated operation: method, OpenAPI path template, handler, and the scopes it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    """An operation. `scopes` lists every scope the document's `security` asks for; a token
    needs all of them. `{config}` stands for object_ or list_configuration, chosen by {target}.
    """

    method: str
    template: str
    handler: Handler
    scopes: str | tuple[str, ...] | None
    wrap: bool = True  # False: the body is returned as is (`/v2/self`, deletes)

    @property
    def is_write(self) -> bool:
        """Changes the workspace. `POST …/query` only reads: Attio counts it against the read
        budget, and a dropped-connection fault (which strikes after a commit) never hits it."""
        return self.method != "GET" and not self.template.endswith("/query")

    def required_scopes(self, params: dict[str, str]) -> tuple[str, ...]:
        if self.scopes is None:
            return ()
        listed = (self.scopes,) if isinstance(self.scopes, str) else self.scopes
        config = "list_configuration" if params.get("target") == "lists" else "object_configuration"
        return tuple(scope.replace("{config}", config) for scope in listed)
