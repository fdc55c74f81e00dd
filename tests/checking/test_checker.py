"""Behaviour of the checker on the memo shapes reps write."""

from __future__ import annotations

from datetime import date

from app.checking import ELEMENTS, Checklist, check_fields, check_memo

FULL = {
    "situation": "Acme runs 12 warehouses with 300 staff, and picking is planned in spreadsheets.",
    "goals": "You want to cut order cycle time from 3 days to 1 by year end.",
    "obstacles": "The WMS can't see stock across sites, so pickers walk to empty bins.",
    "complications": "Your CFO must approve anything over $50k and the budget is set in October.",
    "next": "You'll send last month's order export by Friday.",
}


def _memo(layout: str) -> str:
    f = FULL
    if layout == "headed":
        return (
            f"Current situation\n{f['situation']}\n\nYour goals\n{f['goals']}\n\n"
            f"Challenges\n{f['obstacles']}\n\n"
            f"Complications\n{f['complications']}\n\nNext steps\n{f['next']}"
        )
    if layout == "runin":
        return (
            f"Today: {f['situation']}\nGoal: {f['goals']}\nBlockers: {f['obstacles']}\n"
            f"Other factors: {f['complications']}\nNext: {f['next']}"
        )
    if layout == "questions":
        return (
            f"Where are you today?\n{f['situation']}\n\nWhat do you want to achieve?\n{f['goals']}\n\n"
            f"What's getting in the way?\n{f['obstacles']}\n\nWhat else could affect the decision?\n"
            f"{f['complications']}\n\nWhat happens next?\n{f['next']}"
        )
    if layout == "caps":
        return (
            f"SITUATION\n{f['situation']}\n\nOBJECTIVES\n{f['goals']}\n\nROADBLOCKS\n{f['obstacles']}\n\n"
            f"OTHER CONSIDERATIONS\n{f['complications']}\n\nNEXT STEPS\n{f['next']}"
        )
    if layout == "numbered":
        return (
            f"1. Where things stand\n{f['situation']}\n2. What you're aiming for\n{f['goals']}\n"
            f"3. Obstacles\n{f['obstacles']}\n4. Complications\n{f['complications']}\n"
            f"5. Next step\n{f['next']}"
        )
    if layout == "markdown":
        return (
            f"## Background\n{f['situation']}\n## Objectives\n- {f['goals']}\n"
            f"## Pain points\n- {f['obstacles']}\n"
            f"## Things to keep in mind\n- {f['complications']}\n## Action items\n- {f['next']}"
        )
    return " ".join([f["situation"], f["goals"], f["obstacles"], f["complications"], f["next"]])


def test_every_heading_style_is_complete() -> None:
    for layout in ("headed", "runin", "questions", "caps", "numbered", "markdown", "prose"):
        checklist = check_memo("Hi Dana,\n\n" + _memo(layout) + "\n\nBest,\nAna")
        assert checklist.complete, (layout, checklist.missing)
        assert checklist.elements["next_step"].present, layout


def test_html_bold_headings_and_table() -> None:
    f = FULL
    html = "".join(
        f"<p><b>{h}</b><br>{t}</p>"
        for h, t in (
            ("Situation", f["situation"]),
            ("Goals", f["goals"]),
            ("Obstacles", f["obstacles"]),
            ("Complications", f["complications"]),
            ("Next step", f["next"]),
        )
    )
    assert check_memo(html, "html").complete
    table = (
        "<table>"
        + "".join(
            f"<tr><td><b>{h}</b></td><td>{t}</td></tr>"
            for h, t in (
                ("Where you are", f["situation"]),
                ("What you want", f["goals"]),
                ("What's in the way", f["obstacles"]),
                ("Other factors", f["complications"]),
            )
        )
        + "</table>"
    )
    assert check_memo(table, "html").complete


def test_placeholders_and_empty_headings_are_absent() -> None:
    for filler in (
        "TBD",
        "n/a",
        "None that we know of.",
        "To be discussed at our next meeting.",
        "Nothing major so far.",
        "No major obstacles identified.",
        "",
    ):
        memo = _memo("headed").replace(FULL["obstacles"], filler)
        checklist = check_memo(memo)
        assert not checklist.elements["obstacles"].present, filler
        assert checklist.missing == ["obstacles"]


def test_quoted_reply_and_signature_do_not_count() -> None:
    memo = _memo("headed").replace(f"Challenges\n{FULL['obstacles']}\n\n", "")
    quoted = (
        memo + "\n\nBest,\nAna\n\nOn Mon, Mar 3, 2025 at 9:00 AM Bob <b@x.com> wrote:\n> " + FULL["obstacles"]
    )
    assert not check_memo(quoted).elements["obstacles"].present
    signed = (
        memo
        + "\n\nBest,\nAna Rep\nAcme | ana@acme.example\nWe fix systems that can't see stock across sites."
    )
    assert not check_memo(signed).elements["obstacles"].present


def test_forwarded_own_memo_counts() -> None:
    memo = (
        "Forwarding my recap.\n\n---------- Forwarded message ---------\nFrom: Ana <a@x.com>\n"
        "Subject: Recap\nTo: Bob <b@y.com>\n\n" + _memo("headed")
    )
    assert check_memo(memo).complete


def test_rep_goals_are_not_customer_goals() -> None:
    memo = _memo("headed").replace(
        f"Your goals\n{FULL['goals']}", "Our goals\n- Become Acme's long-term partner."
    )
    assert not check_memo(memo).elements["goals"].present
    prose = _memo("prose").replace(FULL["goals"], "Our goal today was to introduce our team.")
    assert not check_memo(prose).elements["goals"].present


