// Create Log: one one-time communication to one contact at a location, from a template,
// by email (sent at once) or letter (produced, then downloadable as a PDF).

import { get, post } from "./api.js";
import { formatDateTime, h, label, replace } from "./dom.js";
import { errorAlert, field, formDialog, infoAlert } from "./ui.js";
import { letterLinkWhenReady } from "./communications.js";

function contactText(c) {
  const reach = c.email ? c.email : "no email";
  const flags = [c.is_primary ? "primary" : "", c.do_not_contact ? "do not contact" : "", c.email_bounced_at || c.email_bounced ? "email bounced" : ""].filter(Boolean);
  return `${c.name || "—"} (${label(c.contact_type)}, ${reach})${flags.length ? ` · ${flags.join(", ")}` : ""}`;
}

/** The letter's download link, with when it expires and a way to ask for a new one. */
export function letterLinkBox(link, again) {
  const expired = new Date(link.expires_at) <= new Date();
  return h("div", { class: "link-box", id: "one-time-letter" },
    h("a", { class: "button primary", id: "one-time-letter-link", href: link.url, download: true }, "Download the letter (PDF)"),
    h("span", { id: "one-time-letter-expiry" }, expired ? "This link has expired." : `The link expires ${formatDateTime(link.expires_at)}.`),
    again ? h("button", { type: "button", onclick: again }, "Request a new link") : null);
}

/**
 * The Create Log button of a location or assembly page. ``say`` shows the outcome on the page;
 * ``onCreated`` refreshes the page's history.
 */
export function createLogButton({ location, contacts, assemblyId, say, onCreated }) {
  return h("button", { type: "button", class: "primary", id: "create-log", onclick: () => openCreateLog({ location, contacts, assemblyId, say, onCreated }) }, "Create Log");
}

