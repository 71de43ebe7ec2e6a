// The Assemblies list: every filter the API offers, the table with paging and the total,
// and Add To Batch Communication (every assembly the filter matches, not only this page).

import { get, post } from "../api.js";
import { badge, formatDate, formatNumber, h, label, replace, todayIso } from "../dom.js";
import { errorAlert, field, formDialog, pageHeader } from "../ui.js";

const CHOICES = {
  assembly_type: ["RP", "DC", "PVB", "SVB", "AVB", "RPDA", "DCDA", "AG"],
  size: ['1/2"', '3/4"', '1"', '1 1/4"', '1 1/2"', '2"', '2 1/2"', '3"', '4"', '6"', '8"', '10"', '12"'],
  hazard: ["high", "low"],
  service_type: ["domestic", "fire", "irrigation"],
  facility_type: ["residential", "commercial", "industrial", "institutional", "multi_family", "irrigation", "fire"],
  compliance_status: ["non_compliant", "overdue", "due", "compliant", "unknown"],
};
const LIST_LABELS = {
  assembly_type: "Assembly type",
  size: "Size",
  hazard: "Hazard",
  service_type: "Service type",
  facility_type: "Facility type",
  compliance_status: "Compliance status",
  service_area_id: "Service area",
};
const BOOLEANS = { assembly_active: "Assembly active", location_active: "Location active", has_email: "Has email" };
const LIST_KEYS = Object.keys(LIST_LABELS);
const SINGLE_KEYS = ["q", "postal_code_prefix", "due_from", "due_to", ...Object.keys(BOOLEANS)];
const SORTS = [
  ["next_test_due", "Next test due (soonest)"],
  ["-next_test_due", "Next test due (latest)"],
  ["last_tested_on", "Last tested (oldest)"],
  ["serial_number", "Serial number"],
  ["account_number", "Account number"],
  ["postal_code", "Postal code"],
];

/** The filter in the URL, as the API takes it (lists as repeated keys). */
function filterFromUrl(params) {
  const filter = {};
  for (const key of LIST_KEYS) {
    const values = params.getAll(key);
    if (values.length) filter[key] = values;
  }
  for (const key of SINGLE_KEYS) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

function toParams(filter, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== "") params.set(key, value);
  return params;
}

function multiSelect(key, options, chosen) {
  const summaryText = () => {
    const n = chosen.length;
    return n === 0 ? "Any" : n <= 2 ? chosen.map((v) => options.find((o) => o[0] === v)?.[1] || v).join(", ") : `${n} selected`;
  };
  const summary = h("summary", { "aria-label": `${LIST_LABELS[key]}: ${summaryText()}` }, summaryText());
  const boxes = options.map(([value, text]) =>
    h("label", {}, h("input", { type: "checkbox", name: key, value, checked: chosen.includes(value) }), text),
  );
  const details = h("details", { dataset: { filter: key } }, summary, h("div", { class: "checks", role: "group", "aria-label": LIST_LABELS[key] }, boxes));
  details.addEventListener("change", () => {
    const now = [...details.querySelectorAll("input:checked")].map((i) => i.value);
    chosen.splice(0, chosen.length, ...now);
    summary.textContent = summaryText();
    summary.setAttribute("aria-label", `${LIST_LABELS[key]}: ${summaryText()}`);
  });
  return h("div", { class: "field" }, h("span", { class: "label", "aria-hidden": "true" }, LIST_LABELS[key]), details);
}

function triState(key, value) {
  const select = h(
    "select",
    { name: key },
    h("option", { value: "" }, "Any"),
    h("option", { value: "true", selected: value === "true" }, "Yes"),
    h("option", { value: "false", selected: value === "false" }, "No"),
  );
  return field(BOOLEANS[key], select);
}

