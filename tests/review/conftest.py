"""Review test fixtures (shared with the API tests)."""

from tests.api.conftest import fast_password_hashing

__all__ = ["fast_password_hashing"]