async function openCreateLog({ location, contacts, assemblyId, say, onCreated }) {
  let templates = [];
  let loadError = null;
  try {
    const answer = await get("/api/templates");
    templates = (Array.isArray(answer) ? answer : answer?.items || []).filter((t) => t.published);
  } catch (error) {
    loadError = error;
  }
  const usable = contacts.filter((c) => !c.do_not_contact);
  const contact = h("select", { name: "contact_id", required: true },
    h("option", { value: "" }, usable.length ? "Choose a contact…" : "No contact may be reached here"),
    contacts.map((c) => h("option", { value: c.id, disabled: c.do_not_contact }, contactText(c))));
  const template = h("select", { name: "template_id", required: true },
    h("option", { value: "" }, templates.length ? "Choose a template…" : "No published template yet"),
    templates.map((t) => h("option", { value: t.id }, `${t.name} (v${t.version})`)));
  const methods = h("fieldset", {},
    h("legend", {}, "Method"),
    h("div", { class: "checks" },
      h("label", {}, h("input", { type: "radio", name: "method", value: "email", checked: true }), "Email (sent at once)"),
      h("label", {}, h("input", { type: "radio", name: "method", value: "letter" }), "Letter (PDF to download)")));
  const methodHint = h("div", { class: "hint", "aria-live": "polite" });
  methods.append(methodHint);
  // a contact without a usable email can only get a letter
  contact.addEventListener("change", () => {
    const chosen = contacts.find((c) => c.id === contact.value);
    const noEmail = chosen && (!chosen.email || chosen.email_bounced_at || chosen.email_bounced);
    const [email, letter] = methods.querySelectorAll("input[name=method]");
    email.disabled = !!noEmail;
    if (noEmail) letter.checked = true;
    methodHint.textContent = noEmail ? `${chosen.name} has ${chosen.email ? "a bounced" : "no"} email address: a letter it is.` : "";
  });
  const text = h("textarea", { name: "additional_contents", rows: 5, maxlength: 20000, spellcheck: "true" });
  const fields = h("div", {},
    loadError ? errorAlert(loadError) : null,
    h("p", { class: "hint" }, `A one-time communication to one contact at account ${location.account_number || ""}.`),
    field("Contact", contact),
    field("Template", template),
    methods,
    field("Additional text", text, "Printed where the template places {{ additional_contents }}; a template that uses it needs it filled in."));
  const created = await formDialog({
    title: "Create Log",
    fields,
    submitLabel: "Send",
    submit: async (data) => {
      const problems = [];
      if (!data.get("contact_id")) problems.push("Contact: choose a contact.");
      if (!data.get("template_id")) problems.push("Template: choose a template.");
      if (problems.length) throw Object.assign(new Error(problems.join(" ")), { detail: problems });
      const body = {
        contact_id: data.get("contact_id"),
        template_id: data.get("template_id"),
        method: data.get("method"),
        additional_contents: String(data.get("additional_contents") || ""),
      };
      if (assemblyId) body.assembly_id = assemblyId;
      return post("/api/communications/one-time", body);
    },
  });
  if (!created || created === true) return;
  await followJob(created, say, onCreated);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const FINAL = new Set(["sent", "failed", "needs_attention", "skipped", "removed"]);

/**
 * Follow a one-time job until its communication is generated and, for an email, sent or failed,
 * telling the admin each step in the page's live region.
 */
async function followJob(job, say, onCreated) {
  const progress = (text) => say(h("div", { class: "alert info", role: "status", id: "create-log-progress" }, text));
  progress("Generating the communication…");
  const deadline = Date.now() + 120_000;
  let communication = null;
  let lastStatus = "";
  while (Date.now() < deadline) {
    if (job.state === "generated") {
      communication = (job.communications || [])[0] || null;
      if (!communication) break;
      if (communication.method === "letter" || FINAL.has(communication.status)) break;
      if (communication.status !== lastStatus) {
        lastStatus = communication.status;
        progress(`Email to ${communication.recipient?.name || "the contact"} ${communication.status === "sending" ? "is being sent" : "is queued for sending"}…`);
        if (onCreated) onCreated();
      }
    }
    await sleep(1000);
    try {
      job = await get(`/api/communications/jobs/${job.id}`);
    } catch (error) {
      say(errorAlert(error));
      return;
    }
  }
  if (onCreated) await onCreated();
  if (!communication) {
    const reason = (job.skipped || [])[0]?.reason;
    say(job.state === "generated"
      ? errorAlert(new Error(`No communication was made${reason ? `: ${reason}` : "."}`))
      : infoAlert("Still generating; the communication appears in the history when it is ready.", "info"));
    return;
  }
  await showOutcome(communication, say);
}

async function showOutcome(c, say) {
  const who = c.recipient?.name || "the contact";
  if (c.status === "needs_attention") {
    say(errorAlert(new Error(`The communication needs attention: missing ${(c.missing_fields || []).join(", ") || "data"}. Fix the record or the template, then create it again.`)));
    return;
  }
  if (c.status === "failed") {
    say(errorAlert(new Error(`The email to ${who} failed: ${c.error || "unknown reason"}. It is listed in Communications with Errors.`)));
    return;
  }
  if (c.method === "email") {
    say(c.status === "sent"
      ? infoAlert(`Email sent to ${who}${c.recipient?.email ? ` <${c.recipient.email}>` : ""}${c.sent_at ? ` at ${formatDateTime(c.sent_at)}` : ""}.`, "success")
      : infoAlert(`Email to ${who} is queued for sending; its status shows in the history.`, "info"));
    return;
  }
  // a letter waits in the unsent queue: a link to its PDF, re-requestable
  const slot = h("div", {}, "Preparing the download link…");
  const request = () =>
    letterLinkWhenReady(() => post("/api/communications/letters", { communication_ids: [c.id] }), (text) => replace(slot, text));
  const draw = (link) => replace(slot, letterLinkBox(link, async () => {
    try {
      draw(await request());
    } catch (error) {
      replace(slot, errorAlert(error));
    }
  }));
  say(h("div", { class: "alert success", role: "status", id: "create-log-letter" }, `Letter to ${who} produced. Mark it mailed from Unsent Communications once posted.`, slot));
  try {
    draw(await request());
  } catch (error) {
    replace(slot, errorAlert(error));
  }
}
