// The Batch Communications list, with a state filter.

import { get } from "../api.js";
import { badge, formatDate, formatDateTime, formatNumber, h, label, replace } from "../dom.js";
import { errorAlert, pageHeader } from "../ui.js";

const STATES = ["open", "generating", "generated", "partially_sent", "complete", "archived"];

export async function renderBatches(main, ctx) {
  const state = new URLSearchParams(location.search).get("state") || "";
  const select = h(
    "select",
    { id: "state-filter", onchange: (e) => ctx.navigate(e.target.value ? `/batches?state=${e.target.value}` : "/batches") },
    h("option", { value: "" }, "All states"),
    STATES.map((s) => h("option", { value: s, selected: s === state }, label(s))),
  );
  const body = h("div", { class: "card", "aria-busy": "true" }, h("p", { class: "empty" }, "Loading batches…"));
  replace(
    main,
    pageHeader("Batch Communications", "One-time notices sent to many assemblies. Create one from the Assemblies list.",
      ctx.canAct ? [h("a", { class: "button primary", href: "/assemblies" }, "New batch from Assemblies")] : []),
    h("div", { class: "toolbar" }, h("div", { class: "inline" }, h("label", { for: "state-filter" }, "State"), select)),
    body,
  );
  let answer;
  try {
    answer = await get(`/api/batches${state ? `?state=${encodeURIComponent(state)}` : ""}`);
  } catch (error) {
    replace(body, errorAlert(error));
    return;
  }
  body.removeAttribute("aria-busy");
  const items = answer.items || [];
  const rows = items.map((b) => {
    const s = b.counts?.by_status || {};
    const m = b.counts?.by_method || {};
    return h(
      "tr",
      { dataset: { batchId: b.id, state: b.state } },
      h("td", {}, h("a", { href: `/batches/${b.id}` }, b.name)),
      h("td", {}, badge(b.state)),
      h("td", {}, b.template?.name ? `${b.template.name} (v${b.template.version})` : "—"),
      h("td", {}, formatDate(b.due_date)),
      h("td", { class: "num" }, formatNumber(b.member_count)),
      h("td", { class: "num" }, formatNumber(m.email || 0)),
      h("td", { class: "num" }, formatNumber(m.letter || 0)),
      h("td", { class: "num" }, formatNumber(s.sent || 0)),
      h("td", {}, formatDateTime(b.created_at)),
    );
  });
  replace(
    body,
    h("p", { class: "total", role: "status" }, `${formatNumber(answer.total ?? items.length)} batches`),
    h("div", { class: "table-wrap" },
      h("table", { id: "batches-table" },
        h("thead", {}, h("tr", {}, ["Name", "State", "Template", "Due date", "Assemblies", "Emails", "Letters", "Sent", "Created"].map((t, i) => h("th", { scope: "col", class: i >= 4 && i <= 7 ? "num" : null }, t)))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 9, class: "empty" }, state ? `No ${label(state).toLowerCase()} batch.` : "No batch yet."))))),
  );
}
