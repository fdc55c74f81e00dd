"""The New MOU form: reading it into the intake's MouInput and preparing what the page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select
from starlette.datastructures import FormData

from app import compose
from app.intake.submit import ELEMENT_FIELDS, MouInput
from app.models import EmailTemplate, Mou
from app.web.deps import field as form_field

TEXT_FIELDS = ("customer_email", "customer_name", "company", *ELEMENT_FIELDS)
OPTIONAL_FIELDS = ("meeting_date", "next_step_due", "stage", "template")
MODES = ("fields", "paste")


@dataclass
class MouForm:
    """What the rep typed, echoed back on every re-render so nothing is lost."""

    mode: str = "fields"
    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        """One value ('' when absent)."""
        return self.values.get(name, "")


def read_mou_form(form: FormData) -> MouForm:
    """Collect the posted fields of either mode."""
    mode = form_field(form, "mode")
    names = (*TEXT_FIELDS, *OPTIONAL_FIELDS, "body", "format", "subject")
    values = {name: form_field(form, name) for name in names}
    return MouForm(mode=mode if mode in MODES else "fields", values=values)


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors()[:6]:
        where = ".".join(str(p) for p in err.get("loc", ())).replace("_", " ")
        out.append(f"{where or 'form'}: {err.get('msg', 'invalid')}")
    return out


def to_input(mou_form: MouForm) -> MouInput | None:
    """The MouInput for the form's mode, or None with the problems recorded on the form."""
    v = mou_form.values
    data: dict[str, Any] = {"customer_email": v["customer_email"], "customer_name": v["customer_name"]}
    data["company"] = v["company"]
    for name in OPTIONAL_FIELDS:
        if v.get(name):
            data[name] = v[name]
    if mou_form.mode == "paste":
        data.update(body=v["body"], subject=v["subject"], format="html" if v["format"] == "html" else "text")
    else:
        data.update({name: v[name] for name in ELEMENT_FIELDS})
    try:
        return MouInput(**data)
    except ValidationError as exc:
        mou_form.errors.extend(_problems(exc))
        return None


def form_from_mou(mou: Mou) -> MouForm:
    """Start a new memo from an earlier one (to complete a held draft)."""
    values = {name: str(getattr(mou, name) or "") for name in TEXT_FIELDS}
    values.update(
        meeting_date=mou.meeting_date.isoformat() if mou.meeting_date else "",
        next_step_due=mou.next_step_due.isoformat() if mou.next_step_due else "",
        stage=mou.stage or "",
        template=mou.template or "",
        body=mou.body,
        subject=mou.subject,
        format=mou.body_format,
    )
    # A memo that came as free text (pasted or emailed) reopens as the text it was written as.
    return MouForm(mode="paste" if mou.body.strip() else "fields", values=values)


def template_choices(session: Session) -> list[compose.TemplateInfo]:
    """Templates the rep may pick: the shipped customer ones and the admin-added ones."""
    rows = session.exec(select(EmailTemplate).order_by(EmailTemplate.name)).all()
    sources = [
        compose.TemplateSource(
            name=r.name, subject=r.subject, html=r.html, text=r.text, description=r.description
        )
        for r in rows
    ]
    return compose.list_templates(sources)
