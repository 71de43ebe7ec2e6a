// The admin UI: who is signed in, the left navigation, and which page to draw for the URL.

import { get, post, setCsrfToken } from "./api.js";
import { h, replace } from "./dom.js";
import { renderLogin } from "./pages/login.js";
import { renderAssemblies } from "./pages/assemblies.js";
import { renderBatches } from "./pages/batches.js";
import { renderBatch } from "./pages/batch.js";
import { renderTemplates, renderTemplate } from "./pages/templates.js";
import { renderAssembly, renderLocation } from "./pages/assembly.js";
import { renderCommunicationTypes } from "./pages/communication_types.js";
import { renderUnsent } from "./pages/unsent.js";
import { renderErrors } from "./pages/errors.js";

const app = document.getElementById("app");
let me = null;
let cleanup = null;

const ROUTES = [
  [/^\/assemblies$/, renderAssemblies, "assemblies"],
  [/^\/assemblies\/([^/]+)$/, renderAssembly, "assemblies"],
  [/^\/locations\/([^/]+)$/, renderLocation, "assemblies"],
  [/^\/batches$/, renderBatches, "batches"],
  [/^\/batches\/([^/]+)$/, renderBatch, "batches"],
  [/^\/communications\/unsent$/, renderUnsent, "unsent"],
  [/^\/communications\/errors$/, renderErrors, "errors"],
  [/^\/communication-types$/, renderCommunicationTypes, "communication-types"],
  [/^\/templates$/, renderTemplates, "templates"],
  [/^\/templates\/([^/]+)$/, renderTemplate, "templates"],
];

export function navigate(url, { replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route();
}

function navLink(href, text, section, current) {
  return h("li", {}, h("a", { href, "aria-current": section === current ? "page" : null }, text));
}

function shell(section) {
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h(
    "nav",
    { class: "nav", "aria-label": "Main" },
    h("div", { class: "brand" }, me.organization.name || "Backflow program", h("small", {}, "Cross-connection control")),
    h("ul", {}, navLink("/assemblies", "Assemblies", "assemblies", section)),
    h("div", { class: "section", id: "nav-communications" }, "Communications"),
    h(
      "ul",
      { class: "sub", "aria-labelledby": "nav-communications" },
      navLink("/batches", "Batch Communications", "batches", section),
      navLink("/communications/unsent", "Unsent Communications", "unsent", section),
      navLink("/communications/errors", "Communications with Errors", "errors", section),
      navLink("/communication-types", "Communication Types", "communication-types", section),
      navLink("/templates", "Templates", "templates", section),
    ),
    h(
      "div",
      { class: "user" },
      h("div", { class: "who" }, me.user.name || me.user.email),
      h("span", { class: "role", "data-role": me.user.role }, me.user.role === "org_admin" ? "Org Admin" : "Viewer"),
      h("button", { type: "button", onclick: signOut }, "Sign out"),
    ),
  );
  replace(app, nav, main);
  return main;
}

async function signOut() {
  try {
    await post("/api/auth/logout");
  } finally {
    me = null;
    setCsrfToken("");
    navigate("/login");
  }
}

async function loadMe() {
  try {
    me = await get("/api/me");
    setCsrfToken(me.csrf_token);
  } catch {
    me = null;
  }
}

async function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const path = location.pathname.replace(/\/+$/, "") || "/";
  if (path === "/login") {
    if (me) return navigate("/assemblies", { replaceState: true });
    return renderLogin(app, async (answer) => {
      me = answer;
      setCsrfToken(answer.csrf_token);
      const next = new URLSearchParams(location.search).get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/assemblies", { replaceState: true });
    });
  }
  if (!me) {
    return navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replaceState: true });
  }
  if (path === "/") return navigate("/assemblies", { replaceState: true });
  for (const [pattern, render, section] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      const main = shell(section);
      const ctx = { me, canAct: me.user.role === "org_admin", navigate, params: match.slice(1) };
      cleanup = (await render(main, ctx)) || null;
      const title = main.querySelector("#page-title");
      if (title && document.activeElement === document.body) title.focus({ preventScroll: true });
      document.title = `${title ? title.textContent : "Backflow program"} · Batch communications`;
      return;
    }
  }
  const main = shell("");
  replace(main, h("h1", { id: "page-title" }, "Page not found"), h("p", {}, h("a", { href: "/assemblies" }, "Go to Assemblies")));
}

// same-origin links are handled here, without reloading the page
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || a.hasAttribute("download") || a.target) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener("popstate", route);
window.addEventListener("signed-out", () => {
  if (me) {
    me = null;
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replaceState: true });
  }
});

await loadMe();
route();
