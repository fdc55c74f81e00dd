"""API test fixtures: cheap (still argon2) password hashing so the shared `world` fixture is fast."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

# Minimum-cost argon2: these tests are about access rules, not hash strength (7 default hashes per test
# dominated the run time on a 2-core machine).
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Hash the world's passwords with minimum-cost argon2 parameters."""
    monkeypatch.setattr("app.accounts.service.hash_password", _FAST.hash)
