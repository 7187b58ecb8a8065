// Moderators: the flag queue (live through the `moderation` subscription), hide/unhide on every card, and
// the append-only audit log. GET /api/moderation/queue comes with the trust issue (#6): a 404 says so.

import { api } from "./api.js";
import { postCard, updateCard } from "./cards.js";
import { $, clear, debounce, h, toast } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { isStaff, on, state } from "./state.js";
import { unavailable } from "./officials.js";

let openDetail = () => {};
let logNext = null;

export function initModerators({ onOpen }) {
  openDetail = onOpen;
  $("#log-more").addEventListener("click", () => loadLog(true));
  on("post-patch", (patch) => patchQueue(patch));
  on("post-replace", (post) => patchQueue(post));
  on("live-event", (msg) => msg.post && patchQueue(msg.post));
}

function patchQueue(patch) {
  for (const li of $("#queue-list").children) {
    if (li.post && li.post.id === patch.id) updateCard(li, { ...li.post, ...patch, voted_by_me: li.post.voted_by_me });
  }
}

function queuePost(item) {
  // Queue items may be posts or {post, flags…} wrappers: the card wants a post.
  return item.post ? { ...item.post, flags: item.flags, flag_count: item.flag_count } : { ...item };
}

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
    const items = (res.items || []).map(queuePost).filter((p) => p.id !== undefined && p.text !== undefined);
    clear(box).append(...items.map((p) => postCard(p, { prefix: "q", onOpen: openDetail, extra: flagsChip })));
    if (!items.length) msg.textContent = t("mod.empty");
  } catch (err) {
    msg.textContent = "";
    unavailable(box, err);
  }
}

function flagsChip(post) {
  const n = post.flag_count ?? (Array.isArray(post.flags) ? post.flags.length : post.flags);
  return n ? h("span", { class: "chip" }, t("mod.flags", { n })) : null;
}

const reloadViews = debounce(() => {
  if (!$("#view-queue").hidden) loadQueue();
  if (!$("#view-log").hidden) loadLog(false);
}, 300);

/** Moderators follow the moderation channel live; a server that refuses it answers an error, ignored. */
export function subscribeModeration() {
  const live = state.live;
  if (!live || !live.available || !isStaff()) return;
  live.subscribe("moderation", { moderation: true }, { onEvent: reloadViews, onSubscribed: () => {}, onError: () => {} });
}

export function dropModeration() {
  if (state.live) state.live.unsubscribe("moderation");
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
