"""Rep pages: write a new MOU with a live checklist and preview, list my MOUs, and one MOU's page."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from app.accounts.deps import SessionDep, SettingsDep, load_visible_mou
from app.errors import Conflict, DomainError, Forbidden
from app.followup import service as followup
from app.intake import submit
from app.models import Delivery, Mou, Review, Source, User
from app.review import queue as review_queue
from app.review import service as review
from app.web import checklist_view, email_view
from app.web.deps import CsrfForm, PageUser, field
from app.web.mou_form import MouForm, form_from_mou, read_mou_form, template_choices, to_input
from app.web.templating import render

router = APIRouter()
PAGE_SIZE = 25
EDITABLE = ("draft", "held")
NOTICES = {
    "saved": "Saved as a draft.",
    "updated": "Your changes were saved and the memo was checked again.",
    "sent": "Sent. The customer email is on its way and your manager has a copy.",
    "reviewed": "Your review was saved and the rep will be emailed.",
}


def _new_page(
    request: Request, session: Session, mou_form: MouForm, checklist=None, status=200, editing=None
) -> Response:
    return render(
        request,
        "mou_new.html",
        status,
        form=mou_form,
        editing=editing,
        templates=template_choices(session),
        checklist=checklist_view.rows(checklist),
        checked=checklist is not None,
        complete=bool(checklist and not checklist.get("missing")),
    )


@router.get("/mous/new", include_in_schema=False)
def new_mou(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The New MOU form, in field or paste mode, optionally started from an earlier memo."""
    mode = request.query_params.get("mode", "fields")
    source_id = request.query_params.get("from", "")
    mou_form = MouForm(mode=mode if mode in ("fields", "paste") else "fields")
    if source_id.isdigit():
        mou_form = form_from_mou(load_visible_mou(session, user, int(source_id)))
    return _new_page(request, session, mou_form)


@router.post("/mous/new", include_in_schema=False)
def submit_mou(request: Request, user: PageUser, form: CsrfForm, session: SessionDep) -> Response:
    """Check, save as draft, or send; sending is refused (422) until the four elements are present."""
    mou_form = read_mou_form(form)
    action = field(form, "action", "check")
    data = to_input(mou_form)
    if data is None:
        return _new_page(request, session, mou_form, status=422)
    try:
        checklist = submit.check_input(data)
        if action == "check":
            return _new_page(request, session, mou_form, checklist)
        if action == "send" and checklist["missing"]:
            labels = ", ".join(checklist_view.missing_labels(checklist))
            mou_form.errors.append(f"Not sent: add {labels} first. Nothing was sent to the customer.")
            return _new_page(request, session, mou_form, checklist, status=422)
        with session.begin_nested():
            mou = submit.create_mou(session, user, data, source=Source.form)
            if action == "send":
                submit.send_mou(session, mou, user, request.app.state.settings)
    except DomainError as exc:
        mou_form.errors.append(exc.message)
        return _new_page(request, session, mou_form, locals().get("checklist"), status=exc.status)
    return RedirectResponse(f"/mous/{mou.id}?done={'sent' if action == 'send' else 'saved'}", 303)


def _editable_mou(session: Session, user: User, mou_id: int) -> Mou:
    """The rep's own unsent memo: 404 when not visible, 403 for others, 409 once it has gone out."""
    mou = load_visible_mou(session, user, mou_id)
    if mou.rep_id != user.id:
        raise Forbidden("Only the rep who wrote this memo can edit it.")
    if mou.status not in EDITABLE:
        raise Conflict(f"This memo is already {mou.status}; sent memos are read-only.")
    return mou


