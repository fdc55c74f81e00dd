"""Hostile and odd input: CPython's email test corpus, deep nesting, bad charsets, random bytes."""

from __future__ import annotations

import contextlib
import email
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.intake import inbound as mime
from app.intake.errors import MalformedEmail, MalformedPayload
from app.intake.inbound import (
    BodyTooLarge,
    attachment_names,
    decode_bytes,
    decode_words,
    extract_body,
    make_inbound,
    parse_message,
    strict_addresses,
)
from app.intake.providers import ADAPTERS
from app.intake.verify import SignatureInvalid, check_sns_url
from tests.intake.conftest import CLOUDMAILIN_AUTH, basic, inbox, process

CORPUS = Path(email.__file__).parent.parent / "test" / "test_email" / "data"
CORPUS_FILES = sorted(CORPUS.glob("*")) if CORPUS.is_dir() else []
RAW = {"Content-Type": "message/rfc822", "Authorization": basic(*CLOUDMAILIN_AUTH)}
NO_FAIL = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.mark.skipif(not CORPUS_FILES, reason=f"CPython's email test corpus is not installed at {CORPUS}")
def test_cpython_email_corpus_never_gives_5xx(client, session, settings, reps):
    statuses = {}
    for path in CORPUS_FILES:
        response = client.post("/webhooks/inbound/mime", content=path.read_bytes(), headers=RAW)
        statuses[path.name] = response.status_code
        assert response.status_code < 500, (path.name, response.text)
        if response.status_code >= 400:
            assert response.json()["error"]["message"], path.name
    assert len(statuses) >= 60
    rows = process(session, settings)
    assert rows and all(r.status == "processed" for r in rows), [
        (r.subject, r.detail) for r in rows if r.status != "processed"
    ]


def nested(depth: int) -> bytes:
    head = b"From: a@b.example\r\nMIME-Version: 1.0\r\n"
    parts = []
    for i in range(depth):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    return head + b"".join(parts) + b"Content-Type: text/plain\r\n\r\nhi\r\n"


@pytest.mark.parametrize("depth", [60, 1500])
def test_deep_nesting_is_a_clear_4xx(client, session, depth):
    response = client.post("/webhooks/inbound/mime", content=nested(depth), headers=RAW)
    assert response.status_code == 422
    assert "nest" in response.json()["error"]["message"]
    assert inbox(session) == []


def test_modest_nesting_is_fine():
    assert extract_body(parse_message(nested(10)))[0].strip() == "hi"


def test_deep_json_is_a_clear_4xx(client, session):
    body = b"[" * 100000 + b"]" * 100000
    headers = {"Content-Type": "application/json", "Authorization": basic(*CLOUDMAILIN_AUTH)}
    response = client.post("/webhooks/inbound/mime", content=body, headers=headers)
    assert response.status_code == 422


def test_unknown_and_bogus_charsets_fall_back():
    raw = (
        b"From: a@b.example\r\nSubject: =?x-klingon?q?qapla=E9?= =?base64?b?aGk=?=\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"\r\ncaf\xc3\xa9 \xff"
    )
    msg = parse_message(raw)
    text, fmt = extract_body(msg)
    assert fmt == "text" and text.startswith("café")
    assert mime.header_text(msg, "subject")


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        (b"\x93quoted\x94", "iso-8859-1", "\u201cquoted\u201d"),
        (b"\x80", "us-ascii", "€"),
        (b"caf\xc3\xa9", None, "café"),
        (b"caf\xe9", None, "café"),
        (b"abc", "base64", "abc"),
        (b"abc", "idna", "abc"),
    ],
)
def test_decode_bytes_fallbacks(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_encoded_words_split_inside_a_character_are_joined():
    # "é" (C3 A9) split across two encoded words: the bytes must be joined before decoding.
    assert decode_words("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=") == "café"


def test_rfc2231_filename_is_preferred():
    raw = (Path(__file__).parent / "payloads" / "raw_mime_3.eml").read_bytes()
    assert attachment_names(parse_message(raw)) == ["Calder Foods – MOU draft v2.pdf"]


def test_header_injection_is_flattened():
    msg = parse_message(b"From: a@b.example\r\nSubject: =?utf-8?q?Hi=0D=0ABcc:_x@evil.test?=\r\n\r\nx")
    subject = mime.header_text(msg, "subject")
    assert "\r" not in subject and "\n" not in subject


@pytest.mark.parametrize(
    "value",
    [
        "bob@example.org <alice@evil.test>",
        "alice@evil.test <bob@example.org> x@y.example",
        '"x" <a@b.example> <c@d.example>',
    ],
)
def test_ambiguous_addresses_are_refused(value):
    found = strict_addresses(value)
    assert len(found) != 1


def test_size_cap():
    with pytest.raises(BodyTooLarge):
        parse_message(b"From: a@b.example\r\n\r\n" + b"x" * 100, max_bytes=50)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com@evil.example/cert.pem",
        "https://user@sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://xsns.us-east-1.amazonaws.com/cert.pem",
    ],
)
def test_sns_certificate_host_check(url):
    with pytest.raises(SignatureInvalid):
        check_sns_url(url)