export async function renderAssemblies(main, ctx) {
  const params = new URLSearchParams(location.search);
  const filter = filterFromUrl(params);
  const page = Math.max(1, Number(params.get("page") || 1));
  const pageSize = Number(params.get("page_size") || 25);
  const sort = params.get("sort") || "next_test_due";

  const addButton = ctx.canAct
    ? h("button", { type: "button", class: "primary", id: "add-to-batch", disabled: true }, "Add To Batch Communication")
    : null;
  const message = h("div", { "aria-live": "polite" });
  const results = h("div", { class: "card", "aria-busy": "true" }, h("p", { class: "empty" }, "Loading assemblies…"));
  replace(main, pageHeader("Assemblies", "Filter to a working list, then add it to a batch communication.", [addButton]), message);

  let serviceAreas = [];
  try {
    const answer = await get("/api/service-areas");
    serviceAreas = Array.isArray(answer) ? answer : answer?.items || [];
  } catch (error) {
    replace(message, errorAlert(error));
  }

  const chosen = Object.fromEntries(LIST_KEYS.map((k) => [k, [...(filter[k] || [])]]));
  const text = (name, labelText, value, type = "text", hint) =>
    field(labelText, h("input", { type, name, value: value || "" }), hint);
  const form = h(
    "form",
    { class: "card", role: "search", "aria-label": "Filter assemblies" },
    h("h2", {}, "Filters"),
    h(
      "div",
      { class: "filters" },
      h("div", { class: "wide" }, text("q", "Search", filter.q, "search", "Serial number, account number, address or contact name")),
      ...["assembly_type", "size", "hazard", "service_type", "facility_type", "compliance_status"].map((k) =>
        multiSelect(k, CHOICES[k].map((v) => [v, ["size", "assembly_type"].includes(k) ? v : label(v)]), chosen[k]),
      ),
      multiSelect("service_area_id", serviceAreas.map((a) => [a.id, a.name]), chosen.service_area_id),
      text("due_from", "Next test due from", filter.due_from, "date"),
      text("due_to", "Next test due to", filter.due_to, "date"),
      text("postal_code_prefix", "Postal code starts with", filter.postal_code_prefix),
      ...Object.keys(BOOLEANS).map((k) => triState(k, filter[k])),
    ),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("button", { type: "button", onclick: () => ctx.navigate("/assemblies") }, "Clear filters"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const key of LIST_KEYS) if (chosen[key].length) next[key] = chosen[key];
    for (const key of SINGLE_KEYS) {
      const value = String(data.get(key) || "").trim();
      if (value) next[key] = value;
    }
    ctx.navigate(`/assemblies?${toParams(next, { sort, page_size: pageSize })}`);
  });
  main.append(form, results);

  let answer;
  try {
    answer = await get(`/api/assemblies?${toParams(filter, { page, page_size: pageSize, sort })}`);
  } catch (error) {
    replace(results, errorAlert(error));
    results.removeAttribute("aria-busy");
    return;
  }
  results.removeAttribute("aria-busy");
  const total = answer.total;
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const go = (changes) => ctx.navigate(`/assemblies?${toParams(filter, { page, page_size: pageSize, sort, ...changes })}`);

  const sortSelect = h("select", { id: "sort", onchange: (e) => go({ sort: e.target.value, page: 1 }) },
    SORTS.map(([v, t]) => h("option", { value: v, selected: v === sort }, t)));
  const sizeSelect = h("select", { id: "page-size", onchange: (e) => go({ page_size: e.target.value, page: 1 }) },
    [25, 50, 100, 200].map((n) => h("option", { value: n, selected: n === pageSize }, n)));
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("div", { class: "total", id: "assemblies-total", role: "status" }, `${formatNumber(total)} assemblies match`,
      total ? h("span", { class: "hint" }, ` · showing ${formatNumber(first)}–${formatNumber(last)}`) : null),
    h("div", { class: "inline" }, h("label", { for: "sort" }, "Sort"), sortSelect, h("label", { for: "page-size" }, "Per page"), sizeSelect),
  );
  const rows = answer.items.map((a) =>
    h(
      "tr",
      {
        class: "clickable",
        dataset: { assemblyId: a.id },
        // the whole row opens the assembly page; the serial number is the keyboard's link to it
        onclick: (event) => {
          if (event.target.closest("a, button, input, select") || String(window.getSelection() || "")) return;
          ctx.navigate(`/assemblies/${a.id}`);
        },
      },
      h("td", {}, h("a", { href: `/assemblies/${a.id}` }, a.serial_number)),
      h("td", {}, a.assembly_type),
      h("td", {}, a.size),
      h("td", {}, label(a.hazard)),
      h("td", {}, label(a.service_type)),
      h("td", {}, a.location?.account_number),
      h("td", {}, [a.location?.name, a.location?.address_line1, [a.location?.city, a.location?.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ")),
      h("td", {}, a.location?.service_area_name || "—"),
      h("td", {}, label(a.location?.facility_type)),
      h("td", {}, formatDate(a.next_test_due)),
      h("td", {}, badge(a.compliance_status)),
      h("td", {}, a.primary_contact ? [a.primary_contact.name, a.primary_contact.email ? h("div", { class: "hint" }, a.primary_contact.email) : null] : "—"),
    ),
  );
  const table = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "assemblies-table" },
      h("caption", { class: "visually-hidden" }, "Assemblies matching the filters"),
      h("thead", {}, h("tr", {}, ["Serial", "Type", "Size", "Hazard", "Service", "Account", "Location", "Service area", "Facility", "Next test due", "Compliance", "Primary contact"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 12, class: "empty" }, "No assembly matches these filters."))),
    ),
  );
  const pager = h(
    "nav",
    { class: "toolbar", "aria-label": "Pages" },
    h("span", {}, `Page ${page} of ${pages}`),
    h("div", { class: "pager" },
      h("button", { type: "button", disabled: page <= 1, onclick: () => go({ page: page - 1 }) }, "‹ Previous"),
      h("button", { type: "button", disabled: page >= pages, onclick: () => go({ page: page + 1 }) }, "Next ›")),
  );
  replace(results, toolbar, table, pager);

  if (addButton) {
    addButton.disabled = total === 0;
    addButton.title = total === 0 ? "No assembly matches the filters" : "";
    addButton.addEventListener("click", () => openBatchForm(ctx, filter, total));
  }
}

