/* Driver's outcomes that survive a weak signal.
   Each outcome is stored in localStorage with its own Idempotency-Key and the time it was tapped,
   then sent to POST /api/v1/stops/{id}/outcome. Anything not answered is kept and sent again
   (same key, same body) when the phone is back online, every 30 s, and on the next page load:
   the server records it once however many times it arrives. */
(function () {
  "use strict";
  var QUEUE_KEY = "equipment.outcomes.v1";
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function status(text) {
    var el = document.getElementById("sync-status");
    if (el) el.textContent = text;
  }
  function stopCard(id) { return document.getElementById("stop-" + id); }
  function showOnStop(id, text, isError) {
    var card = stopCard(id);
    if (!card) return;
    var badge = card.querySelector('[data-role="status"]');
    var error = card.querySelector('[data-role="error"]');
    if (isError) { if (error) error.textContent = text; return; }
    if (badge) badge.textContent = text;
    if (error) error.textContent = "";
  }

  function refreshStatus() {
    var n = load().length;
    status(n ? n + " outcome" + (n > 1 ? "s" : "") + " waiting to send" : "All outcomes sent");
  }

  function flush() {
    if (sending) return;
    var queue = load();
    if (!queue.length) { refreshStatus(); return; }
    sending = true;
    var item = queue[0];
    fetch("/api/v1/stops/" + item.stop + "/outcome", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Idempotency-Key": item.key, "X-CSRFToken": csrf() },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, code: response.status, body: body };
      });
    }).then(function (answer) {
      sending = false;
      if (answer.ok) {
        save(load().filter(function (q) { return q.key !== item.key; }));
        showOnStop(item.stop, (answer.body && answer.body.stop_status) || "saved");
        var form = document.querySelector('form.outcome[data-stop-id="' + item.stop + '"]');
        if (form && answer.body && answer.body.stop_status !== "partial") form.remove();
        if (stopCard(item.stop) && answer.body.stop_status !== "partial") stopCard(item.stop).classList.add("done");
        flush();
      } else if (answer.code >= 400 && answer.code < 500 && answer.code !== 408 && answer.code !== 429) {
        // Refused on its merits (a missing name, a serial that does not match): fix and resend.
        save(load().filter(function (q) { return q.key !== item.key; }));
        showOnStop(item.stop, "Not saved: " + ((answer.body && answer.body.detail) || answer.code), true);
        flush();
      } else {
        refreshStatus();  // server trouble: keep it and try later
      }
    }).catch(function () {
      sending = false;  // no signal: keep it and try later
      refreshStatus();
    });
  }

  // An inspection or recall visit: each unit's pass or fail, who examined, the acknowledgement.
  function addVisitReport(form, data, body) {
    var results = [];
    form.querySelectorAll("select[data-serial]").forEach(function (select) {
      if (select.value) results.push({ serial: select.getAttribute("data-serial"), result: select.value });
    });
    if (results.length) body.inspections = results;
    if (data.get("examiner")) body.examiner = data.get("examiner");
    if (data.get("acknowledged")) body.acknowledged = true;
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form.classList.contains("outcome")) return;
    event.preventDefault();
    var button = event.submitter;
    var data = new FormData(form);
    var body = { status: button ? button.value : "delivered", at: new Date().toISOString() };
    var serials = [];
    form.querySelectorAll('input[name="serials"]:checked').forEach(function (box) {
      if (box.getAttribute("data-kind") === body.status) serials.push(box.value);
    });
    if (serials.length) body.serials = serials;
    if (body.status === "failed") {
      if (!data.get("reason")) { showOnStop(form.getAttribute("data-stop-id"), "Choose why it failed.", true); return; }
      body.reason = data.get("reason");
    } else if (data.get("recipient")) {
      body.recipient = data.get("recipient");
    }
    if (body.status !== "failed") addVisitReport(form, data, body);
    var queue = load();
    queue.push({ key: newKey(), stop: form.getAttribute("data-stop-id"), body: body });
    save(queue);
    showOnStop(form.getAttribute("data-stop-id"), "saved on phone, sending…");
    flush();
  }

  document.addEventListener("submit", onSubmit);
  window.addEventListener("online", flush);
  window.setInterval(flush, 30000);
  document.addEventListener("DOMContentLoaded", flush);
})();
