"""Teams, users, their extra sender addresses and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.models.base import ts_column, utcnow


class Role(StrEnum):
    """What a user may do: reps write, managers review their team, admins run the service."""

    rep = "rep"
    manager = "manager"
    admin = "admin"


class Team(SQLModel, table=True):
    """A sales team: its reps, its managers (users with role manager) and default template."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), unique=True, nullable=False))
    template: str = Field(default="structured", max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class User(SQLModel, table=True):
    """A person who signs in or sends mail to the assistant."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    name: str = Field(max_length=200)
    role: str = Field(default=Role.rep, max_length=16)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    session_version: int = Field(default=1)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class UserAddress(SQLModel, table=True):
    """An extra sender address a rep mails the assistant from."""

    __tablename__ = "user_address"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="default", max_length=120)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
