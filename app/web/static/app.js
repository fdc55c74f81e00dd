// MOU Assistant: the live checklist on the New MOU form. The page works without this script;
// with it, the checklist follows the rep's typing and Send unlocks once the memo is complete.
(function () {
  "use strict";

  var form = document.getElementById("mou-form");
  if (!form) { return; }

  var ELEMENT_FIELDS = ["situation", "goals", "obstacles", "complications", "next_step"];
  var PASTE_FIELDS = ["body", "subject"];
  var OPTIONAL = ["stage", "next_step_due", "template", "customer_email", "customer_name", "company", "meeting_date"];
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var sendButton = document.getElementById("send-button");
  var statusLine = document.getElementById("checklist-status");
  var timer = null;
  var inFlight = null;
  var lastPayload = "";

  function value(name) {
    var el = form.elements.namedItem(name);
    return el && typeof el.value === "string" ? el.value : "";
  }

  function payload() {
    var mode = value("mode");
    var data = {};
    var names = mode === "paste" ? PASTE_FIELDS : ELEMENT_FIELDS;
    names.concat(OPTIONAL).forEach(function (name) {
      var v = value(name).trim();
      if (v) { data[name] = v; }
    });
    if (mode === "paste") { data.format = "text"; }
    return data;
  }

  function hasText(data) {
    return ELEMENT_FIELDS.concat(["body"]).some(function (n) { return Boolean(data[n]); });
  }

  function setSend(complete) {
    if (!sendButton) { return; }
    sendButton.disabled = !complete;
    sendButton.setAttribute("aria-disabled", complete ? "false" : "true");
  }

  function showElement(item, result) {
    var present = Boolean(result && result.present);
    item.classList.remove("is-unknown", "is-present", "is-missing");
    item.classList.add(present ? "is-present" : "is-missing");
    item.querySelector(".check-state").textContent = present ? "Present" : "Missing";
    var detail = "";
    if (present && result.evidence) { detail = "\u201c" + result.evidence + "\u201d"; }
    if (!present && result && result.hint) { detail = result.hint; }
    item.querySelector(".check-detail").textContent = detail;  // textContent: never parsed as HTML
  }

  function showChecklist(checklist) {
    var elements = checklist.elements || {};
    document.querySelectorAll("#checklist .check-item").forEach(function (item) {
      showElement(item, elements[item.getAttribute("data-element")]);
    });
    var missing = checklist.missing || [];
    if (statusLine) {
      statusLine.textContent = missing.length
        ? "Missing: " + missing.map(function (m) { return m.replace("_", " "); }).join(", ") + "."
        : "All four required elements are present.";
    }
    setSend(missing.length === 0);
  }

  function showProblem(message) {
    if (statusLine) { statusLine.textContent = message; }
  }

  function check() {
    var data = payload();
    var body = JSON.stringify(data);
    if (body === lastPayload) { return; }
    lastPayload = body;
    if (!hasText(data)) { setSend(false); return; }
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    fetch("/api/check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: body,
      signal: inFlight.signal
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    }).then(function (result) {
      if (result.ok) { showChecklist(result.json); return; }
      var error = result.json && result.json.error;
      showProblem(error && error.message ? error.message : "The checklist could not be updated.");
    }).catch(function (err) {
      if (err && err.name === "AbortError") { return; }
      showProblem("The checklist could not be updated; use the Check button.");
    });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 400);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter === sendButton && sendButton.disabled) { event.preventDefault(); }
  });
  document.body.classList.add("js");
  if (hasText(payload())) { check(); } else { setSend(false); }
})();
