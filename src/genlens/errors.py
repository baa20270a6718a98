"""One exception hierarchy for genlens.

Foreign errors (DuckDB, protobuf, OS) are translated at the boundary where they
are met, so callers handle ``GenlensError`` subclasses only and the server can
render every one of them as a JSON error with the right status code.
"""

from __future__ import annotations


class GenlensError(Exception):
    """Base class for every error genlens raises on purpose."""

    status_code: int = 500


class ConfigError(GenlensError):
    """A setting has a bad value; the message names the key and the value."""

    status_code = 400


class BadRequest(GenlensError):
    """Client input that cannot be accepted (malformed body, bad parameter)."""

    status_code = 400


class UnsupportedMediaType(BadRequest):
    status_code = 415


class PayloadTooLarge(BadRequest):
    status_code = 413


class Unauthorized(GenlensError):
    """No credentials, or credentials that name no live API key (answered with ``WWW-Authenticate``)."""

    status_code = 401


class Forbidden(GenlensError):
    """A valid API key whose role does not allow the request."""

    status_code = 403


class NotFound(GenlensError):
    status_code = 404


class Overloaded(GenlensError):
    """The write queue is full; the client should retry after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(GenlensError):
    """The storage backend failed (disk full, corrupt file, lock held)."""

    status_code = 500
