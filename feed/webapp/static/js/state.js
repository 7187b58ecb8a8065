// What the page knows: server config, categories, the signed-in user, where we look, and a tiny event bus.

export const MONAS = { lat: -6.1754, lon: 106.8272 };
export const STAFF_ROLES = new Set(["moderator", "admin"]);
export const OFFICIAL_ROLES = new Set(["official", "admin"]);
export const STATUSES = ["open", "acknowledged", "in_progress", "resolved", "rejected", "forwarded", "reopened"];
// The status workflow (feed/officials/status.py NEXT): which statuses an official may set from each one.
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

// --- What a live event says about a post (docs/webapp.md, "Live events") ------------------------------
// Each socket receives what its user may see now: a withdrawn post or comment comes as ids only
// ({id, removed: true}), a merge tells non-staff ids only ({id, merged_into}). Only a full post is ever
// rendered as one; the rest patch what the page already knows, or nothing.

/** A post or comment the viewer may no longer see: remove it wherever it shows. */
export function isRemoved(item) {
  return Boolean(item && item.removed === true);
}

/** A post JSON complete enough to draw a card, a marker or a report window from. */
export function isFullPost(post) {
  return Boolean(
    post && !post.removed && typeof post.text === "string" && Number.isFinite(post.lat) && Number.isFinite(post.lon),
  );
}

/**
 * What an event lets the page change on a post it already shows: the full post, the merge marks of an
 * ids-only `post.merged` about the duplicate (`{id, status: "merged", merged_into}`), or null (nothing to
 * patch: a tombstone, the original of an ids-only merge, a comment tombstone's bare `{id}`).
 */
export function livePatch(msg) {
  const post = msg && msg.post;
  if (!post || isRemoved(post)) return null;
  if (isFullPost(post)) return post;
  if (msg.event === "post.merged" && post.merged_into != null) {
    return { id: post.id, status: "merged", merged_into: post.merged_into };
  }
  return null;
}
