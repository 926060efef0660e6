"""Errors of talking to Attio: API answers, lost connections, refused tokens. Never a token."""

from __future__ import annotations

from schemactl.errors import SchemactlError


class AttioError(SchemactlError):
    """Base of every error the Attio client raises; its text is safe to show (no token)."""


class AttioApiError(AttioError):
    """Attio answered with a non-2xx status; `type`, `code` and `message` are Attio's own.

    `type` and `code` are None when the body was not Attio's JSON error (e.g. a proxy's HTML
    page); `message` then holds the start of that body, or the HTTP reason phrase.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        message: str,
        error_type: str | None = None,
        code: str | None = None,
        note: str = "",
    ):
        self.status = status
        self.type = error_type
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        code_part = f" {code}" if code else ""
        text = f"Attio API error {status}{code_part} on {method} {path}: {message}"
        super().__init__(f"{text} ({note})" if note else text)


class AttioAuthError(AttioApiError):
    """401 (missing, unknown or revoked token) or 403 (the token lacks a scope)."""


class AttioNotFound(AttioApiError):
    """404: the object, list, attribute, option, status or webhook does not exist."""


class AttioConflict(AttioApiError):
    """409: e.g. `slug_conflict`: something with that slug or title already exists."""


class AttioRateLimited(AttioApiError):
    """429 still answered after the client's rate-limit retries were used up."""


class AttioTransportError(AttioError):
    """No usable reply: the connection failed, was reset, or timed out.

    `may_have_committed` is True for a write whose request may have reached Attio: it may have
    been applied, so re-read before trying it again. It is False for reads, and for writes that
    failed before anything was sent (connection refused, connect timeout).
    """

    def __init__(self, *, method: str, path: str, detail: str, may_have_committed: bool):
        self.method = method
        self.path = path
        self.detail = detail
        self.may_have_committed = may_have_committed
        text = self._headline()
        if may_have_committed:
            text += " (the write may have been applied: re-read the workspace before retrying it)"
        super().__init__(text)

    def _headline(self) -> str:
        return f"could not reach Attio on {self.method} {self.path}: {self.detail}"


class AttioResponseError(AttioTransportError):
    """A success (2xx) whose body cannot be used: empty, not JSON, not Attio's shape (no
    `data`), or larger than the client reads. Something other than Attio answered (a proxy, a
    captive portal), or not all of the reply arrived.

    As with a lost reply, a write may have been applied (`may_have_committed`): re-read.
    """

    def __init__(
        self, *, method: str, path: str, status: int, detail: str, may_have_committed: bool
    ):
        self.status = status
        super().__init__(
            method=method, path=path, detail=detail, may_have_committed=may_have_committed
        )

    def _headline(self) -> str:
        return f"Attio answered {self.method} {self.path} with {self.status} but {self.detail}"


class InsecureTransportError(AttioError):
    """A token would have been sent over plain http:// to a host that is not this machine."""


class MissingTokenError(AttioError):
    """A real workspace needs an API token and none was found; `variable` says where to put it."""

    def __init__(self, target: str, variable: str):
        self.target = target
        self.variable = variable
        super().__init__(
            f"no Attio API token for {target}: set the environment variable {variable}"
        )


_BY_STATUS: dict[int, type[AttioApiError]] = {
    401: AttioAuthError,
    403: AttioAuthError,
    404: AttioNotFound,
    409: AttioConflict,
    429: AttioRateLimited,
}


def api_error_class(status: int) -> type[AttioApiError]:
    """The most specific AttioApiError subclass for an HTTP status."""
    return _BY_STATUS.get(status, AttioApiError)


__all__ = [
    "AttioApiError",
    "AttioAuthError",
    "AttioConflict",
    "AttioError",
    "AttioNotFound",
    "AttioRateLimited",
    "AttioResponseError",
    "AttioTransportError",
    "InsecureTransportError",
    "MissingTokenError",
    "api_error_class",
]
