"""Rendering the shipped templates: parts, escaping of hostile memos, missing variables, CSS inlining."""

from __future__ import annotations

import pytest

from app.compose import ComposeError, TemplateNotFound, list_templates, render_internal, render_mou_email
from app.compose.context import SAMPLES
from app.compose.lint import templates_check
from app.compose.render import builtin_templates

HOSTILE = "<b>bold</b><script>alert(1)</script>{{ 7*7 }}{% if true %}X{% endif %}\"'&"
CUSTOMER = [t.name for t in list_templates()]
INTERNAL = [info.kind for info in builtin_templates().values() if info.kind != "customer"]


# Links and addresses are made by the app or strictly validated, never taken from memo text.
SYSTEM_VALUES = {"mou_url", "url", "queue_url", "rep_email", "customer_email", "reply_address", "from_addr"}


def hostile(context: dict) -> dict:
    """Every memo-sourced string in the context (and nested lists of dicts) replaced by hostile text."""

    def spoil(value, key=""):
        if key in SYSTEM_VALUES or key in ("verdict", "op", "classification"):
            return value
        if isinstance(value, str):
            return HOSTILE
        if isinstance(value, list):
            return [spoil(v) for v in value]
        if isinstance(value, dict):
            return {k: spoil(v, k) for k, v in value.items()}
        return value

    return spoil(context)


def test_at_least_three_customer_templates_ship():
    assert {"structured", "conversational", "formal"} <= set(CUSTOMER)
    assert {"rep_feedback", "coaching", "reminder", "digest"} <= set(INTERNAL)


@pytest.mark.parametrize("name", CUSTOMER)
def test_customer_templates_have_three_parts_and_ask_for_corrections(name):
    email = render_mou_email(SAMPLES["customer"], name)
    assert email.subject and "\n" not in email.subject
    assert "<html" in email.html and "Jordan" in email.html
    assert "Jordan shares last quarter" in email.text and "<" not in email.text
    assert "14 March 2025" in email.text and "14 March 2025" in email.html
    for part in (email.text.lower(), email.html.lower()):
        assert "confirm" in part and ("correct" in part or "off" in part or "does not reflect" in part)


@pytest.mark.parametrize("name", CUSTOMER)
def test_css_is_inlined_and_no_remote_assets(name):
    html = render_mou_email(SAMPLES["customer"], name).html
    assert "<style" not in html and 'style="' in html
    assert "http://" not in html and "src=" not in html


@pytest.mark.parametrize("name", CUSTOMER)
def test_hostile_memo_renders_inert_in_every_customer_template(name):
    email = render_mou_email(hostile(SAMPLES["customer"]), name)
    assert "<b>bold" not in email.html and "<script" not in email.html
    assert "&lt;b&gt;bold" in email.html and "&lt;script&gt;" in email.html
    assert "49" not in email.html and "{{ 7*7 }}" in email.html  # memo text is never template source
    assert "{% if true %}X{% endif %}" in email.text  # the text part is plain text: shown as typed
    assert "\n" not in email.subject


@pytest.mark.parametrize("kind", INTERNAL)
def test_hostile_text_is_escaped_in_every_internal_template(kind):
    email = render_internal(kind, hostile(SAMPLES[kind]))
    assert "<b>bold" not in email.html and "<script" not in email.html
    assert "&lt;b&gt;bold" in email.html


def test_missing_variable_blocks_rendering_with_a_clear_message():
    context = dict(SAMPLES["customer"])
    del context["goals"]
    with pytest.raises(ComposeError) as info:
        render_mou_email(context, "structured")
    assert info.value.status == 422
    assert "'goals'" in info.value.message and "structured" in info.value.message


def test_empty_optional_fields_read_naturally():
    context = dict(
        SAMPLES["customer"],
        next_step="",
        next_step_due=None,
        meeting_date=None,
        customer_name="",
        customer_first_name="",
    )
    email = render_mou_email(context, "structured")
    assert "Dear Sir or Madam" in email.text and "not yet agreed" in email.text
    assert "None" not in email.text and "None" not in email.html


def test_unknown_template_is_a_clear_error():
    with pytest.raises(TemplateNotFound) as info:
        render_mou_email(SAMPLES["customer"], "does-not-exist")
    assert info.value.status == 422 and "does-not-exist" in info.value.message


def test_shipped_templates_pass_the_check():
    lines: list[str] = []
    assert templates_check(echo=lines.append) == 0
    assert lines[-1].endswith("templates ok")
