// Screens for officials (inbox, status changes, league) and moderators (flag queue, audit log).
// Their endpoints arrive with issues 5 and 6: until then a 404 shows "not available yet", nothing breaks.

import { api } from "./api.js";
import { postCard, setHidden, updateCard } from "./cards.js";
import { $, clear, debounce, h, toast } from "./dom.js";
import { formatDate, statusName, t } from "./i18n.js";
import { emit, isOfficial, isStaff, on, state } from "./state.js";

const NEXT_STATUSES = ["acknowledged", "in_progress", "resolved", "rejected", "forwarded"];
let openDetail = () => {};
let statusPost = null;
let logNext = null;
const areaSubs = new Set();

export function initStaff({ onOpen }) {
  openDetail = onOpen;
  $("#inbox-status").addEventListener("change", loadInbox);
  $("#inbox-overdue").addEventListener("change", loadInbox);
  $("#league-level").addEventListener("change", loadLeague);
  $("#league-period").addEventListener("change", loadLeague);
  $("#log-more").addEventListener("click", () => loadLog(true));
  $("#status-form").addEventListener("submit", submitStatus);
  $("#status-cancel").addEventListener("click", () => $("#dlg-status").close());
  on("post-patch", (patch) => patchLists(patch));
  on("post-replace", (post) => patchLists(post));
  on("live-event", (msg) => msg.post && patchLists(msg.post));
  fillStaffSelects();
}

export function fillStaffSelects() {
  const keep = $("#inbox-status").value;
  clear($("#inbox-status")).append(
    h("option", { value: "" }, t("filter.all")),
    ...["open", ...NEXT_STATUSES].map((s) => h("option", { value: s }, statusName(s))),
  );
  $("#inbox-status").value = keep;
  const next = $("#status-value");
  const current = next.value;
  clear(next).append(...NEXT_STATUSES.map((s) => h("option", { value: s }, statusName(s))));
  if (current) next.value = current;
}

function unavailable(box, err) {
  clear(box).append(
    h("p", { class: "notice", role: "status" }, err.missing ? t("common.unavailable") : t("common.error", { message: err.message })),
  );
}

function normalize(item) {
  // Inbox and queue items may be posts, or {post, …extra} wrappers: the card wants a post.
  const post = item.post ? { ...item.post, ...item, post: undefined } : { ...item };
  const due = item.due_at || (item.sla && item.sla.due_at);
  post.overdue = Boolean(item.overdue || (due && Date.parse(due) < Date.now()));
  return post;
}

function patchLists(patch) {
  for (const list of [$("#inbox-list"), $("#queue-list")]) {
    for (const li of list.children) {
      if (li.post && li.post.id === patch.id) updateCard(li, { ...li.post, ...patch });
    }
  }
}

// --- Officials ------------------------------------------------------------------------------------
export async function loadInbox() {
  const box = $("#inbox-list");
  const msg = $("#inbox-msg");
  if (!isOfficial()) {
    clear(box);
    msg.textContent = t("official.staff_only");
    return;
  }
  msg.textContent = t("common.loading");
  try {
    const res = await api("GET", "/api/officials/inbox", {
      query: { status: $("#inbox-status").value, overdue: $("#inbox-overdue").checked ? "true" : "" },
    });
    msg.textContent = "";
    const items = (res.items || []).map(normalize);
    clear(box).append(
      ...items.map((p) => postCard(p, { prefix: "i", onOpen: openDetail, overdue: p.overdue, extra: statusButton })),
    );
    if (!items.length) msg.textContent = t("official.empty");
    // Live: the areas the inbox says it covers (or the user's), else at least those of the reports in it.
    const fromItems = [...new Set(items.map((p) => p.area_id).filter((a) => a !== null && a !== undefined))];
    subscribeAreas(res.areas || (state.user && state.user.areas) || fromItems);
  } catch (err) {
    msg.textContent = "";
    unavailable(box, err);
  }
}

const reloadInbox = debounce(() => {
  if (!$("#view-inbox").hidden) loadInbox();
}, 300);

const MAX_AREA_SUBS = 15; // the gateway allows 20 subscriptions per socket; leave room for near + moderation

function subscribeAreas(areas) {
  const live = state.live;
  if (!live || !live.available) return;
  for (const a of areas) {
    const id = typeof a === "object" ? a.id : a;
    if (id === undefined || areaSubs.has(id)) continue;
    if (areaSubs.size >= MAX_AREA_SUBS) break;
    areaSubs.add(id);
    live.subscribe(`area:${id}`, { area: id }, { onEvent: reloadInbox, onSubscribed: () => {} });
  }
}

export function dropStaffSubscriptions() {
  for (const id of areaSubs) state.live && state.live.unsubscribe(`area:${id}`);
  areaSubs.clear();
  if (state.live) state.live.unsubscribe("moderation");
}

function statusButton(post) {
  if (!isOfficial()) return null;
  return h("button", { type: "button", class: "primary-outline", onclick: () => openStatus(post) }, t("official.change_status"));
}

function openStatus(post) {
  statusPost = post;
  $("#status-error").textContent = "";
  $("#status-post").textContent = post.text.slice(0, 120);
  $("#dlg-status").showModal();
  $("#status-value").focus();
}

