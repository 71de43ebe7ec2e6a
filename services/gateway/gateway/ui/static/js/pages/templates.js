// Templates: the list by communication type, and one template's settings, editor and preview.

import { get, post, put } from "../api.js";
import { formatDateTime, h, label, replace } from "../dom.js";
import { errorAlert, field, formDialog, infoAlert, pageHeader } from "../ui.js";

const CONTACT_TYPES = ["owner", "tenant", "property_manager", "billing", "site"];
const METHODS = ["email", "letter"];
const TOGGLES = [
  ["use_primary_contact", "Only the location's primary contact"],
  ["first_available_method_only", "First available method only (email if usable, else letter)"],
  ["group_by_location", "Group by location (one notice listing all of a location's assemblies)"],
  ["include_pdf_in_email", "Attach the letter PDF to the email"],
];

export async function renderTemplates(main, ctx) {
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "empty" }, "Loading templates…"));
  replace(
    main,
    pageHeader("Templates", "Who receives a notice, by which method, and what it says.",
      ctx.canAct ? [h("button", { type: "button", class: "primary", id: "new-template", onclick: () => newTemplate(ctx) }, "New template")] : []),
    body,
  );
  let templates;
  let types;
  try {
    [templates, types] = await Promise.all([get("/api/templates"), get("/api/communication-types")]);
  } catch (error) {
    replace(body, errorAlert(error));
    return;
  }
  body.removeAttribute("aria-busy");
  templates = Array.isArray(templates) ? templates : templates?.items || [];
  types = Array.isArray(types) ? types : types?.items || [];
  const typeName = Object.fromEntries(types.map((t) => [t.id, t.name]));
  const rows = templates.map((t) =>
    h("tr", {},
      h("td", {}, h("a", { href: `/templates/${t.id}` }, t.name)),
      h("td", {}, typeName[t.communication_type_id] || "—"),
      h("td", {}, `v${t.version}`),
      h("td", {}, t.published ? h("span", { class: "badge complete" }, "Published") : h("span", { class: "badge" }, "Draft")),
      h("td", {}, (t.settings?.methods || []).map(label).join(", ")),
      h("td", {}, (t.settings?.contact_types || []).map(label).join(", ")),
      h("td", {}, formatDateTime(t.updated_at))),
  );
  replace(
    body,
    h("div", { class: "card" },
      h("div", { class: "table-wrap" },
        h("table", { id: "templates-table" },
          h("thead", {}, h("tr", {}, ["Name", "Communication type", "Version", "Status", "Methods", "Contact types", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No template yet.")))))),
  );
}

async function newTemplate(ctx) {
  let types = [];
  try {
    const answer = await get("/api/communication-types");
    types = Array.isArray(answer) ? answer : answer?.items || [];
  } catch {
    types = [];
  }
  const typeSelect = h("select", { name: "communication_type_id" },
    h("option", { value: "" }, "A new batch communication type…"),
    types.map((t) => h("option", { value: t.id }, `${t.name} (${label(t.trigger)})`)));
  const typeName = h("input", { name: "type_name", placeholder: "e.g. Program notice" });
  const name = h("input", { name: "name", required: true });
  const created = await formDialog({
    title: "New template",
    fields: h("div", {}, field("Template name", name), field("Communication type", typeSelect), field("New type name", typeName, "Only when creating a new type.")),
    submitLabel: "Create",
    submit: async (data) => {
      let typeId = data.get("communication_type_id");
      if (!typeId) {
        const type = await post("/api/communication-types", { name: String(data.get("type_name") || data.get("name")).trim(), source: "assembly", trigger: "batch" });
        typeId = type.id;
      }
      return post("/api/templates", { name: String(data.get("name")).trim(), communication_type_id: typeId });
    },
  });
  if (created && created.id) ctx.navigate(`/templates/${created.id}`);
}

export async function renderTemplate(main, ctx) {
  const id = ctx.params[0];
  const message = h("div", { "aria-live": "polite" });
  const headerSlot = h("div", {}, pageHeader("Template"));
  replace(main, headerSlot, message);
  let template;
  try {
    template = await get(`/api/templates/${id}`);
  } catch (error) {
    replace(message, errorAlert(error));
    return;
  }
  const s = template.settings || {};
  const checks = (name, values, chosen) =>
    h("div", { class: "checks" }, values.map((v) => h("label", {}, h("input", { type: "checkbox", name, value: v, checked: (chosen || []).includes(v) }), label(v))));
  const textarea = (name, rows = 8) => h("textarea", { name, rows, spellcheck: "false" }, template[name] || "");
  const fieldset = h(
    "fieldset",
    { disabled: !ctx.canAct, class: "plain" },
    h("section", { class: "card" },
      h("h2", {}, "Settings"),
      field("Name", h("input", { name: "name", value: template.name, required: true })),
      h("fieldset", {}, h("legend", {}, "Contact types that receive it"), checks("contact_types", CONTACT_TYPES, s.contact_types)),
      h("fieldset", {}, h("legend", {}, "Methods"), checks("methods", METHODS, s.methods)),
      h("fieldset", {}, h("legend", {}, "Contact rules"),
        h("div", {}, TOGGLES.map(([key, text]) => h("label", { class: "toggle" }, h("input", { type: "checkbox", name: key, checked: !!s[key] }), text)))),
      h("div", { class: "two-col" },
        field("Cc", h("input", { name: "cc", value: (s.cc || []).join(", ") }), "Addresses separated by commas"),
        field("Bcc", h("input", { name: "bcc", value: (s.bcc || []).join(", ") }), "Addresses separated by commas"))),
    h("section", { class: "card" },
      h("h2", {}, "Content"),
      h("p", { class: "hint" }, "Merge fields: {{ org.name }}, {{ location.* }}, {{ contact.* }}, {{ assembly.* }} (or {% for a in assemblies %} when grouped), {{ batch.name }}, {{ batch.due_date }}, {{ today }}."),
      field("Email subject", h("input", { name: "email_subject", value: template.email_subject || "" })),
      field("Email body (text)", textarea("email_body_text")),
      field("Email body (HTML)", textarea("email_body_html")),
      field("Letter body", textarea("letter_body", 10))),
  );
  const save = h("button", { type: "submit", class: "primary", id: "save-template" }, "Save");
  const publish = h("button", { type: "button", id: "publish-template", onclick: () => doPublish() }, "Publish");
  const form = h("form", { id: "template-form", "aria-label": "Template" }, fieldset, ctx.canAct ? h("div", { class: "filter-actions" }, save, publish) : null);

  function header() {
    return pageHeader(template.name, `Version ${template.version} · ${template.published ? "Published" : "Draft"}`);
  }

  function collect() {
    const data = new FormData(form);
    const list = (key) => String(data.get(key) || "").split(",").map((x) => x.trim()).filter(Boolean);
    return {
      name: String(data.get("name") || "").trim(),
      settings: {
        contact_types: data.getAll("contact_types"),
        methods: data.getAll("methods"),
        ...Object.fromEntries(TOGGLES.map(([k]) => [k, data.get(k) === "on"])),
        cc: list("cc"),
        bcc: list("bcc"),
      },
      email_subject: data.get("email_subject"),
      email_body_text: data.get("email_body_text"),
      email_body_html: data.get("email_body_html"),
      letter_body: data.get("letter_body"),
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      template = await put(`/api/templates/${id}`, collect());
      replace(headerSlot, header());
      replace(message, infoAlert(`Saved as version ${template.version}.`, "success"));
    } catch (error) {
      replace(message, errorAlert(error));
    } finally {
      save.disabled = false;
      message.scrollIntoView({ block: "nearest" });
    }
  });

  async function doPublish() {
    try {
      template = await post(`/api/templates/${id}/publish`);
      replace(headerSlot, header());
      replace(message, infoAlert("Published: new batches can use it.", "success"));
    } catch (error) {
      replace(message, errorAlert(error));
    }
  }

  // preview on a real assembly, found by serial number or account
  const search = h("input", { type: "search", id: "preview-search", placeholder: "Serial or account number" });
  const choices = h("select", { id: "preview-assembly" }, h("option", { value: "" }, "Search for an assembly first"));
  const output = h("div", { "aria-live": "polite", id: "preview-output" });
  const preview = h(
    "section",
    { class: "card", "aria-labelledby": "preview-title" },
    h("h2", { id: "preview-title" }, "Preview on a real assembly"),
    h("div", { class: "two-col" },
      field("Find an assembly", search),
      field("Assembly", choices)),
    h("div", { class: "filter-actions" },
      h("button", { type: "button", onclick: findAssemblies }, "Search"),
      h("button", { type: "button", class: "primary", id: "preview-button", onclick: runPreview }, "Preview")),
    output,
  );
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      findAssemblies();
    }
  });

  async function findAssemblies() {
    try {
      const q = search.value.trim();
      const answer = await get(`/api/assemblies?page_size=20${q ? `&q=${encodeURIComponent(q)}` : ""}`);
      replace(choices, answer.items.length ? answer.items.map((a) => h("option", { value: a.id }, `${a.serial_number} · ${a.location?.account_number || ""} ${a.location?.address_line1 || ""}`)) : h("option", { value: "" }, "No assembly found"));
    } catch (error) {
      replace(output, errorAlert(error));
    }
  }

  async function runPreview() {
    if (!choices.value) {
      replace(output, errorAlert(new Error("Assembly: search and choose an assembly to preview with.")));
      return;
    }
    replace(output, infoAlert("Rendering…"));
    try {
      const answer = await post(`/api/templates/${id}/preview`, { assembly_id: choices.value });
      const parts = [];
      for (const c of answer.communications || []) {
        parts.push(h("h3", {}, `${label(c.method)} to ${c.recipient?.name || ""} ${c.method === "email" ? `<${c.recipient?.email || ""}>` : ""}`.trim()));
        if (c.status === "needs_attention") parts.push(errorAlert(new Error(`Needs attention: missing ${c.missing_fields.join(", ")}`)));
        if (c.method === "email") {
          parts.push(h("p", {}, h("strong", {}, "Subject: "), c.subject));
          parts.push(h("div", { class: "preview-text" }, c.body_text));
          if (c.body_html) {
            const frame = h("iframe", { class: "preview-frame", title: "Email HTML preview", sandbox: "" });
            frame.srcdoc = c.body_html;
            parts.push(frame);
          }
        } else {
          parts.push(h("div", { class: "preview-text" }, c.letter_body));
        }
      }
      for (const s of answer.skipped || []) parts.push(infoAlert(`Skipped: ${s.reason}`));
      if (!parts.length) parts.push(infoAlert("This assembly yields no communication with these settings."));
      replace(output, ...parts);
    } catch (error) {
      replace(output, errorAlert(error));
    }
  }

  findAssemblies();
  replace(headerSlot, header());
  replace(main, headerSlot, message, ctx.canAct ? null : infoAlert("You can read this template; only an Org Admin can change it."), form, preview);
}