@router.get("/mous/{mou_id}/edit", include_in_schema=False)
def edit_mou(mou_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    """The New MOU form, prefilled with a saved draft of the rep's own."""
    mou = _editable_mou(session, user, mou_id)
    checklist = dict(mou.checklist or {}, missing=submit.missing_elements(mou.checklist or {}))
    return _new_page(request, session, form_from_mou(mou), checklist, editing=mou)


@router.post("/mous/{mou_id}/edit", include_in_schema=False)
def save_edit(mou_id: int, request: Request, user: PageUser, form: CsrfForm, session: SessionDep) -> Response:
    """Re-check and save the draft (or check only, or save and send)."""
    mou = _editable_mou(session, user, mou_id)
    mou_form = read_mou_form(form)
    action = field(form, "action", "check")
    data = to_input(mou_form)
    if data is None:
        return _new_page(request, session, mou_form, status=422, editing=mou)
    checklist = None
    try:
        checklist = submit.check_input(data)
        if action == "check":
            return _new_page(request, session, mou_form, checklist, editing=mou)
        if action == "send" and checklist["missing"]:
            labels = ", ".join(checklist_view.missing_labels(checklist))
            mou_form.errors.append(f"Not sent: add {labels} first. Nothing was sent to the customer.")
            return _new_page(request, session, mou_form, checklist, status=422, editing=mou)
        with session.begin_nested():
            submit.update_mou(session, user, mou, data)
            if action == "send":
                submit.send_mou(session, mou, user, request.app.state.settings)
    except DomainError as exc:
        session.refresh(mou)
        mou_form.errors.append(exc.message)
        return _new_page(request, session, mou_form, checklist, status=exc.status, editing=mou)
    return RedirectResponse(f"/mous/{mou.id}?done={'sent' if action == 'send' else 'updated'}", 303)


@router.post("/mous/preview", include_in_schema=False)
def preview_new(user: PageUser, form: CsrfForm, session: SessionDep, settings: SettingsDep) -> Response:
    """The customer email for the form as it stands, as a standalone sanitised document for the frame."""
    mou_form = read_mou_form(form)
    data = to_input(mou_form)
    if data is None:
        problems = "<br>".join(escape(e) for e in mou_form.errors)
        return email_view.email_document("Preview", f"<p>The preview could not be made: {problems}</p>")
    try:
        rendered = submit.preview(session, data, user, settings)
    except DomainError as exc:
        message = escape(exc.message)
        return email_view.email_document("Preview", f"<p>The preview could not be made: {message}</p>")
    return email_view.email_document(rendered["subject"], _preview_html(rendered))


def _preview_html(rendered: dict[str, str]) -> str:
    return f"<p><strong>Subject:</strong> {escape(rendered['subject'])}</p><hr>{rendered['html']}"


@router.get("/mous", include_in_schema=False)
def my_mous(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The user's own MOUs, newest first, with status, review and coaching received."""
    cursor = request.query_params.get("cursor") or None
    filters = review_queue.QueueFilters(rep=str(user.id))
    page = review_queue.list_queue(session, user, filters, cursor=cursor, limit=PAGE_SIZE, sort="newest")
    items = [row.mou for row in page.rows]
    return render(
        request,
        "mou_list.html",
        items=items,
        coaching=latest_reviews(session, [m.id for m in items]),
        next_cursor=page.next_cursor,
        missing={m.id: checklist_view.missing_labels(m.checklist) for m in items},
    )


def latest_reviews(session: Session, mou_ids: list[int]) -> dict[int, tuple[Review, User | None]]:
    """The newest review of each memo on the page, with its reviewer."""
    if not mou_ids:
        return {}
    stmt = (
        select(Review, User)
        .join(User, User.id == Review.reviewer_id, isouter=True)
        .where(Review.mou_id.in_(mou_ids))
        .order_by(Review.id)
    )
    return {r.mou_id: (r, u) for r, u in session.exec(stmt)}


@router.get("/mous/{mou_id}", include_in_schema=False)
def mou_page(mou_id: int, request: Request, user: PageUser, session: SessionDep) -> Response:
    """One MOU: memo with evidence, checklist, the email as sent, timeline, and the review form."""
    mou = load_visible_mou(session, user, mou_id)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return _detail_page(request, session, user, mou, notice=notice)


def _detail_page(
    request: Request, session: Session, user: User, mou: Mou, status: int = 200, **extra
) -> Response:
    rows = checklist_view.rows(mou.checklist)
    evidences = [r.evidence for r in rows if r.evidence]
    extra.setdefault("notice", None)
    return render(
        request,
        "mou_detail.html",
        status,
        mou=mou,
        rep=session.get(User, mou.rep_id),
        checklist=rows,
        missing=checklist_view.missing_labels(mou.checklist),
        fields={n: checklist_view.highlight(getattr(mou, n), evidences) for n in submit.ELEMENT_FIELDS},
        body=checklist_view.highlight(mou.body, evidences),
        sent=_sent_email(session, mou),
        timeline=review.timeline(session, mou),
        replies=followup.replies_for(session, mou).items,
        review_list=review.reviews_for(session, mou),
        can_review=review.can_review(user, mou),
        can_send=user.id == mou.rep_id and mou.status in EDITABLE,
        review_error=extra.pop("review_error", None),
        review_comment=extra.pop("review_comment", ""),
        **extra,
    )


def _customer_delivery(session: Session, mou: Mou) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.mou_id == mou.id, Delivery.kind == "customer_mou")
    return session.exec(stmt.order_by(Delivery.id.desc())).first()


def _sent_email(session: Session, mou: Mou) -> dict | None:
    delivery = _customer_delivery(session, mou)
    if delivery is None:
        return None
    subject, text, html = email_view.parse_parts(delivery.raw)
    return {
        "delivery": delivery,
        "subject": subject or delivery.subject,
        "text": text,
        "has_html": bool(html),
    }


@router.get("/mous/{mou_id}/email.html", include_in_schema=False)
def sent_email_html(mou_id: int, user: PageUser, session: SessionDep) -> Response:
    """The HTML part of the customer email as sent, sanitised, under its own strict CSP."""
    mou = load_visible_mou(session, user, mou_id)
    delivery = _customer_delivery(session, mou)
    subject, _, html = email_view.parse_parts(delivery.raw if delivery else b"")
    if not html:
        html = "<p>No HTML version of this email was stored.</p>"
    return email_view.email_document(subject, html)


@router.post("/mous/{mou_id}/send", include_in_schema=False)
def send_saved(
    mou_id: int, request: Request, user: PageUser, _form: CsrfForm, session: SessionDep
) -> Response:
    """Send a saved complete draft (the rep's own only)."""
    mou = load_visible_mou(session, user, mou_id)
    if mou.rep_id != user.id:
        raise Forbidden("Only the rep who wrote this memo can send it.")
    with session.begin_nested():
        submit.send_mou(session, mou, user, request.app.state.settings)
    return RedirectResponse(f"/mous/{mou.id}?done=sent", 303)


@router.post("/mous/{mou_id}/reviews", include_in_schema=False)
def review_mou(
    mou_id: int, request: Request, user: PageUser, form: CsrfForm, session: SessionDep
) -> Response:
    """A manager's verdict and comment; the comment is emailed to the rep through the outbox."""
    mou = load_visible_mou(session, user, mou_id)
    comment = field(form, "comment")
    try:
        with session.begin_nested():
            verdict = field(form, "verdict")
            review.add_review(session, user, mou, verdict, comment, request.app.state.settings)
    except DomainError as exc:
        if exc.status != 422:
            raise
        return _detail_page(
            request, session, user, mou, 422, review_error=exc.message, review_comment=comment
        )
    return RedirectResponse(f"/mous/{mou.id}?done=reviewed#reviews", 303)
