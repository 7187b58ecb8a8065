// What the page knows: server config, categories, the signed-in user, where we look, and a tiny event bus.

export const MONAS = { lat: -6.1754, lon: 106.8272 };
export const STAFF_ROLES = new Set(["moderator", "admin"]);
export const OFFICIAL_ROLES = new Set(["official", "admin"]);
export const STATUSES = ["open", "acknowledged", "in_progress", "resolved", "rejected", "forwarded", "reopened"];
// The status workflow (feed/status.py NEXT): which statuses an official may set from each one.
export const NEXT_STATUS = {
  open: ["acknowledged", "in_progress", "resolved", "rejected", "forwarded"],
  reopened: ["acknowledged", "in_progress", "resolved", "rejected", "forwarded"],
  forwarded: ["acknowledged", "in_progress", "resolved", "rejected", "forwarded"],
  acknowledged: ["in_progress", "resolved", "rejected", "forwarded"],
  in_progress: ["resolved", "rejected", "forwarded"],
  resolved: [],
  rejected: [],
};

export const state = {
  config: null,
  categories: [],
  categoryByCode: new Map(),
  user: null,
  center: { ...MONAS, source: "default" },
  radius: 2000,
  filters: { category: "", status: "" },
  live: null,
};

export function isStaff() {
  return Boolean(state.user && STAFF_ROLES.has(state.user.role));
}

export function isOfficial() {
  return Boolean(state.user && OFFICIAL_ROLES.has(state.user.role));
}

const bus = new EventTarget();

export function emit(name, detail) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, fn) {
  bus.addEventListener(name, (e) => fn(e.detail));
}
