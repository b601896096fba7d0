// The order form, made quick from the keyboard: catalogue search with live availability at the
// serving depot, availability beside each line, and the due time before the order is submitted.
// Without this script the form still works: lines are typed by SKU and the server checks all.
(function () {
  "use strict";
  const form = document.getElementById("order-form");
  if (!form) return;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const previewUrl = form.dataset.previewUrl;
  const availabilityUrl = form.dataset.availabilityUrl;
  const search = $("#item-search");
  const results = $("#item-results");
  const tbody = $("#lines tbody");
  const needsAuth = new Set();
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  });
  const POSTCODE = /^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$/;

  ["#search-field", "#add-line"].forEach((s) => { const el = $(s); if (el) el.hidden = false; });
  $$(".remove-line").forEach((b) => { b.hidden = false; });
  const summary = $("#error-summary");
  if (summary) summary.focus();

  function postcode() {
    const input = $("#su_postcode");
    const value = input ? input.value : form.dataset.postcode || "";
    return POSTCODE.test(value) ? value.trim() : "";
  }

  function debounce(fn, ms) {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  async function getJSON(url, params) {
    const query = new URLSearchParams();
    Object.entries(params).forEach(([k, v]) => { if (v !== "" && v !== null && v !== undefined) query.set(k, v); });
    const response = await fetch(url + "?" + query.toString(), { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function stockText(item, depot) {
    const here = depot ? `${item.available} at ${depot}` : "no depot serves this postcode yet";
    return { text: `${here} · ${item.elsewhere} elsewhere`, ok: item.available > 0 };
  }

  // --- due time --------------------------------------------------------------------------
  const output = $("#due-preview");
  const refreshDue = debounce(async () => {
    if (!output) return;
    const received = $("#received_at");
    try {
      const preview = await getJSON(previewUrl, {
        response_class: $("#response_class").value,
        received_at: received ? received.value : "",
        needs_authorisation: needsAuth.size ? "true" : "",
      });
      output.textContent = preview.due_at ? when.format(new Date(preview.due_at)) : "when authorised (the clock starts then)";
    } catch (e) {
      output.textContent = "—";
    }
  }, 120);

  // --- kind and class ----------------------------------------------------------------------
  const kind = $("#kind");
  function matchClassesToKind() {
    if (!kind) return;
    const wanted = kind.value === "collection" ? "collection" : "delivery";
    const select = $("#response_class");
    $$("option", select).forEach((o) => { o.hidden = o.dataset.kind !== wanted; o.disabled = o.hidden; });
    if (select.selectedOptions[0] && select.selectedOptions[0].hidden) {
      const first = $$("option", select).find((o) => !o.hidden);
      if (first) select.value = first.value;
    }
  }
  if (kind) kind.addEventListener("change", () => { matchClassesToKind(); refreshDue(); });
  $("#response_class").addEventListener("change", refreshDue);
  const received = $("#received_at");
  if (received) received.addEventListener("change", refreshDue);
  matchClassesToKind();

  // --- lines -----------------------------------------------------------------------------
  function rowInputs(row) {
    return { sku: $("input.sku", row), qty: $("input.qty", row), serial: $("input[name$='-serial']", row), cell: $(".avail", row) };
  }

  function newRow() {
    const rows = $$("tr", tbody);
    const last = rows[rows.length - 1];
    const n = Math.max(...rows.map((r) => Number(r.dataset.row))) + 1;
    const row = last.cloneNode(true);
    row.dataset.row = String(n);
    $$("input", row).forEach((input) => {
      input.name = input.name.replace(/lines-\d+-/, `lines-${n}-`);
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(n + 1)));
    });
    $$(".error", row).forEach((e) => e.remove());
    $$(".has-error", row).forEach((e) => e.classList.remove("has-error"));
    $(".avail", row).textContent = "";
    tbody.appendChild(row);
    return row;
  }

  function emptyRow() {
    return $$("tr", tbody).find((row) => { const r = rowInputs(row); return !r.sku.value && !r.serial.value; }) || newRow();
  }

  async function refreshRow(row) {
    const r = rowInputs(row);
    const sku = r.sku.value.trim().toUpperCase();
    if (!sku) { r.cell.textContent = ""; return; }
    try {
      const found = await getJSON(availabilityUrl, { q: sku, postcode: postcode(), limit: 10 });
      const item = found.items.find((i) => i.sku.toUpperCase() === sku);
      if (!item) { r.cell.innerHTML = '<span class="none">unknown SKU</span>'; return; }
      if (item.needs_authorisation) needsAuth.add(item.sku); else needsAuth.delete(item.sku);
      const s = stockText(item, found.depot);
      r.cell.innerHTML = "";
      const span = document.createElement("span");
      span.className = s.ok ? "some" : "none";
      span.textContent = s.text + (item.needs_authorisation ? " · needs authorisation" : "");
      r.cell.appendChild(span);
      refreshDue();
    } catch (e) {
      r.cell.textContent = "";
    }
  }

  tbody.addEventListener("change", (event) => {
    if (event.target.matches("input.sku")) refreshRow(event.target.closest("tr"));
  });
  tbody.addEventListener("click", (event) => {
    if (!event.target.matches(".remove-line")) return;
    const row = event.target.closest("tr");
    const r = rowInputs(row);
    if (r.sku.value) needsAuth.delete(r.sku.value.trim().toUpperCase());
    [r.sku, r.qty, r.serial].forEach((i) => { i.value = ""; });
    r.cell.textContent = "";
    refreshDue();
    if (search) search.focus();
  });
  const addLine = $("#add-line");
  if (addLine) addLine.addEventListener("click", () => rowInputs(emptyRow()).sku.focus());

  // --- catalogue search (a combobox: arrows choose, Enter adds, Escape closes) -------------------
  let options = [];
  let active = -1;
  let lastDepot = null;

  function close() {
    results.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    const items = $$("li[role=option]", results);
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
    search.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function choose(index) {
    const item = options[index];
    if (!item) return;
    const row = emptyRow();
    const r = rowInputs(row);
    r.sku.value = item.sku;
    r.qty.value = "1";
    if (item.needs_authorisation) needsAuth.add(item.sku);
    const s = stockText(item, lastDepot);
    r.cell.innerHTML = "";
    const span = document.createElement("span");
    span.className = s.ok ? "some" : "none";
    span.textContent = s.text + (item.needs_authorisation ? " · needs authorisation" : "");
    r.cell.appendChild(span);
    search.value = "";
    close();
    r.qty.focus();
    r.qty.select();
    refreshDue();
  }

  const runSearch = debounce(async () => {
    const q = search.value.trim();
    if (!q) { close(); return; }
    try {
      const found = await getJSON(availabilityUrl, { q, postcode: postcode(), limit: 8 });
      options = found.items;
      lastDepot = found.depot;
      const note = $("#depot-note");
      if (note) note.textContent = found.depot ? `Availability at ${found.depot}, the depot serving ${found.district}.` : "Enter the postcode to see the serving depot's stock.";
      results.innerHTML = "";
      if (!options.length) {
        const li = document.createElement("li");
        li.textContent = "No item matches.";
        results.appendChild(li);
      }
      options.forEach((item, i) => {
        const li = document.createElement("li");
        li.id = `item-option-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.textContent = `${item.sku} — ${item.name}${item.needs_authorisation ? " (authorisation)" : ""}`;
        const stockSpan = document.createElement("span");
        const s = stockText(item, found.depot);
        stockSpan.className = s.ok ? "some" : "none";
        stockSpan.textContent = s.text;
        li.append(name, stockSpan);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
        results.appendChild(li);
      });
      results.hidden = false;
      search.setAttribute("aria-expanded", "true");
      if (options.length) highlight(0);
    } catch (e) {
      close();
    }
  }, 150);

  if (search) {
    search.addEventListener("input", runSearch);
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter") { event.preventDefault(); if (!results.hidden && active >= 0) choose(active); }
      else if (event.key === "Escape") { close(); }
    });
    search.addEventListener("blur", () => setTimeout(close, 150));
  }

  // --- the person: check digit and postcode as typed; a known NHS number fills the rest -------
  function fieldMessage(input, message, isError) {
    const field = input.closest(".field");
    const served = document.getElementById(input.id + "-error");  // the server's message, now out of date
    if (served) served.remove();
    let p = document.getElementById(input.id + "-live");
    if (!message) { if (p) p.remove(); if (isError !== undefined) { input.removeAttribute("aria-invalid"); field.classList.remove("has-error"); } return; }
    if (!p) { p = document.createElement("p"); p.id = input.id + "-live"; p.setAttribute("role", "status"); field.appendChild(p); }
    p.className = isError ? "error" : "muted";
    p.textContent = message;
    if (isError) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", p.id); field.classList.add("has-error"); }
    else { input.removeAttribute("aria-invalid"); field.classList.remove("has-error"); }
  }

  function nhsValid(digits) {
    if (!/^\d{10}$/.test(digits)) return false;
    let total = 0;
    for (let i = 0; i < 9; i++) total += Number(digits[i]) * (10 - i);
    let check = 11 - (total % 11);
    if (check === 11) check = 0;
    return check !== 10 && check === Number(digits[9]);
  }

  const nhsInput = $("#su_nhs_number");
  if (nhsInput && form.dataset.personUrl) {
    nhsInput.addEventListener("change", async () => {
      const digits = nhsInput.value.replace(/[\s-]/g, "");
      if (!digits) { fieldMessage(nhsInput, "", false); return; }
      if (!nhsValid(digits)) { fieldMessage(nhsInput, "This is not a valid NHS number (check the digits)", true); return; }
      fieldMessage(nhsInput, "Looking up…", false);
      try {
        const found = await getJSON(form.dataset.personUrl, { nhs_number: digits });
        const su = found.service_user;
        const fill = { su_name: su.name, su_address: su.address, su_postcode: su.postcode, su_phone: su.phone,
                       su_access_notes: su.access_notes, su_safety_alerts: su.safety_alerts };
        Object.entries(fill).forEach(([id, value]) => { const el = document.getElementById(id); if (el && !el.value) el.value = value || ""; });
        const open = found.open_orders.length ? ` · open orders ${found.open_orders.join(", ")}` : "";
        fieldMessage(nhsInput, `Known person: ${su.name}, ${su.postcode}${open}`, false);
        $$("tr", tbody).forEach(refreshRow);
      } catch (e) {
        fieldMessage(nhsInput, "New person: fill in their details", false);
      }
    });
  }
  const pcInput = $("#su_postcode");
  if (pcInput) {
    pcInput.addEventListener("change", () => {
      const ok = !pcInput.value.trim() || POSTCODE.test(pcInput.value);
      fieldMessage(pcInput, ok ? "" : "Not a UK postcode (for example IP4 2QJ)", !ok ? true : false);
    });
  }

  // Alt+I: find an item; Alt+S: submit (event.code, so Option on a Mac works too).
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.code === "KeyI" && search) { event.preventDefault(); search.focus(); search.select(); }
    else if (event.code === "KeyS") { event.preventDefault(); form.requestSubmit(); }
  });

  const postcodeInput = $("#su_postcode");
  if (postcodeInput) {
    postcodeInput.addEventListener("change", () => $$("tr", tbody).forEach(refreshRow));
  }
  $$("tr", tbody).forEach((row) => { if (rowInputs(row).sku.value) refreshRow(row); });
  refreshDue();
})();
