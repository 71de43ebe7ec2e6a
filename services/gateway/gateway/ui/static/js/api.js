// Calls to /api/...: JSON in and out, the CSRF header on state changes, readable errors.

let csrfToken = "";

export function setCsrfToken(token) {
  csrfToken = token || "";
}

export class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

const FIELD_NAMES = {
  q: "Search",
  due_from: "Due from",
  due_to: "Due to",
  postal_code_prefix: "Postal code prefix",
  service_area_id: "Service area",
  template_id: "Template",
  due_date: "Due date",
  name: "Name",
  mailed_on: "Mailed on",
  email: "Email",
  password: "Password",
  contact_id: "Contact",
  method: "Method",
  additional_contents: "Additional text",
  communication_ids: "Communications",
  communication_type_id: "Communication type",
  offset_days: "Offset from the due date (days)",
  suppression_days: "Suppression window (days)",
  trigger: "Trigger",
  source: "Source",
  on: "Run as of",
};

function fieldName(loc) {
  const parts = (loc || []).filter((p) => !["body", "query", "path"].includes(p));
  const last = parts.map(String).join(".");
  return FIELD_NAMES[parts[parts.length - 1]] || last;
}

/** Turn any error answer into sentences a person can read (never a stack trace). */
export function describeError(status, body) {
  const detail = body && body.detail !== undefined ? body.detail : body;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const where = fieldName(d.loc);
      const extra = d.line ? ` (line ${d.line})` : "";
      return where ? `${where}${extra}: ${d.msg}` : d.msg;
    });
  }
  if (typeof detail === "string" && detail) return [detail];
  if (status === 502 || status === 503 || status === 504) return ["A service is not available right now. Please try again in a moment."];
  if (status === 401) return ["Your session has ended. Please sign in again."];
  if (status === 403) return ["You do not have permission to do this."];
  if (status === 404) return ["Not found (it may belong to another organization or have been removed)."];
  return [`The request failed (HTTP ${status}).`];
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text.length < 300 ? text : null;
    }
  }
  if (!response.ok) {
    const messages = describeError(response.status, data);
    if (response.status === 401 && !path.startsWith("/api/auth/")) {
      window.dispatchEvent(new CustomEvent("signed-out"));
    }
    throw new ApiError(response.status, messages.join(" "), messages);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
