// The citizen's nearby feed: one store of posts by id, kept in step by HTTP pages and live events.
// Order of start-up matters: subscribe first, fetch second, and replay on top of the fetch the events that
// arrived while it was in flight — so nothing that happens in between is lost.

import { api } from "./api.js";
import { postCard, updateCard } from "./cards.js";
import { $, announce, clear, distanceM, h, toast } from "./dom.js";
import { categoryName, errorToast, statusName, t } from "./i18n.js";
import * as mapView from "./map.js";
import { emit, isFullPost, isRemoved, isStaff, on, state, STATUSES } from "./state.js";

const PAGE = 50;
const SUB_ID = "near";

const posts = new Map(); // id → post (the feed item shape: post JSON + distance_m + voted_by_me)
const cards = new Map(); // id → <li>
let next = null;
let loading = null; // the in-flight fetch, if any
let buffered = []; // events that arrived while `loading`
let openDetail = () => {};
let loadedKey = ""; // centre and filters of the list on screen

export function initFeed({ onOpen }) {
  openDetail = onOpen;
  buildFilters();
  $("#more").addEventListener("click", loadMore);
  on("post-patch", (patch) => patchPost(patch));
  on("post-replace", (post) => upsert(post, { fromServer: true }));
  on("post-created", (post) => upsert({ ...post, voted_by_me: false }, { announceNew: false }));
}

function buildFilters() {
  const cat = $("#filter-category");
  const st = $("#filter-status");
  cat.form.addEventListener("submit", (e) => e.preventDefault());
  cat.addEventListener("change", () => {
    state.filters.category = cat.value;
    reload();
  });
  st.addEventListener("change", () => {
    state.filters.status = st.value;
    reload();
  });
  fillFilters();
}

export function fillFilters() {
  const cat = $("#filter-category");
  const st = $("#filter-status");
  clear(cat).append(
    h("option", { value: "" }, t("filter.all")),
    ...state.categories.map((c) => h("option", { value: c.code }, categoryName(c))),
  );
  cat.value = state.filters.category;
  clear(st).append(
    h("option", { value: "" }, t("filter.all")),
    ...STATUSES.map((s) => h("option", { value: s }, statusName(s))),
  );
  st.value = state.filters.status;
}

/**
 * Subscribe (or move the subscription) for the current centre. Every `subscribed` without `since` (first
 * time, moved, after a resync) is followed by a fetch: a page fetched after the subscription started misses
 * nothing. `early` is a page fetch already in flight (started at boot, before the socket was even open):
 * it paints the list at once, and the fetch after `subscribed` then closes any gap between the two.
 */
export function subscribeNear({ early = null } = {}) {
  const live = state.live;
  const spec = { near: { lat: state.center.lat, lon: state.center.lon, radius_m: state.radius } };
  if (early) reload(early);
  if (!live || !live.available) {
    if (!early) reload();
    return;
  }
  live.subscribe(SUB_ID, spec, {
    onSubscribed: (seq, fresh) => {
      if (fresh) reload();
    },
    onEvent: (msg) => onLiveEvent(msg),
  });
}

/** The first page for where we look; start it early with prefetch() and hand it to subscribeNear(). */
export function prefetch() {
  const controller = new AbortController();
  const promise = api("GET", "/api/feed", { query: feedQuery(), signal: controller.signal });
  promise.catch(() => {}); // reported by reload(), which awaits it
  return { controller, promise, center: { ...state.center, radius: state.radius } };
}

function feedQuery(before) {
  return {
    lat: state.center.lat.toFixed(6),
    lon: state.center.lon.toFixed(6),
    radius_m: state.radius,
    category: state.filters.category,
    status: state.filters.status,
    limit: PAGE,
    before,
  };
}

/**
 * Fetch the first page afresh and bring the list to it (cards are updated in place, not rebuilt); events
 * that arrive meanwhile are replayed on top. A newer reload supersedes an older one.
 */
export async function reload(started = null) {
  const request = started || prefetch();
  if (loading) loading.abort();
  const mine = { abort: () => request.controller.abort() };
  loading = mine;
  buffered = [];
  setBusy(true);
  let page;
  try {
    page = await request.promise;
  } catch (err) {
    if (loading !== mine) return;
    loading = null;
    setBusy(false);
    if (err.name !== "AbortError") showError(err);
    return;
  }
  if (loading !== mine) return;
  loading = null;
  const pending = buffered;
  buffered = [];
  const fresh = new Set(page.items.map((item) => item.id));
  const key = JSON.stringify([request.center, state.filters]);
  const same = key === loadedKey;
  loadedKey = key;
  // Same place and filters: posts below the first page stay if "load more" brought them. Otherwise the
  // page decides what is on screen.
  const floor = same && page.next ? Math.min(...fresh) : -Infinity;
  const deeper = same && [...posts.keys()].some((id) => id < floor);
  for (const [id, post] of [...posts]) {
    if ((!fresh.has(id) && id >= floor) || !matches(post)) remove(id, { quiet: true });
  }
  for (const item of page.items) upsert(item, { fromServer: true });
  if (!deeper) next = page.next;
  for (const msg of pending) applyEvent(msg);
  state.loaded = { ...request.center }; // where the list on screen was fetched (tests and the bench wait for it)
  setBusy(false);
  renderMeta();
}

async function loadMore() {
  if (!next) return;
  try {
    const page = await api("GET", "/api/feed", { query: feedQuery(next) });
    for (const item of page.items) upsert(item, { fromServer: true });
    next = page.next;
    renderMeta();
  } catch (err) {
    showError(err);
  }
}