def test_next_step_needs_the_customer_and_a_time_frame() -> None:
    base = _memo("headed").replace(FULL["next"], "{}")
    assert not check_memo(base.format("I'll send the proposal by Friday.")).elements["next_step"].present
    undated = check_memo(base.format("You'll then review it with your director."))
    assert not undated.elements["next_step"].present
    assert undated.elements["next_step"].hint == "By when will you review it with your director?"
    assert check_memo(base.format("Could you send the export by Friday?")).elements["next_step"].present
    assert check_memo(base.format("Send us the requirements by July 3.")).elements["next_step"].present


def test_due_dates_relative_to_memo_date() -> None:
    memo_date = date(2025, 3, 5)  # a Wednesday
    base = _memo("headed").replace(FULL["next"], "You'll send the export {}.")
    cases = {
        "by Friday": date(2025, 3, 7),
        "by next Wednesday": date(2025, 3, 12),
        "EOW": date(2025, 3, 7),
        "by the 12th": date(2025, 3, 12),
        "before March 3": date(2026, 3, 3),
        "by 2025-04-01": date(2025, 4, 1),
        "by the end of the month": date(2025, 3, 31),
        "by Thursday the 20th": date(2025, 3, 20),
        "by Friday, March 14": date(2025, 3, 14),
        "within two weeks": date(2025, 3, 19),
        "by tomorrow": date(2025, 3, 6),
    }
    for phrase, expected in cases.items():
        checklist = check_memo(base.format(phrase), memo_date=memo_date)
        assert checklist.next_step_due == expected, phrase


def test_stage_inference() -> None:
    cases = {
        "Since the merger with Lakeside in January you run two systems.": "change",
        "You're frustrated with how reactive the current process is.": "discontent",
        "You're early in looking at options and haven't seen any demos yet.": "research",
        "You're evaluating us alongside two other vendors.": "comparison",
        "You told me you're worried about repeating the failed rollout.": "fear",
        "You'll return the signed order form by Friday.": "commitment",
        "The agreement is signed; here is what you expect from the first 90 days.": "expectations",
        "You said you're happy with the results since rollout.": "satisfaction",
        "You run 12 warehouses.": None,
    }
    for sentence, stage in cases.items():
        assert check_memo(sentence).stage == stage, sentence


def test_customer_focus_warnings() -> None:
    pitch = (
        "We're thrilled. Our platform is the leader and our customers love our dashboards. "
        "We offer 25% off list price if you sign this month. We can also add our premium support."
    )
    warnings = check_memo(pitch).warnings
    assert any("pricing" in w for w in warnings)
    assert any("we/our/I" in w for w in warnings)
    assert check_memo(_memo("headed")).warnings == ()


def test_hints_are_specific_questions_in_the_memos_words() -> None:
    memo = (
        "Your goals\n- Get mean time to resolution for P1 incidents under 45 minutes.\n\n"
        "Situation\nYou run 140 services on Kubernetes."
    )
    checklist = check_memo(memo)
    hint = checklist.elements["obstacles"].hint
    assert (
        hint
        == "What stands between you and getting mean time to resolution for P1 incidents under 45 minutes?"
    )
    for name in ELEMENTS:
        item = checklist.elements[name]
        assert (item.hint is None) == item.present
        if item.hint:
            assert item.hint.rstrip(")").endswith("?") or "?" in item.hint


def test_evidence_is_a_span_of_the_memo() -> None:
    memo = _memo("prose") + " " + "word " * 100
    checklist = check_memo(memo)
    for name in ELEMENTS:
        ev = checklist.elements[name].evidence
        assert ev and ev in memo and len(ev) <= 200


def test_checklist_round_trip_and_contract_shape() -> None:
    checklist = check_memo(_memo("headed"), memo_date=date(2025, 3, 5))
    data = checklist.to_dict()
    assert set(data) == {"complete", "elements", "stage", "warnings", "next_step_due"}
    assert set(data["elements"]) == set(ELEMENTS)
    assert data["next_step_due"] == "2025-03-07"
    assert Checklist.from_dict(data) == checklist


def test_check_fields_judges_each_field_and_explicit_values_win() -> None:
    checklist = check_fields(
        situation="We run 12 warehouses with 300 staff.",
        goals="Cut cycle time to one day.",
        obstacles="TBD",
        complications="CFO approval needed; budget set in October.",
        next_step="Send order export",
        next_step_due=date(2025, 4, 1),
        stage="comparison",
    )
    assert checklist.missing == ["obstacles"]
    assert checklist.elements["next_step"].present
    assert checklist.next_step_due == date(2025, 4, 1)
    assert checklist.stage == "comparison"
    assert "cutting cycle time to one day" in checklist.elements["obstacles"].hint
    undated = check_fields(next_step="You'll review the proposal with your team.")
    assert not undated.elements["next_step"].present
    assert check_fields(next_step="I'll send the deck by Friday.").elements["next_step"].present is False


def test_hostile_input_returns_a_checklist() -> None:
    for body, fmt in (
        ("", "text"),
        ("\x00\xff\ufffd" * 1000, "text"),
        ("<div>" * 5000 + "x", "html"),
        ("a " * 2_500_000, "text"),
        ("<p>unclosed <b>bold", "html"),
        ("<<>>&&#;;", "html"),
    ):
        checklist = check_memo(body, fmt)
        assert not checklist.complete
