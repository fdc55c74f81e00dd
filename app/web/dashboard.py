"""The manager dashboard: customers by buying stage, days to MOU, completeness and next steps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import SessionDep
from app.review import dashboard as figures
from app.review.schemas import DashboardOut
from app.web.charts import BarChart, bar_chart
from app.web.deps import PageManager
from app.web.templating import ELEMENT_LABELS, render

router = APIRouter()
PHASE_TONES = {"needs": "needs", "options": "options", "decision": "decision", "results": "results"}


def stage_chart(data: DashboardOut) -> BarChart:
    """Customers at each of the eight stages, coloured by phase."""
    items = [
        (f"{phase.label} · {s.label}", s.count, str(s.count), PHASE_TONES.get(phase.phase, "needs"))
        for phase in data.phases
        for s in phase.stages
    ]
    items.append(("Stage unknown", data.unknown_stage, str(data.unknown_stage), "muted"))
    return bar_chart("Customers by buying stage", items)


def days_chart(data: DashboardOut) -> BarChart:
    """How long after the meeting memos were written."""
    items = [(b.label, b.count, str(b.count), "options") for b in data.days_to_mou.buckets]
    return bar_chart("Days from meeting to MOU", items)


def completeness_chart(data: DashboardOut) -> BarChart:
    """Share of each rep's memos complete the first time."""
    items = []
    for rep in data.reps:
        rate = rep.completeness_rate or 0.0
        tone = "ok" if rate >= 0.8 else "warn" if rate >= 0.5 else "bad"
        items.append((rep.rep.name, rate * 100, f"{round(rate * 100)}% of {rep.mous}", tone))
    return bar_chart("Complete the first time", items, max_value=100)


@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request, user: PageManager, session: SessionDep) -> Response:
    """Where the team's customers are, and where coaching is needed."""
    data = figures.dashboard(session, user)
    return render(
        request,
        "dashboard.html",
        data=data,
        stages=stage_chart(data),
        days=days_chart(data),
        completeness=completeness_chart(data),
        element_labels=ELEMENT_LABELS,
    )