@pytest.mark.parametrize(
    "url", ["https://sns.eu-west-1.amazonaws.com/x.pem", "https://sns.cn-north-1.amazonaws.com.cn/x.pem"]
)
def test_sns_certificate_host_check_allows_aws(url):
    check_sns_url(url)


# --- properties ----------------------------------------------------------------------------------


@hsettings(max_examples=300, deadline=None, suppress_health_check=NO_FAIL)
@given(st.binary(max_size=3000))
def test_any_bytes_parse_or_fail_cleanly(data):
    try:
        message = make_inbound(data, provider="mime")
    except MalformedEmail:
        return
    extract_body(message.message)
    attachment_names(message.message)
    assert len(message.dedupe_key) == 64
    _ = message.subject, message.message_id


mime_line = st.sampled_from(
    [
        b'Content-Type: multipart/mixed; boundary="x"',
        b"Content-Type: message/rfc822",
        b'Content-Type: text/plain; charset="utf-7"',
        b"Content-Type: text/html; charset=bogus",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"Content-Disposition: attachment; filename*=utf-8''%E2%80%93.pdf",
        b"Subject: =?utf-8?b?w6k=?= =?iso-8859-1?q?=E9?=",
        b'From: "=?utf-8?q?A?=" <a@b.example>',
        b"--x",
        b"--x--",
        b"",
        b"=E9=C3 caf\xe9",
        b"PGI+aGk8L2I+",
    ]
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=NO_FAIL)
@given(st.lists(mime_line, max_size=40))
def test_mime_shaped_input_never_crashes(lines):
    try:
        message = make_inbound(b"\r\n".join(lines), provider="mime")
    except MalformedEmail:
        return
    extract_body(message.message)
    mime.attached_messages(message.message)
    _ = message.content_hash


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
provider_fields = st.dictionaries(
    st.sampled_from(
        [
            "email",
            "headers",
            "text",
            "html",
            "envelope",
            "charsets",
            "body-mime",
            "body-plain",
            "message-headers",
            "recipient",
            "sender",
            "attachment-info",
            "TextBody",
            "RawEmail",
            "Headers",
            "Attachments",
        ]
    ),
    st.text(max_size=200),
    max_size=8,
)


@hsettings(max_examples=200, deadline=None, suppress_health_check=NO_FAIL)
@given(st.sampled_from(sorted(ADAPTERS)), provider_fields, json_value)
def test_adapters_never_crash_on_arbitrary_fields(provider, fields, extra):
    from urllib.parse import urlencode

    bodies = [
        ("application/x-www-form-urlencoded", urlencode(fields).encode()),
        ("application/json", json.dumps({**fields, "extra": extra}).encode()),
        ("application/json", json.dumps(extra).encode()),
        (
            "multipart/form-data; boundary=zz",
            b'--zz\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
            + json.dumps(fields).encode()
            + b"\r\n--zz--\r\n",
        ),
    ]
    for ctype, body in bodies:
        with contextlib.suppress(MalformedEmail, MalformedPayload, BodyTooLarge):
            ADAPTERS[provider]({"content-type": ctype}, body, 10_000_000)
