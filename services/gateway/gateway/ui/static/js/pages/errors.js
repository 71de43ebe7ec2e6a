// Communications with Errors: every failed or bounced email, whatever its source (batch, auto,
// one-time), with the reason. After the contact is fixed, Retry sends it again to the
// contact's current email address.

import { get, post } from "../api.js";
import { formatDateTime, formatNumber, h, replace } from "../dom.js";
import { sourceOf } from "../communications.js";
import { errorAlert, infoAlert, pageHeader } from "../ui.js";

const PAGE_SIZE = 50;

export async function renderErrors(main, ctx) {
  const view = { page: Math.max(1, Number(new URLSearchParams(location.search).get("page") || 1)) };
  const selected = new Set();
  let items = [];
  const message = h("div", { "aria-live": "polite", id: "errors-message" });
  const body = h("section", { class: "card", "aria-busy": "true", "aria-labelledby": "errors-title" }, h("p", { class: "empty" }, "Loading…"));
  const retryButton = ctx.canAct ? h("button", { type: "button", class: "primary", id: "retry-selected", onclick: retry }, "Retry") : null;
  const selectionText = h("span", { id: "errors-selection", "aria-live": "polite" });
  replace(main,
    pageHeader("Communications with Errors", "Emails that failed or bounced, from batches, auto notices and Create Log. Fix the contact's email, then retry."),
    message, body);

  function say(node) {
    replace(message, node || "");
  }

  function sync() {
    if (!retryButton) return;
    retryButton.disabled = selected.size === 0;
    selectionText.textContent = selected.size ? `${formatNumber(selected.size)} selected` : "Select the emails to send again";
    const all = body.querySelector("#errors-select-all");
    if (all) {
      const chosen = items.filter((c) => selected.has(c.id)).length;
      all.checked = items.length > 0 && chosen === items.length;
      all.indeterminate = chosen > 0 && chosen < items.length;
    }
  }

  function source(c) {
    // the errors view names the batch in ``batch``; the history's shape is what sourceOf reads
    return sourceOf({ ...c, batch_id: c.batch?.id, batch_name: c.batch?.name, communication_type_name: c.communication_type?.name });
  }

  async function load() {
    body.setAttribute("aria-busy", "true");
    let answer;
    try {
      answer = await get(`/api/communications/errors?page=${view.page}&page_size=${PAGE_SIZE}`);
    } catch (error) {
      replace(body, errorAlert(error));
      body.removeAttribute("aria-busy");
      return;
    }
    items = answer.items || [];
    for (const id of [...selected]) if (!items.some((c) => c.id === id)) selected.delete(id);
    const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
    const selectAll = h("input", {
      type: "checkbox",
      id: "errors-select-all",
      "aria-label": "Select every email on this page",
      onchange: (e) => {
        for (const c of items) e.target.checked ? selected.add(c.id) : selected.delete(c.id);
        for (const box of body.querySelectorAll(".row-select")) box.checked = e.target.checked;
        sync();
      },
    });
    const heads = [
      ctx.canAct ? h("th", { scope: "col", class: "select" }, selectAll) : null,
      ...["Failed", "To", "Reason", "Source", "Location", "Subject", "Attempts"].map((t) => h("th", { scope: "col" }, t)),
    ];
    const rows = items.map((c) =>
      h("tr", { dataset: { communicationId: c.id } },
        ctx.canAct
          ? h("td", { class: "select" }, h("input", {
              type: "checkbox",
              class: "row-select",
              "aria-label": `Select the email to ${c.recipient?.email || c.recipient?.name || "the contact"}`,
              checked: selected.has(c.id),
              onchange: (e) => {
                e.target.checked ? selected.add(c.id) : selected.delete(c.id);
                sync();
              },
            }))
          : null,
        h("td", {}, formatDateTime(c.failed_at), c.bounced ? h("div", {}, h("span", { class: "badge failed" }, "Bounced")) : h("div", {}, h("span", { class: "badge failed" }, "Failed"))),
        h("td", {}, c.recipient?.name || c.contact?.name || "—", c.recipient?.email ? h("div", { class: "hint" }, c.recipient.email) : null),
        h("td", { class: "reason" }, c.reason || c.error || "—"),
        h("td", {}, source(c)),
        h("td", {}, c.location?.id ? h("a", { href: `/locations/${c.location.id}` }, c.location.account_number || "Location") : "—", c.location?.name ? h("div", { class: "hint" }, c.location.name) : null),
        h("td", {}, c.subject || "—"),
        h("td", { class: "num" }, formatNumber(c.attempts))));
    replace(body,
      h("h2", { id: "errors-title", class: "visually-hidden" }, "Failed emails"),
      h("p", { class: "total", role: "status", id: "errors-total" }, `${formatNumber(answer.total)} ${answer.total === 1 ? "email" : "emails"} with errors`),
      retryButton ? h("div", { class: "toolbar selection-bar" }, selectionText, h("div", { class: "inline" }, retryButton)) : null,
      h("div", { class: "table-wrap" },
        h("table", { id: "errors-table" },
          h("caption", { class: "visually-hidden" }, "Failed or bounced emails, newest first"),
          h("thead", {}, h("tr", {}, heads)),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: heads.filter(Boolean).length, class: "empty" }, "No email has failed."))))),
      pages > 1
        ? h("nav", { class: "toolbar", "aria-label": "Error pages" }, h("span", {}, `Page ${view.page} of ${pages}`),
            h("div", { class: "pager" },
              h("button", { type: "button", disabled: view.page <= 1, onclick: () => { view.page -= 1; load(); } }, "‹ Previous"),
              h("button", { type: "button", disabled: view.page >= pages, onclick: () => { view.page += 1; load(); } }, "Next ›")))
        : null);
    body.removeAttribute("aria-busy");
    sync();
  }

  async function retry() {
    const ids = [...selected];
    if (!ids.length) return;
    say(infoAlert("Queuing the emails again…"));
    let result;
    try {
      result = await post("/api/communications/retry", { communication_ids: ids });
    } catch (error) {
      say(errorAlert(error));
      return;
    }
    const notRetried = result.not_retried || [];
    const byId = Object.fromEntries(items.map((c) => [c.id, c]));
    say(h("div", { class: `alert ${result.queued ? "success" : "error"}`, role: "status", id: "retry-result" },
      `${formatNumber(result.queued)} ${result.queued === 1 ? "email" : "emails"} queued again, to each contact's current email address.`,
      notRetried.length
        ? h("ul", {}, notRetried.map((n) => h("li", {}, `${byId[n.id]?.recipient?.email || byId[n.id]?.recipient?.name || n.id}: not retried, ${n.reason}.`)))
        : null));
    selected.clear();
    await load();
  }

  await load();
}
