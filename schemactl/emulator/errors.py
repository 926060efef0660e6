"""Attio's error responses: always the flat `{status_code, type, code, message}` shape."""

from __future__ import annotations


class ApiError(Exception):
    """An error the emulator answers with, exactly as Attio would shape it."""

    def __init__(self, status: int, code: str, message: str, error_type: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = error_type or _default_type(status)

    def body(self) -> dict[str, object]:
        return {
            "status_code": self.status,
            "type": self.type,
            "code": self.code,
            "message": self.message,
        }


def _default_type(status: int) -> str:
    if status in (401, 403):
        return "auth_error"
    if status == 429:
        return "rate_limit_error"
    return "invalid_request_error"


def validation(message: str) -> ApiError:
    return ApiError(400, "validation_type", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def slug_conflict(message: str) -> ApiError:
    return ApiError(409, "slug_conflict", message)


def value_not_found(message: str) -> ApiError:
    return ApiError(400, "value_not_found", message)


def immutable(message: str) -> ApiError:
    return ApiError(400, "immutable_value", message)


def system_edit(message: str) -> ApiError:
    return ApiError(400, "system_edit_unauthorized", message)
