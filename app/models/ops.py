"""Audit log, admin-added email templates and once-per-period scheduled jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import JsonType, ts_column, utcnow


class AuditLog(SQLModel, table=True):
    """Who did what to which object, and when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    actor_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    object_type: str = Field(default="", max_length=32)
    object_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))


class EmailTemplate(SQLModel, table=True):
    """A customer-email template added by an admin (rendered in the sandbox)."""

    __tablename__ = "email_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(80), unique=True, nullable=False))
    description: str = Field(default="", max_length=300)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class JobRun(SQLModel, table=True):
    """A periodic job claimed for one period (e.g. the weekly digest for 2026-W48): runs once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("name", "period", name="uq_job_run_name_period"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    period: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
