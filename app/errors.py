"""Domain errors: exceptions that carry their HTTP status; services raise them, never FastAPI's."""

from __future__ import annotations


class DomainError(Exception):
    """Base for user-facing errors; `status` picks the HTTP answer, `message` is for people."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or self.__doc__ or self.code
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    """Not found."""

    status = 404
    code = "not_found"


class MouNotFound(NotFound):
    """No such MOU."""

    code = "mou_not_found"


class Unauthorized(DomainError):
    """Authentication required."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """You are not allowed to do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """This conflicts with the current state."""

    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    """The input is not valid."""

    status = 422
    code = "invalid_input"


class ElementsMissing(InvalidInput):
    """Required MOU elements are missing."""

    code = "elements_missing"


class HeaderInjection(InvalidInput):
    """A value that would become an email header contains a line break or control character."""

    code = "header_injection"


class PayloadTooLarge(DomainError):
    """The request body is larger than allowed."""

    status = 413
    code = "payload_too_large"


class NotConfigured(DomainError):
    """This feature is not configured on the server."""

    status = 503
    code = "not_configured"


class RateLimited(DomainError):
    """Too many requests; slow down."""

    status = 429
    code = "rate_limited"
