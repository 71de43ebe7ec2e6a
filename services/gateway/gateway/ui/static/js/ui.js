// Shared pieces of the pages: alerts, confirmations and form dialogs, the page header.

import { h, replace } from "./dom.js";

export function errorAlert(error) {
  const messages = error && error.detail && Array.isArray(error.detail) ? error.detail : [error?.message || String(error)];
  return h(
    "div",
    { class: "alert error", role: "alert" },
    messages.length === 1 ? messages[0] : h("ul", {}, messages.map((m) => h("li", {}, m))),
  );
}

export function infoAlert(text, kind = "info") {
  return h("div", { class: `alert ${kind}`, role: "status" }, text);
}

/** Show ``node`` in ``slot`` (an element reserved for messages), replacing what was there. */
export function show(slot, node) {
  replace(slot, node || "");
}

export function pageHeader(title, subtitle, actions = []) {
  return h(
    "div",
    { class: "page-header" },
    h("div", {}, h("h1", { id: "page-title", tabindex: "-1" }, title), subtitle ? h("p", { class: "subtitle" }, subtitle) : null),
    h("div", { class: "actions" }, actions),
  );
}

/**
 * A modal dialog with a form. ``build(form)`` returns the fields; ``submit(formData)`` runs on
 * submit and may throw: its message shows in the dialog, which stays open.
 */
export function formDialog({ title, fields, submitLabel, danger = false, submit }) {
  return new Promise((resolve) => {
    // keyboard users come back to the button that opened the dialog
    const opener = document.activeElement;
    const message = h("div", { "aria-live": "assertive" });
    const submitButton = h("button", { type: "submit", class: danger ? "danger" : "primary" }, submitLabel);
    const cancel = h("button", { type: "button", onclick: () => close(undefined) }, "Cancel");
    const heading = h("h2", { id: `dlg-${Math.random().toString(36).slice(2)}` }, title);
    const form = h("form", { novalidate: true }, heading, message, fields, h("div", { class: "buttons" }, cancel, submitButton));
    const dialog = h("dialog", { "aria-labelledby": heading.id }, form);
    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(value);
    }
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(undefined);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submitButton.disabled = true;
      replace(message);
      try {
        const result = await submit(new FormData(form), form);
        close(result === undefined ? true : result);
      } catch (error) {
        replace(message, errorAlert(error));
        submitButton.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector("input, select, textarea");
    (first || submitButton).focus();
  });
}

/** Ask before doing something that cannot be undone. Resolves to true when confirmed. */
export async function confirmAction({ title, text, confirmLabel, danger = true, run }) {
  return formDialog({
    title,
    fields: h("p", {}, text),
    submitLabel: confirmLabel,
    danger,
    submit: async () => (run ? run() : true),
  });
}

export function field(labelText, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, labelText), input, hint ? h("div", { class: "hint" }, hint) : null);
}
