"""In a real browser: a rep writes an MOU with the live checklist, previews and sends it; the manager
finds it at the top of the queue and coaches; the rep sees the coaching."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
FIRST_HALF = {
    "customer_name": "Jordan Alvarez",
    "customer_email": "jordan@northwind.example",
    "company": "Northwind Logistics",
    "situation": (
        "Northwind runs 12 regional depots and plans routes in spreadsheets; dispatch takes 3 hours a day."
    ),
    "goals": (
        "They want to cut dispatch time to under an hour and cover the new Leeds depot without new hires."
    ),
}
SECOND_HALF = {
    "obstacles": (
        "Route data lives in three systems that do not talk to each other, and IT has no spare capacity."
    ),
    "complications": "The CFO must approve anything over 50k and the budget cycle closes in June.",
    "next_step": (
        "Jordan will share last quarter's route data with our solutions engineer by Friday 14 March."
    ),
}
COACHING = "Good summary. Ask who else signs off before the June budget close."


def sign_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))


def element(page, name: str):
    return page.locator(f'#checklist [data-element="{name}"]')


def test_rep_writes_sends_and_is_coached(live_server, chromium, shoot):
    from playwright.sync_api import expect as pageexpect

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    sign_in(page, live_server, live_server.rep_email)
    page.wait_for_url(re.compile(r"/mous$"))
    shoot(page, "01-rep-my-mous-empty")

    page.get_by_role("link", name="New MOU").first.click()
    page.wait_for_url(re.compile(r"/mous/new"))
    for name, value in FIRST_HALF.items():
        page.locator(f"#{name}").fill(value)
    page.locator("#stage").select_option("change")
    # The live checklist calls /api/check as the rep types and flags what is missing.
    pageexpect(element(page, "situation")).to_have_class(re.compile("is-present"), timeout=10_000)
    pageexpect(element(page, "obstacles")).to_have_class(re.compile("is-missing"))
    pageexpect(element(page, "complications")).to_have_class(re.compile("is-missing"))
    pageexpect(page.locator("#checklist-status")).to_contain_text("obstacles")
    pageexpect(page.locator("#send-button")).to_be_disabled()
    shoot(page, "02-new-mou-incomplete")

    for name, value in SECOND_HALF.items():
        page.locator(f"#{name}").fill(value)
    pageexpect(page.locator("#checklist-status")).to_have_text(
        "All four required elements are present.", timeout=10_000
    )
    pageexpect(page.locator("#send-button")).to_be_enabled()

    page.get_by_role("button", name="Preview").click()
    frame = page.frame_locator("#preview-frame")
    pageexpect(frame.locator("body")).to_contain_text("Northwind", timeout=10_000)
    pageexpect(frame.locator("body")).to_contain_text("Route data lives in three systems")
    shoot(page, "03-new-mou-complete-preview")

    page.locator("#send-button").click()
    page.wait_for_url(re.compile(r"/mous/\d+\?done=sent"))
    pageexpect(page.get_by_role("status").first).to_contain_text("Sent")
    mou_url = page.url.split("?")[0]
    shoot(page, "04-mou-sent")
    sign_out(page)

    sign_in(page, live_server, live_server.manager_email)
    page.wait_for_url(re.compile(r"/queue$"))
    first_row = page.locator(".queue-table tbody tr").first
    pageexpect(first_row).to_contain_text("Northwind Logistics")
    pageexpect(first_row).to_contain_text("Unreviewed")
    shoot(page, "05-manager-queue")

    first_row.get_by_role("link").first.click()
    page.wait_for_url(mou_url)
    pageexpect(page.locator("mark").first).to_be_visible()
    sent_html = page.frame_locator("iframe.preview-frame").locator("body")
    pageexpect(sent_html).to_contain_text("Route data lives in three systems", timeout=10_000)
    shoot(page, "06-manager-mou-page")
    page.get_by_label("Coach").check()
    page.get_by_label(re.compile("^Comment for")).fill(COACHING)
    page.get_by_role("button", name="Save review").click()
    page.wait_for_url(re.compile(r"done=reviewed"))
    pageexpect(page.locator("#reviews")).to_contain_text(COACHING)
    shoot(page, "07-manager-coached")

    page.goto(f"{live_server.url}/dashboard")
    pageexpect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shoot(page, "08-manager-dashboard")
    sign_out(page)

    sign_in(page, live_server, live_server.rep_email)
    page.wait_for_url(re.compile(r"/mous$"))
    pageexpect(page.locator(".coaching").first).to_contain_text(COACHING)
    pageexpect(page.locator(".coaching").first).to_contain_text("María Núñez")
    shoot(page, "09-rep-sees-coaching")

    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    context.close()