async function openBatchForm(ctx, filter, total) {
  let templates = [];
  let loadError = null;
  try {
    const answer = await get("/api/templates");
    templates = (Array.isArray(answer) ? answer : answer?.items || []).filter((t) => t.published !== false);
  } catch (error) {
    loadError = error;
  }
  const name = h("input", { name: "name", required: true, maxlength: 200 });
  const template = h(
    "select",
    { name: "template_id", required: true },
    h("option", { value: "" }, templates.length ? "Choose a template…" : "No published template yet"),
    templates.map((t) => h("option", { value: t.id }, `${t.name} (v${t.version})`)),
  );
  const due = h("input", { type: "date", name: "due_date", required: true, min: todayIso() });
  const fields = h(
    "div",
    {},
    loadError ? errorAlert(loadError) : null,
    h("p", { class: "alert info", id: "batch-member-count" }, `This batch will hold ${formatNumber(total)} assemblies (every assembly the current filters match).`),
    field("Batch name", name),
    field("Template", template),
    field("Due date", due, "The date the tests are due, printed in the notices."),
  );
  const created = await formDialog({
    title: "Add To Batch Communication",
    fields,
    submitLabel: "Create batch",
    submit: async (data) => {
      const problems = [];
      if (!String(data.get("name")).trim()) problems.push("Batch name: enter a name.");
      if (!data.get("template_id")) problems.push("Template: choose a template.");
      if (!data.get("due_date")) problems.push("Due date: choose a date.");
      if (problems.length) throw Object.assign(new Error(problems.join(" ")), { detail: problems });
      return post("/api/batches", {
        name: String(data.get("name")).trim(),
        template_id: data.get("template_id"),
        due_date: data.get("due_date"),
        filter,
      });
    },
  });
  if (created && created.id) ctx.navigate(`/batches/${created.id}`);
}
