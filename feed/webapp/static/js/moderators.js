// Moderators: the flag queue (live through the `moderation` subscription), hide/unhide on every card, and
// the append-only audit log. GET /api/moderation/queue comes with the trust issue (#6): a 404 says so.

import { api } from "./api.js";
import { askReason, liveUpdateCards, patchCards, postCard } from "./cards.js";
import { $, clear, debounce, h, toast } from "./dom.js";
import { errorToast, formatDate, t } from "./i18n.js";
import { isStaff, on, state } from "./state.js";
import { unavailable } from "./officials.js";
import { suspendButton } from "./trust.js";

let openDetail = () => {};
let logNext = null;
let queueNext = null;
let queueSeq = 0; // the latest queue request: an older answer arriving late must not overwrite a newer one
let logSeq = 0;

export function initModerators({ onOpen }) {
  openDetail = onOpen;
  $("#log-more").addEventListener("click", () => loadLog(true));
  $("#queue-more").addEventListener("click", () => loadQueue(true));
  $("#queue-order").addEventListener("change", () => loadQueue());
  on("post-patch", (patch) => patchCards($("#queue-list"), patch));
  on("post-replace", (post) => patchCards($("#queue-list"), post));
  on("live-event", (msg) => liveUpdateCards($("#queue-list"), msg));
}

/** A queue item {kind, id, post, comment?, flags, weight, reasons, held, held_reason, …}: a card of its post. */
function queuePost(item) {
  return item.post ? { ...item.post, queue: item } : { ...item };
}

export async function loadQueue(more = false) {
  const box = $("#queue-list");
  const msg = $("#queue-msg");
  if (!isStaff()) {
    clear(box);
    msg.textContent = t("mod.staff_only");
    return;
  }
  if (!more) queueNext = null;
  const mine = ++queueSeq;
  msg.textContent = more ? "" : t("common.loading");
  try {
    const res = await api("GET", "/api/moderation/queue", {
      query: { order: $("#queue-order").value, cursor: more ? queueNext : null },
    });
    if (mine !== queueSeq) return;
    msg.textContent = "";
    const items = (res.items || []).map(queuePost).filter((p) => p.id !== undefined && p.text !== undefined);
    if (!more) clear(box);
    box.append(...items.map((p) => postCard(p, { prefix: "q" + (p.queue ? p.queue.kind + p.queue.id : ""), onOpen: openDetail, extra: queueExtra })));
    if (!box.children.length) msg.textContent = t("mod.empty");
    queueNext = res.next || null;
    $("#queue-more").hidden = !queueNext;
  } catch (err) {
    if (mine !== queueSeq) return;
    msg.textContent = "";
    $("#queue-more").hidden = true;
    unavailable(box, err);
  }
}

function queueExtra(post) {
  const q = post.queue;
  if (!q) return null;
  const reasons = (q.reasons || []).map((r) => t("flag.r." + r)).join(", ");
  return [
    q.flags ? h("span", { class: "chip" }, t("mod.flags", { n: q.flags }), " · ", t("mod.weight", { w: q.weight })) : null,
    reasons ? h("span", { class: "muted small" }, reasons) : null,
    q.held ? h("span", { class: "chip held-badge" }, t("mod.held", { reason: q.held_reason || "" })) : null,
    q.kind === "comment" && q.comment
      ? h("p", { class: "queued-comment" }, t("mod.comment_by", { handle: q.comment.author.handle }), " ", q.comment.text)
      : null,
    actionButton(post, "hide", t("post.hide"), "mod-btn"),
    actionButton(post, "restore", t("mod.restore"), ""),
    q.flags ? actionButton(post, "dismiss", t("mod.dismiss"), "") : null,
    suspendButton(q.kind === "comment" && q.comment ? q.comment.author : post.author),
  ];
}

function actionButton(post, action, label, cls) {
  return h("button", { type: "button", class: `queue-${action} ${cls}`, onclick: () => resolveItem(post, action, label) }, label);
}

async function resolveItem(post, action, label) {
  const q = post.queue;
  const reason = await askReason(q.kind === "comment" && q.comment ? q.comment : post, label, action === "hide" ? "spam" : "");
  if (!reason) return;
  try {
    await api("POST", `/api/moderation/queue/${q.kind}/${q.id}`, { json: { action, reason } });
    loadQueue();
  } catch (err) {
    toast(errorToast(err), "error");
  }
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
  const mine = ++logSeq;
  try {
    const res = await api("GET", "/api/moderation/log", { query: { limit: 50, before: more ? logNext : null } });
    if (mine !== logSeq) return;
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
    if (mine !== logSeq) return;
    clear(body);
    msg.textContent = err.missing ? t("common.unavailable") : errorToast(err);
    toast(msg.textContent, "error");
  }
}
