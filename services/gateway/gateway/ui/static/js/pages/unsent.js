// Unsent Communications: the auto-generated and one-time notices waiting to be sent (emails)
// or posted (letters), filtered by type and method; select some and send, download the letters
// as one PDF, or mark them mailed. An admin can run the daily auto-generation now.

import { get, post } from "../api.js";
import { badge, formatDate, formatNumber, h, label, replace, todayIso } from "../dom.js";
import { letterLinkWhenReady, recipientOf } from "../communications.js";
import { letterLinkBox } from "../create_log.js";
import { errorAlert, field, formDialog, infoAlert, pageHeader } from "../ui.js";

const PAGE_SIZE = 50;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function listOf(answer) {
  return Array.isArray(answer) ? answer : answer?.items || [];
}

export async function renderUnsent(main, ctx) {
  const params = new URLSearchParams(location.search);
  const view = { type: params.get("type") || "", method: params.get("method") || "", page: Math.max(1, Number(params.get("page") || 1)) };
  const selected = new Map(); // id -> method
  let items = [];
  let stopped = false;

  const message = h("div", { "aria-live": "polite", id: "unsent-message" });
  const letters = h("section", { class: "card", id: "unsent-letters", hidden: true, "aria-label": "Letters download" });
  const body = h("section", { class: "card", "aria-busy": "true", "aria-labelledby": "unsent-title" }, h("p", { class: "empty" }, "Loading the unsent communications…"));
  const runButton = ctx.canAct ? h("button", { type: "button", id: "run-auto", onclick: runNow }, "Run auto-generation now") : null;
  replace(main,
    pageHeader("Unsent Communications", "Auto-generated and one-time notices waiting to be sent or mailed.", [runButton]),
    message, letters, body);

  // The run button is on screen before the types have answered: runNow() waits for them, so a
  // quick click never opens a dialog without the auto types.
  let types = [];
  const typesLoaded = get("/api/communication-types").then(
    (answer) => { types = listOf(answer); },
    (error) => { replace(message, errorAlert(error)); });
  await typesLoaded;
  const typeName = Object.fromEntries(types.map((t) => [t.id, t.name]));

  function say(node) {
    replace(message, node || "");
  }

  function go(changes) {
    Object.assign(view, changes);
    const q = new URLSearchParams();
    if (view.type) q.set("type", view.type);
    if (view.method) q.set("method", view.method);
    if (view.page > 1) q.set("page", view.page);
    history.replaceState(null, "", `/communications/unsent${q.toString() ? `?${q}` : ""}`);
    selected.clear();
    return load();
  }

  const typeSelect = h("select", { id: "unsent-type", onchange: (e) => go({ type: e.target.value, page: 1 }) },
    h("option", { value: "" }, "All types"),
    types.map((t) => h("option", { value: t.id, selected: t.id === view.type }, `${t.name}${t.trigger === "auto" ? " (auto)" : ""}`)));
  const methodSelect = h("select", { id: "unsent-method", onchange: (e) => go({ method: e.target.value, page: 1 }) },
    h("option", { value: "" }, "Email and letter"),
    ["email", "letter"].map((m) => h("option", { value: m, selected: m === view.method }, label(m))));
  const selectionText = h("span", { id: "unsent-selection", "aria-live": "polite" }, "");
  const sendButton = h("button", { type: "button", class: "primary", id: "unsent-send", onclick: sendSelected }, "Send emails");
  const lettersButton = h("button", { type: "button", id: "unsent-letters-button", onclick: downloadLetters }, "Download letters");
  const mailedButton = h("button", { type: "button", id: "unsent-mark-mailed", onclick: markMailed }, "Mark mailed");

  function counts() {
    let emails = 0;
    let letterCount = 0;
    for (const m of selected.values()) m === "email" ? (emails += 1) : (letterCount += 1);
    return { emails, letters: letterCount };
  }

  function syncSelection() {
    const { emails, letters: letterCount } = counts();
    selectionText.textContent = selected.size
      ? `${formatNumber(selected.size)} selected (${formatNumber(emails)} ${emails === 1 ? "email" : "emails"}, ${formatNumber(letterCount)} ${letterCount === 1 ? "letter" : "letters"})`
      : "None selected: letter actions apply to every unsent letter";
    sendButton.disabled = emails === 0;
    sendButton.title = emails === 0 ? "Select the emails to send" : "";
    const anyLetters = letterCount > 0 || (selected.size === 0 && (lastAnswer?.by_method?.letter || 0) > 0);
    lettersButton.disabled = !anyLetters;
    mailedButton.disabled = !anyLetters;
    const all = body.querySelector("#unsent-select-all");
    if (all) {
      const onPage = items.length;
      const chosen = items.filter((c) => selected.has(c.id)).length;
      all.checked = onPage > 0 && chosen === onPage;
      all.indeterminate = chosen > 0 && chosen < onPage;
    }
  }

  let lastAnswer = null;
  async function load() {
    body.setAttribute("aria-busy", "true");
    const q = new URLSearchParams({ page: view.page, page_size: PAGE_SIZE });
    if (view.type) q.set("type", view.type);
    if (view.method) q.set("method", view.method);
    let answer;
    try {
      answer = await get(`/api/communications/unsent?${q}`);
    } catch (error) {
      replace(body, errorAlert(error));
      body.removeAttribute("aria-busy");
      return;
    }
    if (stopped) return;
    lastAnswer = answer;
    items = answer.items || [];
    draw(answer);
    body.removeAttribute("aria-busy");
  }

  function draw(answer) {
    const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
    const check = (c) => h("input", {
      type: "checkbox",
      class: "row-select",
      "aria-label": `Select the ${c.method} to ${c.recipient?.name || c.contact?.name || "contact"} (${c.location?.account_number || ""})`,
      checked: selected.has(c.id),
      onchange: (e) => {
        if (e.target.checked) selected.set(c.id, c.method);
        else selected.delete(c.id);
        syncSelection();
      },
    });
    const selectAll = h("input", {
      type: "checkbox",
      id: "unsent-select-all",
      "aria-label": "Select every communication on this page",
      onchange: (e) => {
        for (const c of items) e.target.checked ? selected.set(c.id, c.method) : selected.delete(c.id);
        for (const box of body.querySelectorAll(".row-select")) box.checked = e.target.checked;
        syncSelection();
      },
    });
    const heads = [
      ctx.canAct ? h("th", { scope: "col", class: "select" }, selectAll) : null,
      ...["Type", "Location", "Contact", "Method", "Status", "Due on", "Generated on", "Assemblies"].map((t) => h("th", { scope: "col" }, t)),
    ];
    const rows = items.map((c) =>
      h("tr", { dataset: { communicationId: c.id, method: c.method, status: c.status } },
        ctx.canAct ? h("td", { class: "select" }, check(c)) : null,
        h("td", {}, c.communication_type?.name || typeName[c.communication_type?.id] || "—", h("div", { class: "hint" }, c.source === "one_time" ? "One-time" : label(c.source))),
        h("td", {}, c.location?.id ? h("a", { href: `/locations/${c.location.id}` }, c.location.account_number || "Location") : "—", c.location?.name ? h("div", { class: "hint" }, c.location.name) : null),
        h("td", {}, recipientOf(c)),
        h("td", {}, label(c.method)),
        h("td", {}, badge(c.status), c.missing_fields?.length ? h("div", { class: "hint" }, `Missing: ${c.missing_fields.join(", ")}`) : null),
        h("td", {}, formatDate(c.due_on)),
        h("td", {}, formatDate(c.generated_on)),
        h("td", {}, (c.serial_numbers || []).join(", ") || "—")));
    const byMethod = answer.by_method || {};
    replace(body,
      h("h2", { id: "unsent-title", class: "visually-hidden" }, "The queue"),
      h("div", { class: "toolbar" },
        h("div", { class: "inline" }, h("label", { for: "unsent-type" }, "Type"), typeSelect, h("label", { for: "unsent-method" }, "Method"), methodSelect),
        h("p", { class: "total", role: "status", id: "unsent-total" },
          `${formatNumber(answer.total)} unsent`, h("span", { class: "hint" }, ` · ${formatNumber(byMethod.email || 0)} emails, ${formatNumber(byMethod.letter || 0)} letters`))),
      ctx.canAct ? h("div", { class: "toolbar selection-bar" }, selectionText, h("div", { class: "inline" }, sendButton, lettersButton, mailedButton)) : null,
      h("div", { class: "table-wrap" },
        h("table", { id: "unsent-table" },
          h("caption", { class: "visually-hidden" }, "Unsent communications, oldest due first"),
          h("thead", {}, h("tr", {}, heads)),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: heads.filter(Boolean).length, class: "empty" }, view.type || view.method ? "Nothing unsent with these filters." : "Nothing waiting: every notice has been sent or mailed."))))),
      pages > 1
        ? h("nav", { class: "toolbar", "aria-label": "Unsent pages" }, h("span", {}, `Page ${view.page} of ${pages}`),
            h("div", { class: "pager" },
              h("button", { type: "button", disabled: view.page <= 1, onclick: () => go({ page: view.page - 1 }) }, "‹ Previous"),
              h("button", { type: "button", disabled: view.page >= pages, onclick: () => go({ page: view.page + 1 }) }, "Next ›")))
        : null);
    syncSelection();
  }

  async function act(text, fn) {
    say(infoAlert(`${text}…`));
    try {
      return await fn();
    } catch (error) {
      say(errorAlert(error));
      return undefined;
    }
  }

  async function sendSelected() {
    const ids = [...selected].filter(([, m]) => m === "email").map(([id]) => id);
    if (!ids.length) return;
    const result = await act("Queuing the emails", () => post("/api/communications/send", { communication_ids: ids }));
    if (!result) return;
    const skipped = result.not_queued ? ` ${formatNumber(result.not_queued)} could not be queued (already sent or not an unsent email).` : "";
    say(infoAlert(`${formatNumber(result.queued)} ${result.queued === 1 ? "email" : "emails"} queued for sending.${skipped}`, "success"));
    selected.clear();
    await load();
  }

  function selectedLetters() {
    const ids = [...selected].filter(([, m]) => m === "letter").map(([id]) => id);
    return ids.length ? ids : null;
  }

  async function downloadLetters() {
    const ids = selectedLetters();
    const request = () =>
      letterLinkWhenReady(() => post("/api/communications/letters", ids ? { communication_ids: ids } : undefined), (text) => say(infoAlert(text)));
    const link = await act("Preparing the letters PDF", request);
    if (!link) return;
    say("");
    const draw = (l) => {
      letters.hidden = false;
      replace(letters,
        h("h2", {}, "Letters"),
        letterLinkBox(l, async () => {
          const again = await act("Preparing a new link", request);
          if (again) {
            say("");
            draw(again);
          }
        }),
        h("p", { class: "hint" }, `${ids ? `${formatNumber(ids.length)} selected letters` : "Every unsent letter"} in one PDF, in postal code order. An expired link can be requested again here.`));
      letters.querySelector("a")?.focus();
    };
    draw(link);
  }

  async function markMailed() {
    const ids = selectedLetters();
    const date = h("input", { type: "date", name: "mailed_on", value: todayIso(), max: todayIso(), required: true });
    const count = ids ? ids.length : lastAnswer?.by_method?.letter || 0;
    await formDialog({
      title: "Mark letters mailed",
      fields: h("div", {}, h("p", {}, `Record ${ids ? `the ${formatNumber(count)} selected` : "every unsent"} ${count === 1 ? "letter" : "letters"} as sent on this date.`), field("Mailed on", date)),
      submitLabel: "Mark mailed",
      submit: async (data) => {
        if (!data.get("mailed_on")) throw Object.assign(new Error("Mailed on: choose a date."), { detail: ["Mailed on: choose a date."] });
        const body = { mailed_on: data.get("mailed_on") };
        if (ids) body.communication_ids = ids;
        const result = await post("/api/communications/mark-mailed", body);
        const marked = result?.marked ?? 0;
        say(infoAlert(`${formatNumber(marked)} ${marked === 1 ? "letter" : "letters"} recorded as mailed on ${formatDate(body.mailed_on)}.`, "success"));
        selected.clear();
        await load();
      },
    });
  }

  async function runNow() {
    await typesLoaded;
    const autoTypes = types.filter((t) => t.trigger === "auto");
    const on = h("input", { type: "date", name: "on", value: todayIso() });
    const type = h("select", { name: "communication_type_id" },
      h("option", { value: "" }, "Every auto type"),
      autoTypes.map((t) => h("option", { value: t.id }, t.name)));
    const answer = await formDialog({
      title: "Run auto-generation now",
      fields: h("div", {},
        h("p", {}, "Generates today's auto notices (first notices, overdue notices…) now instead of waiting for the daily run. A type already run for that day makes nothing new."),
        field("Run as of", on, "The day the rules are applied for; today unless catching up."),
        field("Communication type", type)),
      submitLabel: "Run now",
      submit: async (data) => {
        const body = {};
        if (data.get("on")) body.on = data.get("on");
        if (data.get("communication_type_id")) body.communication_type_id = data.get("communication_type_id");
        return post("/api/auto-runs", body);
      },
    });
    if (!answer || answer === true) return;
    await followRuns(answer);
  }

  function describeRun(run) {
    const name = run.communication_type_name || "Auto type";
    if (run.outcome === "started") {
      return `${name}: ${formatNumber(run.targeted)} ${run.targeted === 1 ? "assembly" : "assemblies"} due ${formatDate(run.due_on)}${run.suppressed ? ` (${formatNumber(run.suppressed)} left out: notified recently)` : ""}`;
    }
    if (run.outcome === "nothing due") return `${name}: nothing due ${formatDate(run.due_on)}${run.suppressed ? ` (${formatNumber(run.suppressed)} left out: notified recently)` : ""}`;
    return `${name}: ${run.outcome}`;
  }

  async function followRuns(answer) {
    const runs = answer.runs || [];
    const started = runs.filter((r) => r.outcome === "started" && r.run_id);
    const list = h("ul", { id: "auto-run-results" }, runs.map((r) => h("li", { dataset: { runId: r.run_id || "" } }, describeRun(r))));
    const status = h("p", { id: "auto-run-status" });
    say(h("div", { class: "alert info", role: "status" }, h("strong", {}, `Auto-generation as of ${formatDate(answer.on)}`), list, status));
    if (!runs.length) status.textContent = "There is no auto communication type with a published template.";
    const deadline = Date.now() + 180_000;
    let pending = started.map((r) => r.run_id);
    while (pending.length && !stopped && Date.now() < deadline) {
      status.textContent = `Generating… ${formatNumber(started.length - pending.length)} of ${formatNumber(started.length)} runs done.`;
      await sleep(1000);
      const jobs = await Promise.all(pending.map((id) => get(`/api/communications/jobs/${id}`).catch(() => null)));
      pending = pending.filter((_, i) => !jobs[i] || jobs[i].state !== "generated");
    }
    if (stopped) return;
    status.textContent = pending.length
      ? "Still generating; the new notices appear here as they are ready."
      : started.length ? "Done: the new notices are listed below." : "Nothing new to generate.";
    await load();
  }

  await load();
  return () => {
    stopped = true;
  };
}
