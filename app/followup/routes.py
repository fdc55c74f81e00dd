"""Follow-up API and the accounts page: customer accounts, a memo's replies, overdue next steps."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser, MouDep, SessionDep
from app.followup import schemas, service
from app.followup.reminders import today_of
from app.models import utcnow
from app.review.routes import ERRORS

router = APIRouter(tags=["follow-up"], responses=ERRORS)

StageFilter = Literal[
    "change", "discontent", "research", "comparison", "fear", "commitment", "expectations", "satisfaction"
]


@router.get("/api/accounts", response_model=schemas.AccountPage)
def list_accounts(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, description="Company, domain or contact contains")] = None,
    stage: Annotated[StageFilter | None, Query(description="Current buying stage")] = None,
) -> schemas.AccountPage:
    """Customer accounts in the caller's scope (reps: their customers; managers: the team's; admins: all)."""
    return service.accounts_for(session, user, q=q, stage=stage)


@router.get("/api/accounts/{key:path}/stages", response_model=list[schemas.StagePointOut])
def account_stages(key: str, session: SessionDep, user: CurrentUser) -> list[schemas.StagePointOut]:
    """The account's buying-stage history across its MOUs, oldest first."""
    return service.account_for(session, user, key).stage_history


@router.get("/api/accounts/{key:path}", response_model=schemas.AccountDetail)
def get_account(key: str, session: SessionDep, user: CurrentUser) -> schemas.AccountDetail:
    """One account (by company name, case-insensitive): contacts, MOUs and stage history."""
    return service.account_for(session, user, key)


@router.get("/api/mous/{mou_id}/replies", response_model=schemas.ReplyList)
def mou_replies(mou: MouDep, session: SessionDep) -> schemas.ReplyList:
    """The customer's replies to this MOU, classified, with corrections placed against the memo."""
    return service.replies_for(session, mou)


@router.get("/api/followup/overdue", response_model=schemas.OverdueList)
def overdue_next_steps(session: SessionDep, user: CurrentUser) -> schemas.OverdueList:
    """Customer next steps past due with no reply and no newer MOU, in the caller's scope."""
    return service.overdue_for(session, user, today_of(utcnow()))


# --- page ---------------------------------------------------------------------------------------------

try:  # the pages need the web package's layout and sign-in; the API works without it
    from app.web.deps import PageUser
    from app.web.templating import render
except ModuleNotFoundError:  # pragma: no cover - web not installed
    PageUser = None  # type: ignore[assignment,misc]

if PageUser is not None:

    @router.get("/accounts", include_in_schema=False)
    def accounts_page(
        request: Request,
        session: SessionDep,
        user: PageUser,
        q: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        """Customer accounts with their current stage."""
        page = service.accounts_for(session, user, q=q)
        return render(request, "accounts.html", user=user, accounts=page.items, account=None, q=q or "")

    @router.get("/accounts/{key:path}", include_in_schema=False)
    def account_page(key: str, request: Request, session: SessionDep, user: PageUser) -> Response:
        """One account: its stage timeline across MOUs, contacts and MOUs."""
        account = service.account_for(session, user, key)
        return render(request, "accounts.html", user=user, accounts=[], account=account, q="")
