"""The errors the clients raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an error body's ``error_detail``: where, what, and the rule's name."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


class FstoreError(Exception):
    """Base class of every error of this package."""


class ApiError(FstoreError):
    """The API answered with an error body ``{error_code, error_message, error_detail}``.

    ``error_code`` is the API's code (1000 validation, 1200 not authenticated, 1201 permission
    denied, 1404 / 2000+ not found, 1400 unavailable, ...; docs/errors.md lists every code,
    docs/openapi/*.json each route's codes); ``None`` when the answer was not an error body.
    """

    def __init__(
        self,
        status: int,
        error_code: int | None,
        error_message: str,
        error_detail: list[ErrorDetail] | None,
        method: str,
        path: str,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.error_detail = error_detail
        self.method = method
        self.path = path
        where = "; ".join(f"{'.'.join(map(str, d.loc))} {d.msg}" for d in error_detail or [])
        super().__init__(
            f"{method} {path} answered {status} ({error_code if error_code is not None else '-'}) "
            f"{error_message}{': ' + where if where else ''}"
        )

    @classmethod
    def from_body(cls, status: int, body: Any, text: str, method: str, path: str) -> ApiError:
        if isinstance(body, dict) and isinstance(body.get("error_code"), int):
            detail = body.get("error_detail")
            return cls(
                status,
                body["error_code"],
                str(body.get("error_message", "")),
                [
                    ErrorDetail(tuple(d.get("loc", ())), str(d.get("msg")), str(d.get("type")))
                    for d in detail
                ]
                if isinstance(detail, list)
                else None,
                method,
                path,
            )
        return cls(status, None, text[:200], None, method, path)


class NotAuthenticated(ApiError):
    """401: missing, unknown, expired or revoked credentials (error_code 1200)."""


class PermissionDenied(ApiError):
    """403: the role may not do this (error_code 1201)."""


class NotFound(ApiError):
    """404: no such resource, or no value (error_code 1404, 2000 and the original API's)."""


class InvalidRequest(ApiError):
    """400 / 413: a field is invalid; ``error_detail`` names it."""


class ApiUnavailable(FstoreError):
    """The server could not be reached or did not answer in time, after the retries allowed."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    413: InvalidRequest,
    401: NotAuthenticated,
    403: PermissionDenied,
    404: NotFound,
}


def api_error(status: int, body: Any, text: str, method: str, path: str) -> ApiError:
    """The typed ApiError of an answer."""
    error = ApiError.from_body(status, body, text, method, path)
    kind = _BY_STATUS.get(status, ApiError)
    if kind is ApiError:
        return error
    return kind(
        error.status, error.error_code, error.error_message, error.error_detail, method, path
    )
