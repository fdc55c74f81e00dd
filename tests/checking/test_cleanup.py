"""Email clean-up: HTML to text, quoted replies, signatures and forwards."""

from __future__ import annotations

from app.checking.cleanup import html_to_text, memo_text, strip_quoted, strip_signature, unwrap_forward


def test_html_keeps_structure_and_decodes_entities() -> None:
    html = (
        "<div><p>Hi Ana,</p><p><b>Goals:</b> cut costs &amp; time</p>"
        "<ul><li>one</li><li>two</li></ul><table><tr><td><b>Situation</b></td><td>12 stores</td></tr></table>"
        "<p>Carlos Ib&aacute;&ntilde;ez<br>Sales</p><script>x()</script></div>"
    )
    text = html_to_text(html)
    assert "Goals:\ncut costs & time" in text
    assert "- one\n- two" in text
    assert "Situation\n12 stores" in text
    assert "Ibáñez" in text
    assert "x()" not in text


def test_html_bold_inside_sentence_stays_inline() -> None:
    assert (
        html_to_text("<p>Send it by <b>Friday, June 13</b>, please.</p>")
        == "Send it by Friday, June 13, please."
    )


def test_html_blockquote_is_marked_as_quote() -> None:
    text = html_to_text("<p>Mine</p><blockquote><p>Theirs</p></blockquote>")
    assert strip_quoted(text) == "Mine"


def test_strip_quoted_variants() -> None:
    for header in (
        "On Mon, Mar 17, 2025 at 11:02 AM Yusuf <y@example.com> wrote:",
        "Am 04.03.2025 um 10:00 schrieb Bob Kunde <bob@x.de>:",
        "Le mar. 4 mars 2025 à 10:00, Bob <b@x.fr> a écrit :",
        "El lun, 24 mar 2025 a las 10:12, Lucía (<l@x.es>) escribió:",
        "Op 4 mrt. 2025 om 10:00 schreef Jan <j@x.nl>:",
        "-----Original Message-----",
    ):
        assert strip_quoted(f"Memo.\n\n{header}\nold text\n> more") == "Memo."


def test_strip_quoted_outlook_header_block_localized() -> None:
    text = "Memo.\n\nVon: Bob\nGesendet: Montag\nAn: Ana\nBetreff: Hallo\n\nold"
    assert strip_quoted(text) == "Memo."


def test_strip_quoted_wrapped_header() -> None:
    text = "Memo.\nOn Mon, Mar 17, 2025 at 11:02 AM Yusuf Demir <y@example.com>\nwrote:\n> q"
    assert strip_quoted(text) == "Memo."


def test_strip_signature_variants() -> None:
    assert strip_signature("Body text here.\n\nBest,\nAna Rep\nAcme | ana@acme.example") == "Body text here."
    assert strip_signature("Body.\n-- \nAna\nWe fix budget delays.") == "Body."
    assert strip_signature("Body.\n\nSent from my iPhone") == "Body."
    assert strip_signature("Body.\n\nRavi Menon\nPickBot\nravi@pickbot.example") == "Body."
    footer = "Body.\n\nCONFIDENTIALITY NOTICE: This e-mail is intended solely for the addressee."
    assert strip_signature(footer) == "Body."


def test_strip_signature_keeps_memo_after_a_thanks_line() -> None:
    text = "Hi,\n\nThanks,\n" + "\n".join(
        f"Line {i} of a long memo with plenty of words in it." for i in range(20)
    )
    assert strip_signature(text) == text.strip()


def test_gmail_forward() -> None:
    text = (
        "Forwarding my notes.\n\n---------- Forwarded message ---------\nFrom: Ana <a@x.com>\n"
        "Date: Tue, Mar 4, 2025\nSubject: Recap\nTo: Bob <b@y.com>\n\nInner memo."
    )
    outer, inner = unwrap_forward(text)
    assert outer == "Forwarding my notes."
    assert inner is not None and inner.body == "Inner memo."
    assert inner.headers["subject"] == "Recap" and inner.headers["from"] == "Ana <a@x.com>"


def test_outlook_forward_localized() -> None:
    text = (
        "zur Info weitergeleitet\n\n________________________________\nVon: Ana <a@x.de>\n"
        "Gesendet: Dienstag\nAn: Bob\nBetreff: WG: Recap\n\nInner memo."
    )
    _, inner = unwrap_forward(text)
    assert inner is not None and inner.body == "Inner memo." and inner.headers["subject"] == "WG: Recap"


def test_apple_forward_and_localized_markers() -> None:
    for marker in (
        "Begin forwarded message:",
        "-------- Message transféré --------",
        "---------- Mensaje reenviado ---------",
        "-------- Weitergeleitete Nachricht --------",
    ):
        _, inner = unwrap_forward(f"See below.\n\n{marker}\n\nFrom: Ana\nSubject: Recap\n\nInner memo.")
        assert inner is not None and inner.body == "Inner memo.", marker


def test_outlook_reply_is_not_a_forward() -> None:
    text = "Memo body.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Ana\nSubject: hi\n\nold"
    assert unwrap_forward(text)[1] is None
    assert memo_text(text) == "Memo body."


def test_memo_text_counts_outer_note_and_inner_memo() -> None:
    text = (
        "FYI, notes below.\r\n\r\n---------- Forwarded message ---------\r\n"
        "From: Ana\r\nSubject: Recap\r\n\r\n"
        "Inner memo.\r\n\r\nOn Mon, Bob <b@y.com> wrote:\r\n> quoted\r\n"
    )
    assert memo_text(text) == "FYI, notes below.\n\nInner memo."


def test_the_openings_found_while_cleaning_give_the_stage_a_full_search_gives() -> None:
    from app.checking.cleanup import clean_memo
    from app.checking.stage import infer_stage

    from .conftest import load_jsonl

    bodies = [(r["body"], r["format"], r["subject"]) for r in load_jsonl("mou_dev.jsonl")]
    bodies += [
        ("FYI, we were acquired last year.\n\n---------- Forwarded message ---------\nFrom: A <a@b.c>\n"
         "Subject: Fwd: notes\n\nYou're evaluating two other vendors and are frustrated.", "text", ""),
        ("Since the rollout you are happy with the results.\n\nOn Mon, Jan 6, 2025 at 9:00 AM Dana wrote:\n"
         "> We signed the order form.", "text", "Re: notes"),
        ("ΣΑΣ since the rollout", "text", ""),
    ]  # fmt: skip
    stages = set()
    for body, fmt, subject in bodies:
        text, openings = clean_memo(body, fmt, subject)
        stages.add(infer_stage(text))
        assert infer_stage(text, openings) == infer_stage(text), body[:60]
    assert len(stages) >= 4