async function submitStatus(e) {
  e.preventDefault();
  const form = e.target;
  const status = form.status.value;
  const note = form.note.value.trim();
  const photo = form.photo.files[0];
  let options;
  if (photo) {
    const data = new FormData();
    data.set("status", status);
    if (note) data.set("note", note);
    data.append("photo", photo, photo.name);
    options = { form: data };
  } else {
    options = { json: note ? { status, note } : { status } };
  }
  const button = $("#status-submit");
  button.disabled = true;
  try {
    const res = await api("POST", `/api/posts/${statusPost.id}/status`, options);
    const post = res && res.post ? res.post : res;
    if (post && post.id) emit("post-replace", post);
    form.reset();
    $("#dlg-status").close();
    loadInbox();
  } catch (err) {
    const fields = Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`);
    $("#status-error").textContent = err.missing ? t("common.unavailable") : [err.message, ...fields].join(" — ");
  } finally {
    button.disabled = false;
  }
}

const LEAGUE_LABELS = {
  rank: "official.rank",
  name: "official.area",
  area: "official.area",
};

export async function loadLeague() {
  const box = $("#league-table");
  const msg = $("#league-msg");
  msg.textContent = t("common.loading");
  try {
    const res = await api("GET", "/api/league", {
      query: { level: $("#league-level").value, period: $("#league-period").value },
    });
    msg.textContent = "";
    const rows = Array.isArray(res) ? res : res.items || res.rows || [];
    if (!rows.length) {
      clear(box);
      msg.textContent = t("league.empty");
      return;
    }
    renderTable(box, rows, LEAGUE_LABELS);
  } catch (err) {
    msg.textContent = "";
    unavailable(box, err);
  }
}

function cell(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return value.name || value.handle || JSON.stringify(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** A table of whatever columns the league rows carry (the league API is not fixed yet). */
function renderTable(box, rows, labels) {
  const cols = Object.keys(rows[0]).filter((k) => !k.endsWith("_id") && k !== "id");
  const heading = (k) => (labels[k] ? t(labels[k]) : k.replace(/_/g, " "));
  clear(box).append(
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...cols.map((k) => h("th", { scope: "col" }, heading(k))))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...cols.map((k) => h("td", {}, cell(r[k])))))),
    ),
  );
}

// --- Moderators -----------------------------------------------------------------------------------
export async function loadQueue() {
  const box = $("#queue-list");
  const msg = $("#queue-msg");
  if (!isStaff()) {
    clear(box);
    msg.textContent = t("mod.staff_only");
    return;
  }
  msg.textContent = t("common.loading");
  try {
    const res = await api("GET", "/api/moderation/queue");
    msg.textContent = "";
    const items = (res.items || []).map(normalize).filter((p) => p.id !== undefined && p.text !== undefined);
    clear(box).append(
      ...items.map((p) =>
        postCard(p, {
          prefix: "q",
          onOpen: openDetail,
          extra: (post) => (post.flags || post.flag_count ? h("span", { class: "chip" }, t("mod.flags", { n: post.flag_count ?? post.flags.length ?? post.flags })) : null),
        }),
      ),
    );
    if (!items.length) msg.textContent = t("mod.empty");
  } catch (err) {
    msg.textContent = "";
    unavailable(box, err);
  }
}

const reloadQueue = debounce(() => {
  if (!$("#view-queue").hidden) loadQueue();
  if (!$("#view-log").hidden) loadLog(false);
}, 300);

/** Moderators follow the moderation channel live (issue 6); a server without it answers an error, ignored. */
export function subscribeModeration() {
  const live = state.live;
  if (!live || !live.available || !isStaff()) return;
  live.subscribe("moderation", { moderation: true }, { onEvent: reloadQueue, onSubscribed: () => {}, onError: () => {} });
}

export async function loadLog(more) {
  const body = $("#log-body");
  const msg = $("#log-msg");
  if (!isStaff()) {
    clear(body);
    msg.textContent = t("mod.staff_only");
    $("#log-more").hidden = true;
    return;
  }
  if (!more) logNext = null;
  try {
    const res = await api("GET", "/api/moderation/log", { query: { limit: 50, before: more ? logNext : null } });
    msg.textContent = "";
    if (!more) clear(body);
    for (const row of res.items) {
      body.append(
        h(
          "tr",
          {},
          h("td", {}, formatDate(row.created_at)),
          h("td", {}, row.actor ? row.actor.handle : "—"),
          h("td", {}, row.action),
          h("td", {}, `${row.target_type} #${row.target_id}`),
          h("td", {}, row.reason || ""),
          h(
            "td",
            {},
            row.target_type === "post"
              ? h("button", { type: "button", class: "linklike", onclick: () => openDetail(row.target_id) }, t("post.open"))
              : "",
          ),
        ),
      );
    }
    if (!body.children.length) msg.textContent = t("mod.log_empty");
    logNext = res.next;
    $("#log-more").hidden = !logNext;
  } catch (err) {
    clear(body);
    msg.textContent = err.missing ? t("common.unavailable") : t("common.error", { message: err.message });
    toast(msg.textContent, "error");
  }
}

export { setHidden };
