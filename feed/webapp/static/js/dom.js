// Small DOM helpers. User text only ever goes in as text nodes (never innerHTML, insertAdjacentHTML or a
// string handed to Leaflet, which inserts strings as HTML): no markup injection. This holds for every
// module: user text (reports, comments, handles, reasons, notes, area and agency names, a category's
// questions, the server's error messages) reaches the page through h()/fill() children or textContent.

// Attributes that load or navigate to a URL: only http(s), blob: and same-page URLs get through.
const URL_ATTRS = new Set(["href", "src", "action", "formaction", "poster"]);
const SAFE_SCHEMES = new Set(["http:", "https:", "blob:"]);

/** `value` if it is a URL the page may load or link to (relative, http(s), blob:), else null. */
export function safeUrl(value) {
  try {
    return SAFE_SCHEMES.has(new URL(String(value), document.baseURI).protocol) ? String(value) : null;
  } catch {
    return null;
  }
}

/** h("button", {class: "x", onclick: fn, "aria-label": "…"}, "text", childNode, …) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, raw] of Object.entries(attrs || {})) {
    const value = URL_ATTRS.has(key) && raw !== undefined && raw !== null && raw !== false ? safeUrl(raw) : raw;
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace el's children (null/false children are skipped, strings become text). */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Say something to screen readers (the polite live region in index.html). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick makes screen readers read repeated messages too.
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}

/** A short message in the toast area (also announced), inside the open modal dialog if there is one: the
 * page behind a modal is inert and drawn under it, so a toast there would be neither seen nor read. */
export function toast(text, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const modal = [...document.querySelectorAll("dialog[open]")].filter((d) => d.matches(":modal")).pop();
  const host = modal || document.body;
  if (box.parentElement !== host) host.append(box);
  const item = h("p", { class: "toast toast-" + kind, role: kind === "error" ? "alert" : "status" }, text);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

const EARTH_RADIUS_M = 6_371_008.8;

export function distanceM(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dp = (lat2 - lat1) * rad;
  const dl = (lon2 - lon1) * rad;
  const a = Math.sin(dp / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
