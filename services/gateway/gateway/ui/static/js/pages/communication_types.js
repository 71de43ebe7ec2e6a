// Communication types: what kind of notice a template belongs to. Batch types are sent by the
// admin to a working list; auto types are generated every day, offset_days from each
// assembly's next test due date, and not repeated within their suppression window.

import { get, post, put } from "../api.js";
import { formatDateTime, h, replace } from "../dom.js";
import { errorAlert, field, formDialog, infoAlert, pageHeader } from "../ui.js";

const SOURCES = [
  ["assembly", "Assembly", "About one assembly (its serial number, due date…)"],
  ["location", "Location", "About a location and all its assemblies"],
  ["ad_hoc", "Ad hoc", "Free-standing notices, e.g. for Create Log"],
];
const SOURCE_NAMES = Object.fromEntries(SOURCES.map(([v, t]) => [v, t]));
const DEFAULT_SUPPRESSION_DAYS = 65;

/** "30 days before the next test due date", "1 day after …", "On the next test due date". */
export function describeOffset(days) {
  if (days === null || days === undefined) return "—";
  const n = Math.abs(days);
  const unit = n === 1 ? "day" : "days";
  if (days < 0) return `${n} ${unit} before the next test due date`;
  if (days > 0) return `${n} ${unit} after the next test due date`;
  return "On the next test due date";
}

export async function renderCommunicationTypes(main, ctx) {
  const message = h("div", { "aria-live": "polite", id: "types-message" });
  const body = h("div", { class: "card", "aria-busy": "true" }, h("p", { class: "empty" }, "Loading communication types…"));
  const newButton = ctx.canAct
    ? h("button", { type: "button", class: "primary", id: "new-type", onclick: () => edit(null) }, "New communication type")
    : null;
  replace(
    main,
    pageHeader("Communication Types", "Kinds of notices. Batch types are sent from a working list; auto types are generated every day from each assembly's next test due date.", [newButton]),
    message,
    body,
  );

  let types = [];
  async function load() {
    try {
      const answer = await get("/api/communication-types");
      types = Array.isArray(answer) ? answer : answer?.items || [];
    } catch (error) {
      replace(body, errorAlert(error));
      return;
    }
    body.removeAttribute("aria-busy");
    draw();
  }

  function draw() {
    const rows = [...types]
      .sort((a, b) => a.trigger.localeCompare(b.trigger) || a.name.localeCompare(b.name))
      .map((t) =>
        h("tr", { dataset: { typeId: t.id, trigger: t.trigger } },
          h("th", { scope: "row" }, t.name),
          h("td", {}, SOURCE_NAMES[t.source] || t.source),
          h("td", {}, h("span", { class: `badge ${t.trigger === "auto" ? "generating" : "open"}` }, t.trigger === "auto" ? "Auto" : "Batch")),
          h("td", {}, t.trigger === "auto" ? describeOffset(t.offset_days) : "When the admin sends a batch"),
          h("td", {}, t.trigger === "auto" ? `${t.suppression_days} days` : "—"),
          h("td", {}, formatDateTime(t.updated_at)),
          ctx.canAct ? h("td", {}, h("button", { type: "button", class: "link", "aria-label": `Edit ${t.name}`, onclick: () => edit(t) }, "Edit")) : null),
      );
    const heads = ["Name", "Source", "Trigger", "When it is generated", "Suppression window", "Updated", ...(ctx.canAct ? [h("span", { class: "visually-hidden" }, "Actions")] : [])];
    replace(body,
      h("p", { class: "total", role: "status", id: "types-total" }, `${types.length} communication ${types.length === 1 ? "type" : "types"}`),
      h("div", { class: "table-wrap" },
        h("table", { id: "types-table" },
          h("caption", { class: "visually-hidden" }, "Communication types"),
          h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: heads.length, class: "empty" }, "No communication type yet."))))));
  }

  async function edit(type) {
    const saved = await typeDialog(type);
    if (!saved || saved === true) return;
    replace(message, infoAlert(type ? `Saved “${saved.name}”.` : `Created “${saved.name}”.`, "success"));
    await load();
    const row = body.querySelector(`tr[data-type-id="${saved.id}"]`);
    if (row) row.classList.add("highlight");
  }

  await load();
}

