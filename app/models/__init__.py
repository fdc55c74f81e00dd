"""All table models, imported together so Alembic and the app see one metadata."""

from app.models.accounts import ApiToken, Role, Team, User, UserAddress
from app.models.base import MAX_ID, metadata, utcnow, valid_id
from app.models.mail import Delivery, InboundContent, InboundMessage, WebhookNonce
from app.models.mou import (
    ELEMENT_BITS,
    STAGE_ORDER,
    CustomerReply,
    Mou,
    MouStatus,
    Review,
    ReviewState,
    Source,
    missing_mask,
    stage_rank,
)
from app.models.ops import AuditLog, EmailTemplate, JobRun

__all__ = [
    "ELEMENT_BITS",
    "MAX_ID",
    "STAGE_ORDER",
    "ApiToken",
    "AuditLog",
    "CustomerReply",
    "Delivery",
    "EmailTemplate",
    "InboundContent",
    "InboundMessage",
    "JobRun",
    "Mou",
    "MouStatus",
    "Review",
    "ReviewState",
    "Role",
    "Source",
    "Team",
    "User",
    "UserAddress",
    "WebhookNonce",
    "metadata",
    "missing_mask",
    "stage_rank",
    "utcnow",
    "valid_id",
]
