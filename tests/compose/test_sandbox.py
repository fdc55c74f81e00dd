"""Admin templates: sandboxed, escaped, size- and time-limited, and linted."""

from __future__ import annotations

import time

import pytest

from app.compose import ComposeError, TemplateLimitExceeded, TemplateSource, render_source
from app.compose.context import SAMPLES
from app.compose.lint import lint_template, templates_check

CTX = SAMPLES["customer"]


def admin(
    html: str, subject: str = "Hello {{ customer_name }}", text: str = "{{ situation }}"
) -> TemplateSource:
    return TemplateSource("custom", subject, html, text)


def test_admin_template_renders_escaped_html_and_plain_text():
    context = dict(CTX, situation="<b>x</b> & y")
    email = render_source(admin("<p>{{ situation }}</p>"), context)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in email.html
    assert email.text.strip() == "<b>x</b> & y"
    assert email.subject == "Hello Jordan Alvarez"


def test_admin_template_may_extend_the_shipped_layout():
    html = '{% extends "_layout/base.html" %}{% block content %}{{ goals|paragraphs }}{% endblock %}'
    assert "Cut dispatch time" in render_source(admin(html), CTX).html


def test_sandbox_blocks_attribute_escapes():
    with pytest.raises(ComposeError) as info:
        render_source(admin("{{ cycler.__init__.__globals__.os.popen('id').read() }}"), CTX)
    assert info.value.status == 422 and "not allowed" in info.value.message


@pytest.mark.parametrize(
    "expression",
    [
        "{{ 'a' * 10**7 }}",
        "{{ 2 ** (2 ** 20) }}",
        "{{ 'a'|center(10**9) }}",
        "{{ '%999999999s'|format('a') }}",
        "{{ ('a' * 100000)|replace('a', 'a' * 1000) }}",
        "{{ range(100000)|join('x' * 100000) }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s|length }}{% endmacro %}{{ d('ab', 40) }}",
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
    ],
)
def test_sandbox_caps_huge_values_and_output(expression):
    started = time.monotonic()
    with pytest.raises(TemplateLimitExceeded):
        render_source(admin(expression), CTX)
    assert time.monotonic() - started < 1.5


def test_sandbox_refuses_expanding_string_methods():
    with pytest.raises(ComposeError, match="not allowed"):
        render_source(admin("{{ '{:>999999999}'.format('a') }}"), CTX)


def test_sandbox_stops_slow_templates():
    slow = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateLimitExceeded, match="longer than"):
        render_source(admin(slow), CTX)
    assert time.monotonic() - started < 5


def test_missing_variable_in_an_admin_template_names_it():
    with pytest.raises(ComposeError) as info:
        render_source(admin("<p>{{ budget_owner }}</p>"), CTX)
    assert "'budget_owner'" in info.value.message


def test_lint_finds_every_problem_in_a_broken_template():
    broken = TemplateSource(
        "broken", "Hi {{ customer_nam }}", "{% if situation %}<p>{{ goals|safe }}</p>", ""
    )
    problems = [str(p) for p in lint_template(broken)]
    assert any("subject.txt" in p and "unknown variable 'customer_nam'" in p for p in problems)
    assert any("body.html:1" in p and "syntax error" in p for p in problems)
    assert any("body.txt" in p and "missing or empty" in p for p in problems)
    unsafe = TemplateSource(
        "unsafe", "Hi", "<p>{{ goals|safe }}</p>{% autoescape false %}{% endautoescape %}", "x"
    )
    assert len(lint_template(unsafe)) == 2


def test_check_command_fails_on_a_broken_directory(tmp_path):
    (tmp_path / "subject.txt").write_text("Hi {{ nobody }}")
    (tmp_path / "body.html").write_text("<p>{{ situation }}</p>")
    lines: list[str] = []
    assert templates_check(paths=[tmp_path], echo=lines.append) == 1
    assert any("unknown variable 'nobody'" in line for line in lines)
    assert any("body.txt" in line for line in lines)