/** The create/edit form; resolves to the saved type, or undefined when cancelled. */
function typeDialog(type) {
  const auto = type?.trigger === "auto";
  const name = h("input", { name: "name", value: type?.name || "", required: true, maxlength: 200, autocomplete: "off" });
  const source = h("select", { name: "source" },
    SOURCES.map(([value, text]) => h("option", { value, selected: (type?.source || "assembly") === value }, text)));
  const trigger = h("fieldset", {},
    h("legend", {}, "Trigger"),
    h("div", { class: "checks" },
      h("label", {}, h("input", { type: "radio", name: "trigger", value: "batch", checked: !auto }), "Batch (sent from a working list)"),
      h("label", {}, h("input", { type: "radio", name: "trigger", value: "auto", checked: auto }), "Auto (generated every day)")));
  const offset = h("input", { type: "number", name: "offset_days", step: 1, min: -3650, max: 3650, value: type?.offset_days ?? "", inputmode: "numeric" });
  const suppression = h("input", { type: "number", name: "suppression_days", step: 1, min: 0, max: 3650, value: type?.suppression_days ?? DEFAULT_SUPPRESSION_DAYS, inputmode: "numeric" });
  const offsetHint = h("span", { "aria-live": "polite" });
  const autoFields = h("fieldset", { id: "auto-fields" },
    h("legend", {}, "Auto generation"),
    field("Offset from the due date (days)", offset, h("span", {}, "Negative is before the next test due date (-30: a first notice), positive after (1: an overdue notice). ", offsetHint)),
    field("Suppression window (days)", suppression, "No second notice of this type to the same assembly within this many days."));
  const sync = () => {
    const isAuto = trigger.querySelector("input:checked")?.value === "auto";
    autoFields.hidden = !isAuto;
    autoFields.disabled = !isAuto;
    offsetHint.textContent = offset.value !== "" && Number.isInteger(Number(offset.value)) ? `Generated ${describeOffset(Number(offset.value)).toLowerCase()}.` : "";
  };
  trigger.addEventListener("change", sync);
  offset.addEventListener("input", sync);
  sync();

  return formDialog({
    title: type ? `Edit ${type.name}` : "New communication type",
    fields: h("div", {}, field("Name", name), field("Source", source, SOURCES.map(([, t, hint]) => `${t}: ${hint}.`).join(" ")), trigger, autoFields),
    submitLabel: type ? "Save" : "Create",
    submit: async (data) => {
      const body = {
        name: String(data.get("name") || "").trim(),
        source: data.get("source"),
        trigger: data.get("trigger"),
      };
      const problems = [];
      if (!body.name) problems.push("Name: enter a name.");
      if (body.trigger === "auto") {
        const o = String(data.get("offset_days") ?? "").trim();
        const s = String(data.get("suppression_days") ?? "").trim();
        if (o === "" || !Number.isInteger(Number(o))) problems.push("Offset from the due date (days): enter a whole number of days, e.g. -30.");
        if (s === "" || !Number.isInteger(Number(s)) || Number(s) < 0) problems.push("Suppression window (days): enter a whole number of days, 0 or more.");
        body.offset_days = Number(o);
        body.suppression_days = Number(s);
      } else if (type && type.offset_days !== null && type.offset_days !== undefined) {
        body.offset_days = null;
      }
      if (problems.length) throw Object.assign(new Error(problems.join(" ")), { detail: problems });
      return type ? put(`/api/communication-types/${type.id}`, body) : post("/api/communication-types", body);
    },
  });
}
