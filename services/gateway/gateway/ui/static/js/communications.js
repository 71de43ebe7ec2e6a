// Pieces shared by the pages that list communications outside one batch: the history of an
// assembly or a location, the Unsent queue and Communications with Errors.

import { badge, formatDate, formatDateTime, h, label } from "./dom.js";

const SOURCES = { batch: "Batch", auto: "Auto", one_time: "One-time", ad_hoc: "One-time" };

/** Where a communication came from: a batch (with a link to it), an auto rule or Create Log. */
export function sourceOf(c) {
  const kind = c.source || (c.batch_id ? "batch" : "");
  if (kind === "batch" && c.batch_id) {
    return h("span", { dataset: { source: "batch" } }, "Batch: ", h("a", { href: `/batches/${c.batch_id}` }, c.batch_name || "open the batch"));
  }
  const type = c.communication_type_name || c.type_name || "";
  return h("span", { dataset: { source: kind || "unknown" } }, SOURCES[kind] || label(kind) || "—", type ? h("div", { class: "hint" }, type) : null);
}

export function formatAddress(address) {
  if (!address) return "";
  if (typeof address === "string") return address;
  const cityLine = [address.city, [address.state, address.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [address.line1, address.line2, cityLine].filter(Boolean).join(", ");
}

/** The recipient: name, then the email address or the postal address the notice went to. */
export function recipientOf(c) {
  const r = c.recipient || {};
  const where = c.method === "email" ? r.email : formatAddress(r.address);
  return [r.name || c.contact_name || "—", where ? h("div", { class: "hint" }, where) : null];
}

/** The date that matters most for a communication: sent, mailed, else created. */
export function whenOf(c) {
  // a letter counts as sent on the day it was mailed
  if (c.mailed_on) return [formatDate(c.mailed_on), h("div", { class: "hint" }, "Mailed")];
  if (c.sent_at) return [formatDateTime(c.sent_at), h("div", { class: "hint" }, "Sent")];
  const created = c.created_at || c.generated_at;
  return created ? [formatDateTime(created), h("div", { class: "hint" }, "Created")] : "—";
}

export function problemOf(c) {
  if (c.error) return c.error;
  if (c.missing_fields?.length) return `Missing: ${c.missing_fields.join(", ")}`;
  return "—";
}

/**
 * The communication history table of an assembly or a location, newest first.
 * ``withAssemblies`` adds the serial numbers each communication was about (a location has several).
 */
export function historyTable(id, items, { withAssemblies = false, empty = "No communication yet." } = {}) {
  const heads = ["When", "To", "Method", "Status", ...(withAssemblies ? ["Assemblies"] : []), "Subject", "Source", "Problem"];
  const rows = items.map((c) =>
    h("tr", { dataset: { status: c.status, method: c.method, communicationId: c.id } },
      h("td", {}, whenOf(c)),
      h("td", {}, recipientOf(c)),
      h("td", {}, label(c.method)),
      h("td", {}, badge(c.status)),
      withAssemblies ? h("td", {}, (c.serial_numbers || []).join(", ") || "—") : null,
      h("td", {}, c.subject || (c.method === "letter" ? "Letter" : "—")),
      h("td", {}, sourceOf(c)),
      h("td", {}, problemOf(c))),
  );
  return h("div", { class: "table-wrap" },
    h("table", { id },
      h("caption", { class: "visually-hidden" }, "Communication history, newest first"),
      h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: heads.length, class: "empty" }, empty)))));
}

/** Yes/No cells that read well in a table and to a screen reader. */
export function yesNo(value, yesText = "Yes", noText = "No") {
  return value ? h("span", { class: "flag on" }, yesText) : h("span", { class: "flag" }, noText);
}

/**
 * Ask for a letters link, waiting while the documents service is still rendering the letters
 * (409 "not rendered yet") or building the combined PDF (503): letters are rendered a moment
 * after they are generated. ``onWait(text)`` tells the admin; other errors are thrown at once.
 */
export async function letterLinkWhenReady(request, onWait, { attempts = 40, delayMs = 1500 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      const rendering = error?.status === 503 || (error?.status === 409 && /not rendered/i.test(error.message || ""));
      if (!rendering || attempt >= attempts) throw error;
      if (onWait) onWait(error.status === 503 ? "The combined PDF is being prepared…" : "The letters are still being rendered…");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
