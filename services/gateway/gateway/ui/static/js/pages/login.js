// Sign in with email and password.

import { post } from "../api.js";
import { h, replace } from "../dom.js";
import { errorAlert, field } from "../ui.js";

export function renderLogin(app, onSignedIn) {
  const message = h("div", { "aria-live": "assertive" });
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        replace(message);
        submit.disabled = true;
        try {
          const answer = await post("/api/auth/login", { email: email.value, password: password.value });
          onSignedIn(answer);
        } catch (error) {
          replace(message, errorAlert(error));
          submit.disabled = false;
          password.select();
        }
      },
    },
    message,
    field("Email", email),
    field("Password", password),
    submit,
  );
  replace(
    app,
    h(
      "main",
      { class: "login", id: "main" },
      h("div", { class: "card" }, h("h1", { id: "page-title" }, "Sign in"), h("p", {}, "Cross-connection control · Batch communications"), form),
    ),
  );
  document.title = "Sign in · Batch communications";
  email.focus();
}
