// One assembly and one location: their facts, the contacts at the location, and every
// communication about them (batch, auto and one-time), newest first.

import { get } from "../api.js";
import { badge, formatDate, h, label, replace } from "../dom.js";
import { historyTable, yesNo } from "../communications.js";
import { errorAlert, pageHeader } from "../ui.js";
import { createLogButton } from "../create_log.js";

function fact(term, value, id) {
  return h("div", {}, h("dt", {}, term), h("dd", { id }, value === undefined || value === null || value === "" ? "—" : value));
}

export function addressOf(location) {
  if (!location) return "";
  const cityLine = [location.city, [location.state, location.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [location.address_line1, location.address_line2, cityLine].filter(Boolean).join(", ");
}

function mailingAddress(contact) {
  const cityLine = [contact.mailing_city, [contact.mailing_state, contact.mailing_postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  const text = [contact.mailing_line1, contact.mailing_line2, cityLine].filter(Boolean).join(", ");
  return text || h("span", { class: "hint" }, "The location's address");
}

function contactsTable(contacts) {
  const sorted = [...contacts].sort((a, b) => Number(b.is_primary) - Number(a.is_primary) || String(a.name).localeCompare(String(b.name)));
  const rows = sorted.map((c) =>
    h("tr", { dataset: { contactId: c.id } },
      h("td", {}, c.name || "—"),
      h("td", {}, label(c.contact_type)),
      h("td", {}, yesNo(c.is_primary, "Primary", "—")),
      h("td", {}, c.email || h("span", { class: "hint" }, "No email")),
      h("td", {}, yesNo(c.do_not_contact, "Do not contact", "—")),
      h("td", {}, c.email_bounced_at ? h("span", { class: "flag warn" }, `Bounced ${formatDate(c.email_bounced_at)}`) : c.email_bounced ? h("span", { class: "flag warn" }, "Bounced") : "—"),
      h("td", {}, mailingAddress(c))),
  );
  return h("div", { class: "table-wrap" },
    h("table", { id: "contacts-table" },
      h("caption", { class: "visually-hidden" }, "Contacts at the location"),
      h("thead", {}, h("tr", {}, ["Name", "Type", "Primary", "Email", "Do not contact", "Email bounced", "Mailing address"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No contact at this location.")))));
}

function locationFacts(location) {
  return h("dl", { class: "facts" },
    fact("Account", location.account_number, "location-account"),
    fact("Name", location.name),
    fact("Address", addressOf(location), "location-address"),
    fact("Service area", location.service_area_name),
    fact("Facility type", label(location.facility_type)),
    fact("Active", location.active === false ? "No" : "Yes"));
}

async function historyCard(card, query, options) {
  const title = h("h2", { id: `${card.id}-title` }, "Communication history");
  card.setAttribute("aria-labelledby", title.id);
  replace(card, title, h("p", { class: "empty", "aria-busy": "true" }, "Loading the communications…"));
  try {
    const answer = await get(`/api/communications?${query}`);
    const items = answer.items || [];
    replace(card, title,
      h("p", { class: "total", role: "status", id: `${card.id}-total` }, `${items.length} ${items.length === 1 ? "communication" : "communications"}`),
      historyTable("history-table", items, options));
  } catch (error) {
    replace(card, title, errorAlert(error));
  }
}

export async function renderAssembly(main, ctx) {
  const id = ctx.params[0];
  const header = h("div", {}, pageHeader("Assembly"));
  const message = h("div", { "aria-live": "polite", id: "page-message" });
  replace(main, header, message);
  let assembly;
  try {
    assembly = await get(`/api/assemblies/${id}`);
  } catch (error) {
    replace(message, errorAlert(error));
    return;
  }
  const location = assembly.location || {};
  const contacts = assembly.contacts || [];
  const history = h("section", { class: "card", id: "assembly-history" });
  const reload = () => historyCard(history, `assembly_id=${encodeURIComponent(id)}`);
  replace(header, pageHeader(
    h("span", {}, `Assembly ${assembly.serial_number}`, " ", h("span", { id: "compliance" }, badge(assembly.compliance_status))),
    `${assembly.assembly_type}${assembly.size ? ` ${assembly.size}` : ""} · ${label(assembly.hazard)} hazard · ${location.account_number || ""} ${location.address_line1 || ""}`.trim(),
    [
      h("a", { class: "button", href: `/locations/${location.id}`, id: "open-location" }, "Location page"),
      ctx.canAct ? createLogButton({ location, contacts, assemblyId: id, say: (node) => replace(message, node || ""), onCreated: reload }) : null,
    ],
  ));
  replace(main, header, message,
    h("section", { class: "card", "aria-labelledby": "assembly-title" },
      h("h2", { id: "assembly-title" }, "Assembly"),
      h("dl", { class: "facts", id: "assembly-facts" },
        fact("Serial number", assembly.serial_number, "assembly-serial"),
        fact("Type", assembly.assembly_type),
        fact("Size", assembly.size),
        fact("Make", assembly.make),
        fact("Model", assembly.model),
        fact("Hazard", label(assembly.hazard)),
        fact("Service", label(assembly.service_type)),
        fact("Placement", assembly.placement),
        fact("Installed", assembly.installed_on ? formatDate(assembly.installed_on) : null),
        fact("Last tested", assembly.last_tested_on ? formatDate(assembly.last_tested_on) : null),
        fact("Last result", assembly.last_test_result ? label(assembly.last_test_result) : null),
        fact("Next test due", assembly.next_test_due ? formatDate(assembly.next_test_due) : null, "assembly-due"),
        fact("Compliance", badge(assembly.compliance_status)),
        fact("Active", assembly.active === false ? "No" : "Yes"))),
    h("section", { class: "card", "aria-labelledby": "location-title" },
      h("h2", { id: "location-title" }, "Location"),
      locationFacts(location),
      h("p", {}, h("a", { href: `/locations/${location.id}` }, `Open the location page of account ${location.account_number || ""}`.trim()))),
    h("section", { class: "card", "aria-labelledby": "contacts-title" },
      h("h2", { id: "contacts-title" }, "Contacts at the location"),
      contactsTable(contacts)),
    history,
  );
  await reload();
}

export async function renderLocation(main, ctx) {
  const id = ctx.params[0];
  const header = h("div", {}, pageHeader("Location"));
  const message = h("div", { "aria-live": "polite", id: "page-message" });
  replace(main, header, message);
  let location;
  try {
    location = await get(`/api/locations/${id}`);
  } catch (error) {
    replace(message, errorAlert(error));
    return;
  }
  const contacts = location.contacts || [];
  const assemblies = location.assemblies || [];
  const history = h("section", { class: "card", id: "location-history" });
  const reload = () => historyCard(history, `location_id=${encodeURIComponent(id)}`, { withAssemblies: true });
  replace(header, pageHeader(
    `Location ${location.account_number}`,
    [location.name, addressOf(location)].filter(Boolean).join(" · "),
    ctx.canAct ? [createLogButton({ location, contacts, say: (node) => replace(message, node || ""), onCreated: reload })] : [],
  ));
  const assemblyRows = assemblies.map((a) =>
    h("tr", { dataset: { assemblyId: a.id } },
      h("td", {}, h("a", { href: `/assemblies/${a.id}` }, a.serial_number)),
      h("td", {}, a.assembly_type),
      h("td", {}, a.size || "—"),
      h("td", {}, label(a.hazard)),
      h("td", {}, label(a.service_type)),
      h("td", {}, formatDate(a.next_test_due)),
      h("td", {}, badge(a.compliance_status))));
  replace(main, header, message,
    h("section", { class: "card", "aria-labelledby": "location-title" }, h("h2", { id: "location-title" }, "Location"), locationFacts(location)),
    h("section", { class: "card", "aria-labelledby": "contacts-title" }, h("h2", { id: "contacts-title" }, "Contacts"), contactsTable(contacts)),
    h("section", { class: "card", "aria-labelledby": "assemblies-title" },
      h("h2", { id: "assemblies-title" }, "Assemblies"),
      h("div", { class: "table-wrap" },
        h("table", { id: "location-assemblies" },
          h("thead", {}, h("tr", {}, ["Serial", "Type", "Size", "Hazard", "Service", "Next test due", "Compliance"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, assemblyRows.length ? assemblyRows : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No assembly at this location.")))))),
    history,
  );
  await reload();
}