function onLiveEvent(msg) {
  if (loading) buffered.push(msg);
  else applyEvent(msg);
  emit("live-event", msg); // the open report dialog follows its post's comments and status
}

/**
 * One live event onto the list and the map. A socket receives what its user may see (docs/webapp.md): a
 * withdrawn post arrives as `{id, removed: true}`, a merge as ids only for non-staff, a hidden comment as a
 * tombstone beside a bare `{id}` post. Only full posts make or refresh a card; the rest patch or remove.
 */
export function applyEvent(msg) {
  const post = msg.post;
  if (!post || post.id === undefined) return;
  if (isRemoved(post) || (msg.event === "post.hidden" && !isStaff()) || msg.event === "post.deleted") {
    if (posts.has(post.id)) {
      remove(post.id);
      if (msg.event === "post.hidden") announce(t("feed.hidden_post"));
    }
    return;
  }
  if (msg.event === "post.merged" && !isFullPost(post)) {
    mergedIdsOnly(msg);
    return;
  }
  if (!isFullPost(post)) {
    // An event about the post whose post part is only its id (a comment tombstone): ids are all it says,
    // so a post on screen is asked for afresh (its comment count went down).
    if (posts.has(post.id)) refetch(post.id);
    return;
  }
  switch (msg.event) {
    case "post.created":
    case "post.unhidden":
      upsert(post, { announceNew: msg.event === "post.created" });
      break;
    default: // post.updated (votes, status, comment count), post.hidden (staff), post.merged (staff), comment.*
      upsert(post);
  }
}

/** An ids-only `post.merged`: mark the duplicate merged, and ask for the original's new vote count. */
function mergedIdsOnly(msg) {
  const { id } = msg.post;
  const known = posts.get(id);
  if (!known) return;
  const into = msg.post.merged_into ?? (msg.merged && msg.merged.from === id ? msg.merged.into : null);
  if (into != null) {
    upsert({ ...known, status: "merged", merged_into: into });
    return;
  }
  refetch(id);
}

/** GET one post afresh (its votes after a merge): it replaces the known one everywhere, or leaves. */
async function refetch(id) {
  try {
    const fresh = await api("GET", `/api/posts/${id}`);
    if (posts.has(id) && isFullPost(fresh)) emit("post-replace", fresh);
  } catch (err) {
    if (err.status === 404 && posts.has(id)) remove(id);
  }
}

function matches(post) {
  if (post.hidden && !isStaff()) return false;
  if (state.filters.category && post.category !== state.filters.category) return false;
  if (state.filters.status && post.status !== state.filters.status) return false;
  const d = distanceM(state.center.lat, state.center.lon, post.lat, post.lon);
  return d <= state.radius + 1;
}

/** Insert or refresh a post; a post that no longer matches the filters leaves the list. */
function upsert(incoming, { announceNew = false, fromServer = false } = {}) {
  const known = posts.get(incoming.id);
  if (!isFullPost(incoming)) {
    // Never a card from part of a post: a partial one only patches a post already known.
    if (!known || isRemoved(incoming)) return;
    incoming = { ...known, ...incoming };
  }
  const post = {
    ...incoming,
    // Live payloads are the same for everyone: the caller's own vote and the distance are kept locally.
    voted_by_me: incoming.voted_by_me ?? (known ? known.voted_by_me : false),
    distance_m:
      incoming.distance_m ?? distanceM(state.center.lat, state.center.lon, incoming.lat, incoming.lon),
  };
  if (!matches(post)) {
    if (known) remove(post.id);
    return;
  }
  posts.set(post.id, post);
  const card = cards.get(post.id);
  if (card) {
    updateCard(card, post);
  } else {
    const el = postCard(post, { onOpen: openDetail });
    insertSorted(el, post.id);
    cards.set(post.id, el);
    if (announceNew && !fromServer) {
      el.classList.add("fresh");
      announce(t("feed.new_post", { text: post.text.slice(0, 100) }));
    }
  }
  mapView.upsertMarker(post);
  renderMeta();
}

function patchPost(patch) {
  const known = posts.get(patch.id);
  if (known) upsert({ ...known, ...patch });
}

function insertSorted(el, id) {
  // Newest first: ids only grow, so the id orders posts by creation.
  const list = $("#list");
  for (const li of list.children) {
    if (Number(li.dataset.id) < id) {
      list.insertBefore(el, li);
      return;
    }
  }
  list.append(el);
}

function remove(id, { quiet = false } = {}) {
  posts.delete(id);
  const card = cards.get(id);
  if (card) {
    card.remove();
    cards.delete(id);
  }
  mapView.removeMarker(id);
  if (!quiet) renderMeta();
}

export function getPost(id) {
  return posts.get(id);
}

export function refreshCards() {
  for (const [id, card] of cards) updateCard(card, posts.get(id));
  fillFilters();
  renderMeta();
}

function setBusy(busy) {
  $("#list").setAttribute("aria-busy", busy ? "true" : "false");
  $("#feed-status").textContent = busy && posts.size === 0 ? t("common.loading") : "";
}

function showError(err) {
  $("#feed-status").textContent = errorToast(err);
  toast($("#feed-status").textContent, "error");
}

export function renderMeta() {
  const place = { me: "feed.place_me", map: "feed.place_map" }[state.center.source] || "feed.place_default";
  $("#feed-where").textContent = t("feed.near", { km: state.radius / 1000, place: t(place) });
  $("#feed-count").textContent = t("feed.count", { n: posts.size });
  $("#feed-empty").hidden = posts.size > 0 || loading !== null;
  $("#more").hidden = !next;
}
