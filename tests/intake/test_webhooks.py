"""Every recorded provider payload posted as its exact bytes to the running app."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from app.intake import verify
from tests.intake.conftest import (
    CLOUDMAILIN_AUTH,
    PAYLOADS,
    POSTMARK_AUTH,
    basic,
    inbox,
    load_http,
    mailgun_fields,
    mous,
    process,
    stored_email,
)

SIGNED = [
    ("sendgrid_parsed_1.http", 1741711626),
    ("sendgrid_parsed_3_attachment.http", 1741874732),
    ("sendgrid_raw_1_bcc.http", 1741801213),
    ("mailgun_1_parsed_bcc.http", 1741801213),
    ("mailgun_2_parsed_attachment.http", 1741874732),
    ("ses_sns_1_base64_sv2.http", datetime.fromisoformat("2025-03-11T16:47:06+00:00").timestamp()),
    ("standardwebhooks_1_valid.http", 1741711626),
]
BAD = [
    ("sendgrid_raw_2_badsig_autoreply.http", 1741856405),
    ("mailgun_4_badsig_dsn.http", 1741977003),
    ("standardwebhooks_2_badsig.http", 1741711626),
]
SES_URL = "/webhooks/inbound/ses"


def post_recorded(client, name: str, provider: str | None = None, **extra_headers: str):
    rec = load_http(name)
    path = f"/webhooks/inbound/{provider}" if provider else rec.path
    if path.endswith("/relay"):  # the relay sample's path is illustrative: it is our `mime` webhook
        path = "/webhooks/inbound/mime"
    return client.post(path, content=rec.body, headers={**rec.headers, **extra_headers})


# Requests carrying a provider event id (SNS/SES message id, Standard Webhooks webhook-id): a
# redelivery is known at the door. SendGrid sends none: its copy is found when the worker reads it.
EVENT_ID = ("ses_", "standardwebhooks_")


@pytest.mark.parametrize(("name", "ts"), SIGNED)
def test_signed_sample_is_stored_once(client, session, settings, frozen, name, ts):
    frozen(ts)
    first = post_recorded(client, name)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    again = post_recorded(client, name) if "mailgun" not in name else None
    if again is not None:  # a redelivery is acknowledged and creates nothing
        assert again.status_code == 200
        if name.startswith(EVENT_ID):
            assert again.json() == {
                "status": "duplicate",
                "id": first.json()["id"],
                "detail": again.json()["detail"],
            }
        else:
            assert again.json()["status"] == "accepted"
    rows = process(session, settings)
    originals = [r for r in rows if r.outcome != "duplicate"]
    assert len(originals) == 1
    assert originals[0].id == first.json()["id"]
    assert stored_email(session, settings, originals[0]) and originals[0].message_id
    copies = [r for r in rows if r.outcome == "duplicate"]
    assert len(copies) == (0 if again is None or name.startswith(EVENT_ID) else 1)
    assert all(r.mou_id is None and str(first.json()["id"]) in r.detail for r in copies)


@pytest.mark.parametrize(("name", "ts"), BAD)
def test_bad_signature_is_401_and_stores_nothing(client, session, frozen, name, ts):
    frozen(ts)
    response = post_recorded(client, name)
    assert response.status_code == 401
    assert response.json()["error"]["message"]
    assert inbox(session) == []


def test_ses_tampered_notification_is_refused(client, session, frozen):
    frozen(datetime.fromisoformat("2025-03-11T16:47:06+00:00").timestamp())
    body = (PAYLOADS / "ses_sns_3_badsig_tampered.json").read_bytes()
    response = client.post(SES_URL, content=body, headers={"Content-Type": "text/plain; charset=UTF-8"})
    assert response.status_code == 401
    assert inbox(session) == []


def test_ses_json_body_matches_http_sample(client, session, settings, frozen):
    frozen(datetime.fromisoformat("2025-03-11T16:47:06+00:00").timestamp())
    body = (PAYLOADS / "ses_sns_1_base64_sv2.json").read_bytes()
    response = client.post(SES_URL, content=body, headers={"Content-Type": "text/plain; charset=UTF-8"})
    assert response.status_code == 200, response.text
    row = process(session, settings)[0]
    assert stored_email(session, settings, row) == (PAYLOADS / "raw_mime_1.eml").read_bytes()


def test_subscription_confirmation_fetches_subscribe_url_after_verifying(
    client, session, frozen, monkeypatch
):
    fetched = []
    monkeypatch.setattr(verify, "http_get", lambda url: fetched.append(url) or b"<ok/>")
    frozen(datetime.fromisoformat("2025-03-10T12:00:05+00:00").timestamp())
    body = (PAYLOADS / "ses_sns_4_subscription_confirmation.json").read_bytes()
    response = client.post(
        SES_URL, content=body, headers={"x-amz-sns-message-type": "SubscriptionConfirmation"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "subscribed"
    assert fetched == [json.loads(body)["SubscribeURL"]]
    assert inbox(session) == []


def test_tampered_subscription_confirmation_is_never_fetched(client, frozen, monkeypatch):
    fetched = []
    monkeypatch.setattr(verify, "http_get", lambda url: fetched.append(url) or b"")
    frozen(datetime.fromisoformat("2025-03-10T12:00:05+00:00").timestamp())
    data = json.loads((PAYLOADS / "ses_sns_4_subscription_confirmation.json").read_bytes())
    data["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=evil"
    response = client.post(SES_URL, content=json.dumps(data).encode())
    assert response.status_code == 401
    assert fetched == []


def test_postmark_needs_basic_auth(client, session, settings):
    body = (PAYLOADS / "postmark_3_attachment_mailboxhash.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    assert client.post("/webhooks/inbound/postmark", content=body, headers=headers).status_code == 401
    wrong = {**headers, "Authorization": basic(POSTMARK_AUTH[0], "nope")}
    assert client.post("/webhooks/inbound/postmark", content=body, headers=wrong).status_code == 401
    assert inbox(session) == []
    good = {**headers, "Authorization": basic(*POSTMARK_AUTH)}
    response = client.post("/webhooks/inbound/postmark", content=body, headers=good)
    assert response.status_code == 200, response.text
    rows = process(session, settings)
    assert [(r.provider_id, r.tag) for r in rows] == [("9a8b7c6d-5e4f-4321-8fed-cba987654321", "acct-4821")]
    again = client.post("/webhooks/inbound/postmark", content=body, headers=good)
    assert again.json()["status"] == "duplicate"


def test_cloudmailin_json_via_mime_with_basic_auth(client, session, settings):
    body = (PAYLOADS / "cloudmailin_1_json_normalized_bcc.json").read_bytes()
    headers = {"Content-Type": "application/json", "Authorization": basic(*CLOUDMAILIN_AUTH)}
    response = client.post("/webhooks/inbound/mime", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert process(session, settings)[0].envelope_to == ["mou@inbound.mou-assistant.example"]


def test_replayed_mailgun_token_is_refused(client, session, frozen):
    frozen(1741801213)
    first = post_recorded(client, "mailgun_1_parsed_bcc.http")
    assert first.status_code == 200
    replay = post_recorded(client, "mailgun_1_parsed_bcc.http")
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]["message"]
    assert len(inbox(session)) == 1


def test_mailgun_raw_mime_mode_with_fresh_token(client, session, settings, frozen):
    frozen(1741801300)
    fields = {
        **mailgun_fields(1741801290, "a" * 50),
        "recipient": "mou@inbound.mou-assistant.example",
        "sender": "dana.whitfield@northwind-analytics.example",
        "body-mime": (PAYLOADS / "raw_mime_5.eml").read_bytes().decode(),
    }
    response = client.post("/webhooks/inbound/mailgun", data=fields)
    assert response.status_code == 200, response.text
    row = process(session, settings)[0]
    assert stored_email(session, settings, row) == (PAYLOADS / "raw_mime_5.eml").read_bytes()


@pytest.mark.parametrize(
    ("name", "ts"),
    [("sendgrid_parsed_1.http", 1741711626 + 301), ("mailgun_1_parsed_bcc.http", 1741801213 + 301)],
)
def test_stale_timestamp_is_refused(client, session, frozen, name, ts):
    frozen(ts)
    response = post_recorded(client, name)
    assert response.status_code == 401
    assert "window" in response.json()["error"]["message"]
    assert inbox(session) == []


def test_stale_sns_message_is_refused(client, session, frozen):
    frozen(datetime.fromisoformat("2025-03-11T18:00:00+00:00").timestamp())
    assert post_recorded(client, "ses_sns_1_base64_sv2.http").status_code == 401
    assert inbox(session) == []


def test_stale_standard_webhook_is_refused(client, session, frozen):
    frozen(1741711626 - 400)
    assert post_recorded(client, "standardwebhooks_1_valid.http").status_code == 401


@pytest.mark.parametrize(
    ("provider", "setting"),
    [
        ("sendgrid", "MOU_SENDGRID_PUBLIC_KEY"),
        ("mailgun", "MOU_MAILGUN_SIGNING_KEY"),
        ("postmark", "MOU_POSTMARK_WEBHOOK_USER"),
        ("ses", "MOU_SES_TOPIC_ARNS"),
        ("mime", "MOU_WEBHOOK_SECRET"),
    ],
)
def test_unconfigured_provider_is_503_naming_the_setting(app, client, session, provider, setting):
    app.state.settings = app.state.settings.model_copy(
        update={
            "sendgrid_public_key": None,
            "sendgrid_webhook_user": None,
            "mailgun_signing_key": None,
            "postmark_webhook_user": None,
            "ses_topic_arns": [],
            "webhook_secret": None,
            "mime_webhook_user": None,
        }
    )
    response = client.post(f"/webhooks/inbound/{provider}", content=b"From: a@b.example\r\n\r\nhi")
    assert response.status_code == 503
    assert setting in response.json()["error"]["message"]
    assert inbox(session) == []


def test_body_over_the_limit_is_413(app, client, session):
    app.state.settings = app.state.settings.model_copy(update={"webhook_max_bytes": 1000})
    body = b"From: a@b.example\r\n\r\n" + b"x" * 2000
    headers = {"Authorization": basic(*CLOUDMAILIN_AUTH), "Content-Type": "message/rfc822"}
    assert client.post("/webhooks/inbound/mime", content=body, headers=headers).status_code == 413

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(10):
            yield b"x" * 500

    response = client.post("/webhooks/inbound/mime", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert inbox(session) == []


def test_unknown_provider_is_404(client):
    assert client.post("/webhooks/inbound/nope", content=b"x").status_code == 404


def test_same_bcc_email_through_four_providers_is_one_record(client, session, settings, frozen, reps):
    # None of these requests names the email itself: the worker finds the copies by Message-ID + body.
    frozen(1741801213)
    acks = [post_recorded(client, "sendgrid_raw_1_bcc.http").json()]
    acks.append(post_recorded(client, "mailgun_1_parsed_bcc.http").json())
    cloud = (PAYLOADS / "cloudmailin_1_json_normalized_bcc.json").read_bytes()
    headers = {"Content-Type": "application/json", "Authorization": basic(*CLOUDMAILIN_AUTH)}
    acks.append(client.post("/webhooks/inbound/mime", content=cloud, headers=headers).json())
    raw = (PAYLOADS / "raw_mime_5.eml").read_bytes()
    headers = {"Content-Type": "message/rfc822", "Authorization": basic(*CLOUDMAILIN_AUTH)}
    acks.append(client.post("/webhooks/inbound/mime", content=raw, headers=headers).json())
    assert [a["status"] for a in acks] == ["accepted"] * 4
    rows = process(session, settings)
    assert [r.id for r in rows] == [a["id"] for a in acks]
    assert rows[0].outcome == "mou_logged", rows[0].detail
    assert [r.outcome for r in rows[1:]] == ["duplicate"] * 3, [(r.outcome, r.detail) for r in rows]
    assert all(r.mou_id is None and f"inbound message {rows[0].id}" in r.detail for r in rows[1:])
    assert len(mous(session)) == 1
