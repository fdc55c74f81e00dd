"""The variables each kind of template receives, a sample of each for previews and lint, and builders."""

from __future__ import annotations

from datetime import date
from typing import Any

ELEMENT_LABELS = {
    "situation": "Situation",
    "goals": "Goals",
    "obstacles": "Obstacles",
    "complications": "Complications",
    "next_step": "Next step",
}
STAGE_LABELS = {
    "change": ("Change", "Needs"),
    "discontent": ("Discontent", "Needs"),
    "research": ("Research", "Options"),
    "comparison": ("Comparison", "Options"),
    "fear": ("Fear", "Decision"),
    "commitment": ("Commitment", "Decision"),
    "expectations": ("Expectations", "Results"),
    "satisfaction": ("Satisfaction", "Results"),
}

CUSTOMER_SAMPLE: dict[str, Any] = {
    "customer_name": "Jordan Alvarez",
    "customer_first_name": "Jordan",
    "customer_email": "jordan.alvarez@northwind.example",
    "company": "Northwind Logistics",
    "meeting_date": date(2025, 3, 4),
    "situation": "12 regional depots plan routes in spreadsheets; dispatch takes 3 hours a day.",
    "goals": "Cut dispatch time to under an hour and cover the new Leeds depot without new hires.",
    "obstacles": "Route data lives in three systems that do not talk to each other.",
    "complications": "The CFO must approve anything over £50k, and the budget cycle closes in June.",
    "next_step": "Jordan shares last quarter's route data with our solutions engineer.",
    "next_step_due": date(2025, 3, 14),
    "stage": "research",
    "stage_label": "Research",
    "phase_label": "Options",
    "rep_name": "Dana Whitfield",
    "rep_first_name": "Dana",
    "rep_email": "dana.whitfield@seller.example",
    "reply_address": "mou+sample@inbound.mou-assistant.example",
}

_MOU_LINK = {"mou_url": "https://mou.example/mous/42"}

INTERNAL_SAMPLES: dict[str, dict[str, Any]] = {
    "rep_feedback": {
        "rep_first_name": "Dana",
        "customer_name": "Jordan Alvarez",
        "company": "Northwind Logistics",
        "sent_to_customer": False,
        "missing": [
            {"label": "Obstacles", "hint": "What stands between the customer and their goals?"},
            {"label": "Complications", "hint": "Who else decides, and what deadlines or budgets apply?"},
        ],
        "present": ["Situation", "Goals"],
        **_MOU_LINK,
    },
    "coaching": {
        "rep_first_name": "Dana",
        "manager_name": "Sam Okafor",
        "customer_name": "Jordan Alvarez",
        "company": "Northwind Logistics",
        "verdict": "coach",
        "verdict_label": "Coaching note",
        "comment": "Good situation summary. Ask who else signs off before the June budget close.",
        **_MOU_LINK,
    },
    "reminder": {
        "rep_first_name": "Dana",
        "customer_name": "Jordan Alvarez",
        "company": "Northwind Logistics",
        "next_step": "Jordan shares last quarter's route data.",
        "next_step_due": date(2025, 3, 14),
        "days_overdue": 3,
        **_MOU_LINK,
    },
    "reply_forward": {
        "rep_first_name": "Dana",
        "customer_name": "Jordan Alvarez",
        "from_addr": "jordan.alvarez@northwind.example",
        "company": "Northwind Logistics",
        "classification": "corrected",
        "classification_label": "Correction",
        "reply_text": "One correction: we have 14 depots, not 12.",
        "highlights": [
            {
                "element": "situation",
                "element_label": "Situation",
                "memo_sentence": "Northwind runs 12 regional depots.",
                "reply_sentence": "we have 14 depots, not 12.",
                "marked": "[-Northwind runs 12 regional-] {+we have 14+} depots",
                "parts": [{"op": "removed", "text": "12"}, {"op": "added", "text": "14"}],
            }
        ],
        **_MOU_LINK,
    },
    "digest": {
        "recipient_first_name": "Sam",
        "team_name": "Enterprise North",
        "period_label": "the week to 14 March 2025",
        "summary": [{"label": "Waiting for review", "value": 1}, {"label": "Next steps overdue", "value": 1}],
        "items": [
            {
                "customer_name": "Jordan Alvarez",
                "company": "Northwind Logistics",
                "rep_name": "Dana Whitfield",
                "status_label": "Sent, unreviewed",
                "stage_label": "Research",
                "next_step": "Share route data",
                "next_step_due": date(2025, 3, 14),
                "overdue": True,
                "url": "https://mou.example/mous/42",
            }
        ],
        "queue_url": "https://mou.example/queue",
    },
}

SAMPLES: dict[str, dict[str, Any]] = {"customer": CUSTOMER_SAMPLE, **INTERNAL_SAMPLES}


def known_variables(kind: str) -> frozenset[str]:
    """Names a template of this kind may use."""
    return frozenset(SAMPLES.get(kind, {}))


def first_name(name: str | None) -> str:
    """The first word of a display name, or '' when there is none."""
    parts = (name or "").split()
    return parts[0] if parts else ""


def mou_context(mou: Any, rep: Any, reply_address: str) -> dict[str, Any]:
    """The customer-template context for one MOU and its rep (memo text passed through as data)."""
    stage_label, phase_label = STAGE_LABELS.get(mou.stage or "", (None, None))
    return {
        "customer_name": mou.customer_name or "",
        "customer_first_name": first_name(mou.customer_name),
        "customer_email": mou.customer_email or "",
        "company": mou.company or "",
        "meeting_date": mou.meeting_date,
        "situation": mou.situation or "",
        "goals": mou.goals or "",
        "obstacles": mou.obstacles or "",
        "complications": mou.complications or "",
        "next_step": mou.next_step or "",
        "next_step_due": mou.next_step_due,
        "stage": mou.stage,
        "stage_label": stage_label,
        "phase_label": phase_label,
        "rep_name": rep.name,
        "rep_first_name": first_name(rep.name),
        "rep_email": rep.email,
        "reply_address": reply_address,
    }
