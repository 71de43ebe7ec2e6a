// One batch communication: its facts, live progress, the actions its state allows,
// the communications, the skipped and needs-attention lists, and the history.

import { get, patch, post } from "../api.js";
import { badge, formatDate, formatDateTime, formatNumber, h, label, replace, todayIso } from "../dom.js";
import { confirmAction, errorAlert, field, formDialog, infoAlert, pageHeader } from "../ui.js";

const STATUSES = ["generated", "queued", "sending", "sent", "failed", "needs_attention", "skipped", "removed"];
const UNSENT = ["generated", "queued", "failed", "needs_attention"];
const PAGE_SIZE = 25;

function unsentCount(batch) {
  const s = batch.counts?.by_status || {};
  return UNSENT.reduce((n, k) => n + (s[k] || 0), 0);
}

function sendingInProgress(batch) {
  const s = batch.progress?.sending || {};
  return (s.queued || 0) > 0;
}

export async function renderBatch(main, ctx) {
  const batchId = ctx.params[0];
  const view = { status: "", method: "", page: 1 };
  let batch = null;
  let letterLink = null;
  let timer = null;
  let stopped = false;

  const header = h("div");
  const message = h("div", { "aria-live": "polite", id: "batch-message" });
  const summary = h("section", { class: "card", "aria-labelledby": "summary-title" });
  const letters = h("section", { class: "card", id: "letters", hidden: true, "aria-labelledby": "letters-title" });
  const communications = h("section", { class: "card", "aria-labelledby": "comms-title" });
  const attention = h("section", { class: "card", "aria-labelledby": "attention-title" });
  const skipped = h("section", { class: "card", "aria-labelledby": "skipped-title" });
  const historyCard = h("section", { class: "card", "aria-labelledby": "history-title" });
  replace(main, header, message, summary, letters, communications, attention, skipped, historyCard);

  function say(node) {
    replace(message, node || "");
  }

  async function run(action, fn, { success } = {}) {
    say(infoAlert(`${action}…`));
    try {
      const result = await fn();
      say(success ? infoAlert(typeof success === "function" ? success(result) : success, "success") : "");
      return result;
    } catch (error) {
      say(errorAlert(error));
      return undefined;
    } finally {
      await refresh(true);
    }
  }

  function actionButtons() {
    if (!batch) return [];
    const allowed = new Set(batch.allowed_actions || []);
    const byMethod = batch.counts?.by_method || {};
    const byStatus = batch.counts?.by_status || {};
    const buttons = [];
    const button = (id, text, onclick, cls = "") => h("button", { type: "button", id: `action-${id}`, class: cls, onclick }, text);
    const exportLink = allowed.has("export")
      ? h("a", { class: "button", id: "action-export", href: `/api/batches/${batchId}/export.csv`, download: true }, "Export CSV")
      : null;
    if (!ctx.canAct) return [exportLink];
    if (allowed.has("edit")) buttons.push(button("edit", "Edit", editBatch));
    if (allowed.has("generate")) buttons.push(button("generate", "Generate", () => run("Starting generation", () => post(`/api/batches/${batchId}/generate`)), "primary"));
    const sending = batch.progress?.sending || {};
    const unsentEmails = (byMethod.email || 0) - (sending.queued || 0) - (sending.sent || 0) - (sending.failed || 0);
    if (allowed.has("send") && unsentEmails > 0) buttons.push(button("send", "Send emails", sendEmails, "primary"));
    if (allowed.has("retry_failed") && (byStatus.failed || 0) > 0) buttons.push(button("retry", "Retry failed", () => run("Queuing the failed emails again", () => post(`/api/batches/${batchId}/retry-failed`), { success: (r) => `${formatNumber(r?.queued ?? r?.count ?? 0)} emails queued again.` })));
    if (allowed.has("letters") && (byMethod.letter || 0) > 0) buttons.push(button("letters", "Download letters", requestLetters));
    if (allowed.has("mark_mailed") && (byMethod.letter || 0) > 0) buttons.push(button("mark-mailed", "Mark letters mailed", markMailed));
    if (allowed.has("complete")) buttons.push(button("complete", "Mark complete", () => close("complete")));
    if (allowed.has("archive")) buttons.push(button("archive", "Archive", () => close("archive"), "danger"));
    if (allowed.has("clone")) buttons.push(button("clone", "Clone", cloneBatch));
    buttons.push(exportLink);
    return buttons;
  }

  async function sendEmails() {
    const n = batch.counts?.by_status?.generated ?? 0;
    await confirmAction({
      title: "Send emails",
      text: `Send the unsent emails of “${batch.name}” now? The recipients receive them at once.`,
      confirmLabel: "Send emails",
      danger: false,
      run: () => run("Queuing emails", () => post(`/api/batches/${batchId}/send`), { success: (r) => `${formatNumber(r?.queued ?? n)} emails queued for sending.` }),
    });
  }

  async function requestLetters() {
    const result = await run("Preparing the letters link", () => post(`/api/batches/${batchId}/letters`));
    if (result && result.url) {
      letterLink = result;
      drawLetters();
      letters.querySelector("a")?.focus();
    }
  }

  async function markMailed() {
    const date = h("input", { type: "date", name: "mailed_on", value: todayIso(), required: true });
    await formDialog({
      title: "Mark letters mailed",
      fields: h("div", {}, h("p", {}, `Record every generated letter of “${batch.name}” as sent on this date.`), field("Mailed on", date)),
      submitLabel: "Mark mailed",
      submit: async (data) => {
        const result = await post(`/api/batches/${batchId}/letters/mark-mailed`, { mailed_on: data.get("mailed_on") });
        say(infoAlert(`${formatNumber(result?.marked ?? result?.count ?? 0)} letters recorded as mailed.`, "success"));
        await refresh(true);
      },
    });
  }

  async function close(action) {
    const unsent = unsentCount(batch);
    const verb = action === "complete" ? "Mark complete" : "Archive";
    await confirmAction({
      title: `${verb}: ${batch.name}`,
      text:
        unsent > 0
          ? `${formatNumber(unsent)} unsent communications will be removed. This cannot be undone. The batch stays available for reference and can be cloned.`
          : "The batch will be closed and kept for reference; it can be cloned.",
      confirmLabel: unsent > 0 ? `${verb} and remove ${formatNumber(unsent)} unsent` : verb,
      run: () => run(action === "complete" ? "Completing the batch" : "Archiving the batch", () => post(`/api/batches/${batchId}/${action}`), {
        success: action === "complete" ? "The batch is complete." : "The batch is archived.",
      }),
    });
  }

  async function cloneBatch() {
    say(infoAlert("Cloning…"));
    try {
      const copy = await post(`/api/batches/${batchId}/clone`);
      ctx.navigate(`/batches/${copy.id}`);
    } catch (error) {
      say(errorAlert(error));
    }
  }

  async function editBatch() {
    let templates = [];
    try {
      const answer = await get("/api/templates");
      templates = Array.isArray(answer) ? answer : answer?.items || [];
    } catch {
      templates = [];
    }
    const name = h("input", { name: "name", value: batch.name, required: true });
    const template = h("select", { name: "template_id" },
      templates.map((t) => h("option", { value: t.id, selected: t.id === batch.template?.id }, `${t.name} (v${t.version})`)));
    const due = h("input", { type: "date", name: "due_date", value: batch.due_date || "" });
    await formDialog({
      title: "Edit batch",
      fields: h("div", {}, field("Batch name", name), templates.length ? field("Template", template) : null, field("Due date", due)),
      submitLabel: "Save",
      submit: async (data) => {
        const body = { name: String(data.get("name")).trim(), due_date: data.get("due_date") || undefined };
        if (data.get("template_id")) body.template_id = data.get("template_id");
        await patch(`/api/batches/${batchId}`, body);
        say(infoAlert("Saved.", "success"));
        await refresh(true);
      },
    });
  }

  function progressBar(id, title, done, total, text) {
    const pct = total > 0 ? Math.round((100 * done) / total) : 0;
    return h(
      "div",
      { class: "progress", id },
      h("div", { class: "label", id: `${id}-label` }, title),
      h("div", { class: "bar", role: "progressbar", "aria-labelledby": `${id}-label`, "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct, "aria-valuetext": text },
        h("div", { class: "fill", style: null, dataset: { pct } })),
      h("div", { class: "label", "aria-live": "polite" }, text),
    );
  }

  function drawSummary() {
    replace(
      header,
      pageHeader(
        h("span", {}, batch.name, " ", h("span", { id: "batch-state", dataset: { state: batch.state } }, badge(batch.state))),
        `Batch communication · ${batch.template?.name || "template"} v${batch.template?.version ?? "?"}`,
        actionButtons(),
      ),
    );
    const byStatus = batch.counts?.by_status || {};
    const byMethod = batch.counts?.by_method || {};
    const progress = batch.progress || {};
    const parts = [
      h("h2", { id: "summary-title" }, "Summary"),
      h(
        "dl",
        { class: "facts" },
        h("div", {}, h("dt", {}, "State"), h("dd", {}, label(batch.state))),
        h("div", {}, h("dt", {}, "Template"), h("dd", {}, `${batch.template?.name || "—"} (v${batch.template?.version ?? "?"})`)),
        h("div", {}, h("dt", {}, "Due date"), h("dd", {}, formatDate(batch.due_date))),
        h("div", {}, h("dt", {}, "Assemblies"), h("dd", { id: "member-count" }, formatNumber(batch.member_count))),
        h("div", {}, h("dt", {}, "Created"), h("dd", {}, formatDateTime(batch.created_at))),
        batch.cloned_from ? h("div", {}, h("dt", {}, "Cloned from"), h("dd", {}, h("a", { href: `/batches/${batch.cloned_from}` }, "the original batch"))) : null,
        batch.closed_at ? h("div", {}, h("dt", {}, "Closed"), h("dd", {}, formatDateTime(batch.closed_at))) : null,
      ),
    ];
    if (batch.state === "generating" || (progress.chunks_total && batch.state !== "open")) {
      const done = progress.chunks_done || 0;
      const total = progress.chunks_total || 0;
      parts.push(progressBar("generation-progress", "Generation", done, total,
        batch.state === "generating"
          ? `Generating… ${done} of ${total} parts done · ${formatNumber(progress.generated)} communications so far`
          : `Generated ${formatNumber(progress.generated)} communications`));
    }
    const sending = progress.sending || {};
    const sendTotal = (sending.queued || 0) + (sending.sent || 0) + (sending.failed || 0);
    if (sendTotal > 0) {
      const done = (sending.sent || 0) + (sending.failed || 0);
      parts.push(progressBar("sending-progress", "Sending emails", done, sendTotal,
        sending.queued > 0
          ? `Sending… ${formatNumber(sending.sent)} sent, ${formatNumber(sending.failed)} failed, ${formatNumber(sending.queued)} waiting`
          : `${formatNumber(sending.sent)} emails sent, ${formatNumber(sending.failed)} failed`));
    }
    const count = (key, n, text) => h("div", { class: "count", dataset: { count: key } }, h("span", { class: "n" }, formatNumber(n)), h("span", { class: "l" }, text));
    parts.push(
      h("h3", {}, "By status"),
      h("div", { class: "counts", id: "counts-by-status" }, STATUSES.filter((s) => s !== "skipped").map((s) => count(s, byStatus[s] || 0, label(s))),
        count("skipped_members", batch.counts?.skipped_members || 0, "Skipped assemblies")),
      h("h3", {}, "By method"),
      h("div", { class: "counts", id: "counts-by-method" }, count("email", byMethod.email || 0, "Emails"), count("letter", byMethod.letter || 0, "Letters")),
    );
    if (batch.errors?.length) {
      parts.push(h("div", { class: "alert error", role: "alert" }, "Some parts could not be generated:",
        h("ul", {}, batch.errors.map((e) => h("li", {}, `Part ${e.chunk_index + 1}: ${e.error}`)))));
    }
    replace(summary, ...parts);
    for (const fill of summary.querySelectorAll(".fill")) fill.style.width = `${fill.dataset.pct}%`;
  }

  function drawLetters() {
    const show = letterLink || (batch && (batch.counts?.by_method?.letter || 0) > 0 && ctx.canAct && (batch.allowed_actions || []).includes("letters"));
    letters.hidden = !show;
    if (!show) return;
    const parts = [h("h2", { id: "letters-title" }, "Letters")];
    if (letterLink) {
      const expired = new Date(letterLink.expires_at) <= new Date();
      parts.push(
        h("div", { class: "link-box" },
          h("a", { class: "button primary", id: "letters-link", href: letterLink.url, download: true }, "Download letters PDF"),
          h("span", { id: "letters-expiry" }, expired ? "This link has expired." : `The link expires ${formatDateTime(letterLink.expires_at)}.`),
          h("button", { type: "button", id: "letters-rerequest", onclick: requestLetters }, "Request a new link")),
        h("p", { class: "hint" }, "All letters in one PDF, in postal code order for presorted mail. An expired link can be re-requested here at any time."),
      );
    } else {
      parts.push(h("p", {}, `${formatNumber(batch.counts.by_method.letter)} letters. `, h("button", { type: "button", class: "link", onclick: requestLetters }, "Get a download link"), " for the combined PDF."));
    }
    replace(letters, ...parts);
  }

  async function drawCommunications() {
    const params = new URLSearchParams({ page: view.page, page_size: PAGE_SIZE });
    if (view.status) params.set("status", view.status);
    if (view.method) params.set("method", view.method);
    const statusSelect = h("select", { id: "comm-status", onchange: (e) => { view.status = e.target.value; view.page = 1; drawCommunications(); } },
      h("option", { value: "" }, "All statuses"), STATUSES.map((s) => h("option", { value: s, selected: s === view.status }, label(s))));
    const methodSelect = h("select", { id: "comm-method", onchange: (e) => { view.method = e.target.value; view.page = 1; drawCommunications(); } },
      h("option", { value: "" }, "Email and letter"), ["email", "letter"].map((m) => h("option", { value: m, selected: m === view.method }, label(m))));
    const head = [
      h("h2", { id: "comms-title" }, "Communications"),
      h("div", { class: "toolbar" },
        h("div", { class: "inline" }, h("label", { for: "comm-status" }, "Status"), statusSelect, h("label", { for: "comm-method" }, "Method"), methodSelect)),
    ];
    let answer;
    try {
      answer = await get(`/api/batches/${batchId}/communications?${params}`);
    } catch (error) {
      replace(communications, ...head, errorAlert(error));
      return;
    }
    const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
    const rows = answer.items.map((c) =>
      h("tr", { dataset: { status: c.status, method: c.method } },
        h("td", {}, c.recipient?.name || "—", h("div", { class: "hint" }, c.method === "email" ? c.recipient?.email : formatAddress(c.recipient?.address))),
        h("td", {}, label(c.method)),
        h("td", {}, badge(c.status)),
        h("td", {}, c.account_number, c.location_name ? h("div", { class: "hint" }, c.location_name) : null),
        h("td", {}, (c.serial_numbers || []).join(", ")),
        h("td", {}, c.subject || "—"),
        h("td", {}, c.error || (c.missing_fields?.length ? `Missing: ${c.missing_fields.join(", ")}` : "—")),
        h("td", {}, c.sent_at ? formatDateTime(c.sent_at) : c.mailed_on ? `Mailed ${formatDate(c.mailed_on)}` : "—"),
      ),
    );
    replace(
      communications,
      ...head,
      h("p", { class: "total", role: "status", id: "comms-total" }, `${formatNumber(answer.total)} communications`),
      h("div", { class: "table-wrap" },
        h("table", { id: "communications-table" },
          h("thead", {}, h("tr", {}, ["Recipient", "Method", "Status", "Account", "Assemblies", "Subject", "Problem", "Sent"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 8, class: "empty" }, batch.state === "open" ? "Nothing generated yet." : "No communication with these filters."))))),
      pages > 1
        ? h("nav", { class: "toolbar", "aria-label": "Communication pages" }, h("span", {}, `Page ${view.page} of ${pages}`),
            h("div", { class: "pager" },
              h("button", { type: "button", disabled: view.page <= 1, onclick: () => { view.page -= 1; drawCommunications(); } }, "‹ Previous"),
              h("button", { type: "button", disabled: view.page >= pages, onclick: () => { view.page += 1; drawCommunications(); } }, "Next ›")))
        : null,
    );
  }

  async function drawAttention() {
    const title = h("h2", { id: "attention-title" }, "Needs attention");
    try {
      const answer = await get(`/api/batches/${batchId}/communications?status=needs_attention&page_size=100`);
      replace(attention, title,
        answer.total === 0
          ? h("p", { class: "empty" }, "Nothing needs attention.")
          : h("div", {},
              h("p", {}, `${formatNumber(answer.total)} communications are missing data the template needs. Fix the records or the template, then clone the batch.`),
              h("ul", { id: "attention-list" }, answer.items.map((c) => h("li", {}, `${c.recipient?.name || c.account_number} (${label(c.method)}, ${c.account_number}): missing ${c.missing_fields.join(", ") || "data"}`)))));
    } catch (error) {
      replace(attention, title, errorAlert(error));
    }
  }

  async function drawSkipped() {
    const title = h("h2", { id: "skipped-title" }, "Skipped assemblies");
    try {
      const answer = await get(`/api/batches/${batchId}/skipped`);
      if (answer.total === 0) {
        replace(skipped, title, h("p", { class: "empty" }, batch.state === "open" ? "Known after generation." : "Every assembly reaches at least one contact."));
        return;
      }
      // name the assemblies (serial, account, address) for the first ones listed
      const shown = answer.items.slice(0, 50);
      const details = await Promise.all(shown.map((s) => get(`/api/assemblies/${s.assembly_id}`).catch(() => null)));
      const rows = shown.map((s, i) => {
        const a = details[i];
        return h("tr", {},
          h("td", {}, a ? a.serial_number : s.assembly_id),
          h("td", {}, a ? `${a.location?.account_number || ""} ${a.location?.address_line1 || ""}`.trim() : "—"),
          h("td", {}, s.reason));
      });
      replace(skipped, title,
        h("p", {}, `${formatNumber(answer.total)} assemblies yield no communication${answer.total > shown.length ? ` (the first ${shown.length} are listed; Export CSV has them all)` : ""}:`),
        h("div", { class: "table-wrap" }, h("table", { id: "skipped-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Assembly"), h("th", { scope: "col" }, "Location"), h("th", { scope: "col" }, "Reason"))),
          h("tbody", {}, rows))));
    } catch (error) {
      replace(skipped, title, errorAlert(error));
    }
  }

  async function drawHistory() {
    const title = h("h2", { id: "history-title" }, "History");
    try {
      const answer = await get(`/api/batches/${batchId}/history`);
      const items = answer.items || [];
      replace(historyCard, title,
        items.length === 0 ? h("p", { class: "empty" }, "No history yet.")
          : h("ol", { id: "history-list" }, items.map((e) => h("li", {}, h("strong", {}, HISTORY_ACTIONS[e.action] || label(e.action)), ` · ${formatDateTime(e.at)}`,
              e.actor_role ? ` · ${e.actor_role === "org_admin" ? "Org Admin" : label(e.actor_role)}` : "",
              e.details && Object.keys(e.details).length ? h("span", { class: "hint" }, ` ${describeDetails(e.details)}`) : null))));
    } catch (error) {
      replace(historyCard, title, errorAlert(error));
    }
  }

  let lastKey = "";
  async function refresh(force = false) {
    if (stopped) return;
    try {
      batch = await get(`/api/batches/${batchId}`);
    } catch (error) {
      if (!batch) {
        replace(header, pageHeader("Batch communication"));
        say(errorAlert(error));
        for (const card of [summary, communications, attention, skipped, historyCard]) card.hidden = true;
      }
      return;
    }
    const key = JSON.stringify([batch.state, batch.counts, batch.progress]);
    drawSummary();
    drawLetters();
    if (force || key !== lastKey) {
      lastKey = key;
      await Promise.all([drawCommunications(), drawAttention(), drawSkipped(), drawHistory()]);
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped || !batch) return;
    if (batch.state === "generating" || sendingInProgress(batch)) timer = setTimeout(() => refresh(false), 1000);
  }

  await refresh(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

const HISTORY_ACTIONS = {
  send: "Emails queued",
  retry_failed: "Failed emails queued again",
  complete: "Marked complete",
  archive: "Archived",
  archived: "Archived",
  clone: "Cloned",
  edit: "Edited",
  mark_mailed: "Letters marked mailed",
};
const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-/i;

function describeDetails(details) {
  return Object.entries(details)
    .filter(([k, v]) => v !== null && v !== "" && typeof v !== "object" && !k.endsWith("_id") && !UUID_LIKE.test(String(v)))
    .map(([k, v]) => `${label(k)}: ${v}`)
    .join(", ");
}

function formatAddress(address) {
  if (!address) return "";
  if (typeof address === "string") return address;
  const cityLine = [address.city, [address.state, address.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [address.line1, address.line2, cityLine].filter(Boolean).join(", ");
}
