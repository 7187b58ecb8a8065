// HTTP to the warga API: the bearer token, the one error shape, and "this endpoint does not exist yet".
// Requests say the page's language (Accept-Language), so a message the app has no words for comes in it.

import { lang } from "./i18n.js";

const TOKEN_KEY = "warga.token";

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
  /** A 404 from an endpoint the server does not have yet (issues 5 and 6): show "not available yet". */
  get missing() {
    return this.status === 404;
  }
}

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value) {
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the session lasts for this page */
  }
}

/** A fresh Idempotency-Key (issue 6): a retry after a network failure reuses it, so nothing is posted twice. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * api("GET", "/api/feed", {query}) / api("POST", path, {json}) / api("POST", path, {form: FormData}).
 * Resolves with the parsed JSON (null for 204); rejects with ApiError (status 0 = network failure).
 */
export async function api(method, path, { query, json, form, signal, headers: extra } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += "?" + qs;
  }
  const headers = { Accept: "application/json", "Accept-Language": lang(), ...(extra || {}) };
  const tok = token();
  if (tok) headers.Authorization = "Bearer " + tok;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body, signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", String(err && err.message ? err.message : err));
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || "http_" + res.status, e.message || res.statusText, e.fields);
  }
  return data;
}
