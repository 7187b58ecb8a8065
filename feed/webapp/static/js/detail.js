// One report in a dialog: photos, upvote, status timeline, comments (live while it is open).

import { api, newIdempotencyKey } from "./api.js";
import { areaNames } from "./areas.js";
import { photoView, voteButton } from "./cards.js";
import { $, clear, fill, h, toast } from "./dom.js";
import { categoryName, errorText, errorToast, formatDate, statusName, t, timeAgo } from "./i18n.js";
import { emit, isFullPost, isOfficial, isRemoved, isStaff, livePatch, NEXT_STATUS, on, state } from "./state.js";
import { duplicatesBox, suspendButton } from "./trust.js";
import { answersView } from "./attributes.js";

let current = null; // the post shown
let comments = [];
let timeline = null; // null = the timeline endpoint is not there yet
let pendingComment = null; // {text, key} of a comment whose sending failed on the network
let gone = false; // the post on screen was withdrawn for this user while the window was open
let following = null; // whether the signed-in user follows the post on screen (null = not known yet)

export function initDetail() {
  const dlg = $("#dlg-detail");
  dlg.addEventListener("close", () => {
    current = null;
    gone = false;
  });
  $("#comment-form").addEventListener("submit", sendComment);
  $("#comment-text").addEventListener("input", clearCommentError);
  $("#reopen-form").addEventListener("submit", submitReopen);
  $("#reopen-cancel").addEventListener("click", () => $("#dlg-reopen").close());
  on("post-patch", (patch) => {
    if (current && current.id === patch.id) {
      current = { ...current, ...patch };
      renderHead();
    }
  });
  on("post-replace", (post) => {
    if (current && current.id === post.id) {
      current = { ...current, ...post };
      renderHead();
    }
  });
}

export async function openDetail(id) {
  const dlg = $("#dlg-detail");
  clear($("#detail-body")).append(h("p", {}, t("common.loading")));
  clear($("#detail-comments"));
  clear($("#detail-timeline"));
  timeline = null;
  comments = [];
  gone = false;
  $("#comment-form").hidden = false;
  clearCommentError();
  if (!dlg.open) dlg.showModal();
  try {
    current = await api("GET", `/api/posts/${id}`);
  } catch (err) {
    clear($("#detail-body")).append(h("p", { role: "alert" }, errorToast(err)));
    return;
  }
  following = null;
  renderHead();
  loadTimeline(id);
  loadComments(id);
  loadFollowing(id);
}

/**
 * Whether the signed-in user follows report `id` (docs/notifications.md): GET /api/me/follows lists the
 * followed reports newest first (by id), so the pages are read only until an id below `id` shows up.
 */
async function loadFollowing(id) {
  if (!state.user) return;
  const userId = state.user.id;
  let before = null;
  let found = false;
  try {
    for (let pages = 0; pages < 50; pages++) {
      const res = await api("GET", "/api/me/follows", { query: { limit: 200, before } });
      const items = res.items || [];
      if (items.some((x) => x.post_id === id)) found = true;
      if (found || !res.next || !items.length || items[items.length - 1].post_id < id) break;
      before = res.next;
    }
  } catch {
    return; // the button stays away rather than guess
  }
  if (current && current.id === id && state.user && state.user.id === userId) {
    following = found;
    renderHead();
  }
}

function followButton(p) {
  if (!state.user || following === null) return null;
  return h(
    "button",
    {
      type: "button",
      class: "follow-btn" + (following ? " on" : ""),
      "aria-pressed": following ? "true" : "false",
      title: t(following ? "detail.unfollow_hint" : "detail.follow_hint"),
      onclick: (e) => toggleFollow(p.id, e.currentTarget),
    },
    t(following ? "detail.following" : "detail.follow"),
  );
}

async function toggleFollow(id, button) {
  const want = !following;
  button.disabled = true;
  try {
    const res = await api(want ? "PUT" : "DELETE", `/api/posts/${id}/follow`);
    if (current && current.id === id) {
      following = Boolean(res && res.following);
      renderHead();
    }
  } catch (err) {
    button.disabled = false;
    toast(errorToast(err), "error");
  }
}

/**
 * A live event for the post on screen (the feed forwards every event it sees). Events carry what this
 * user may see now (docs/webapp.md): a withdrawn post is `{id, removed: true}` — the window says it is no
 * longer available —, a hidden comment a tombstone `{id, post_id, removed: true}` — it leaves the list —,
 * an ids-only merge marks the duplicate merged or has the original fetched afresh.
 */
export function detailOnEvent(msg) {
  if (!current || !msg.post || msg.post.id !== current.id) return;
  if (isRemoved(msg.post) || msg.event === "post.deleted" || (msg.event === "post.hidden" && !isStaff())) {
    showGone();
    return;
  }
  const patch = livePatch(msg);
  if (patch) {
    current = { ...current, ...patch, voted_by_me: current.voted_by_me };
    renderHead();
  } else if (msg.event === "post.merged") {
    refetch(current.id); // the original of an ids-only merge: its votes moved, the event does not say how many
  }
  const c = msg.comment;
  if (c && c.id !== undefined) {
    if (isRemoved(c)) {
      dropComment(c.id);
    } else if (msg.event === "comment.created" || msg.event === "comment.unhidden") {
      if (!comments.some((x) => x.id === c.id)) comments.push(c);
      else comments = comments.map((x) => (x.id === c.id ? c : x));
      comments.sort((a, b) => a.id - b.id);
      renderComments();
    } else if (msg.event === "comment.hidden") {
      comments = comments.map((x) => (x.id === c.id ? c : x)); // staff: the comment, marked hidden
      renderComments();
    }
  }
  if (msg.deleted_comment_id !== undefined) dropComment(msg.deleted_comment_id);
  if (timeline !== null && msg.event === "post.updated" && msg.cause !== "vote.changed") loadTimeline(current.id);
  else if (timeline === null) renderTimeline();
}

function dropComment(id) {
  const before = comments.length;
  comments = comments.filter((x) => x.id !== id);
  if (comments.length !== before) renderComments();
}

/** The post on screen was withdrawn for this user: nothing of it stays in the window. */
function showGone() {
  gone = true;
  current = null;
  comments = [];
  timeline = null;
  $("#detail-title").textContent = "";
  clear($("#detail-body")).append(h("p", { role: "status", class: "notice detail-gone" }, t("detail.unavailable")));
  clear($("#detail-comments"));
  clear($("#detail-timeline"));
  $("#comment-form").hidden = true;
}

async function refetch(id) {
  try {
    const fresh = await api("GET", `/api/posts/${id}`);
    if (current && current.id === id && isFullPost(fresh)) {
      current = { ...current, ...fresh };
      renderHead();
    }
  } catch (err) {
    if (err.status === 404 && current && current.id === id) showGone();
  }
}

function openOriginal(e) {
  e.preventDefault();
  openDetail(Number(e.currentTarget.dataset.id));
}

function renderHead() {
  const p = current;
  if (!p) return;
  const cat = state.categoryByCode.get(p.category);
  $("#detail-title").textContent = categoryName(cat) || p.category;
  // fill(), not Element.append(): the optional parts below are null when absent, and append() would print
  // "null" for each of them.
  fill(
    $("#detail-body"),
    h(
      "p",
      { class: "post-meta" },
      h("span", { class: "chip status st-" + p.status }, statusName(p.status)),
      p.hidden ? h("span", { class: "chip hidden-badge" }, t("feed.hidden_badge")) : null,
      " ",
      h("span", { class: "muted" }, t("post.by", { handle: p.author.handle }), " · ", timeAgo(p.created_at)),
    ),
    p.merged_into
      ? h("p", { class: "merged-into" }, h("a", { href: "#", onclick: openOriginal, dataset: { id: p.merged_into } }, t("detail.merged_into", { id: p.merged_into })))
      : null,
    h("p", { class: "detail-text" }, p.text),
    answersView(p, cat),
    h("p", { class: "muted small", id: "detail-area" }),
    ...(p.photos || []).map((ph, i) =>
      photoView(ph, ph.display_url, t("post.photo_alt", { text: p.text.slice(0, 80) }) + (i ? ` (${i + 1})` : ""), {
        eager: true,
      }),
    ),
    h(
      "div",
      { class: "post-actions" },
      voteButton(p),
      h("span", { class: "muted" }, t("post.comments", { n: p.comments })),
      isOfficial() && (NEXT_STATUS[p.status] || []).length
        ? h("button", { type: "button", class: "primary-outline status-btn", onclick: () => emit("change-status", p) }, t("official.change_status"))
        : null,
      canReopen(p) ? h("button", { type: "button", class: "reopen-btn", onclick: openReopen }, t("detail.reopen")) : null,
      followButton(p),
      suspendButton(p.author),
    ),
    duplicatesBox(p, { onMerged: () => openDetail(p.id) }),
  );
  if (timeline === null) renderTimeline();
  areaNames(p.lat, p.lon).then((names) => {
    const el = document.getElementById("detail-area");
    if (el && current && current.id === p.id) el.textContent = names;
  });
}

async function loadTimeline(id) {
  try {
    const res = await api("GET", `/api/posts/${id}/timeline`);
    if (!current || current.id !== id) return;
    timeline = Array.isArray(res) ? res : res.items || [];
  } catch (err) {
    timeline = null; // 404: the officials issue has not landed; show what the post itself says
    if (!err.missing) console.warn("timeline", err);
  }
  renderTimeline();
}

function renderTimeline() {
  const box = clear($("#detail-timeline"));
  const p = current;
  if (!p) return;
  if (timeline === null) {
    box.append(
      h(
        "ol",
        { class: "timeline" },
        h("li", {}, h("strong", {}, t("post.created")), " — ", formatDate(p.created_at)),
        h("li", { class: "st-" + p.status }, h("strong", {}, statusName(p.status)), " — ", formatDate(p.updated_at)),
      ),
      h("p", { class: "muted small" }, t("detail.timeline_unavailable")),
    );
    return;
  }
  box.append(
    h(
      "ol",
      { class: "timeline" },
      ...timeline.map((step) =>
        h(
          "li",
          { class: "step st-" + (step.status || "") },
          h("strong", {}, step.kind === "created" ? t("timeline.created") : statusName(step.status || "")),
          " — ",
          formatDate(step.created_at),
          step.actor && step.actor.handle ? ` · ${step.actor.handle}` : "",
          step.to_area && step.kind !== "created" ? ` · ${t("timeline.to_area", { area: step.to_area })}` : "",
          step.note ? h("div", { class: "note" }, step.note) : null,
          step.reason ? h("div", { class: "note" }, `${t("official.reason")}: ${step.reason}`) : null,
          step.photo && step.photo.thumb_url
            ? h("div", { class: "proof" }, photoView(step.photo, step.photo.thumb_url, t("official.proof")))
            : null,
        ),
      ),
    ),
  );
}

async function loadComments(id) {
  try {
    const res = await api("GET", `/api/posts/${id}/comments`, { query: { limit: 100 } });
    if (!current || current.id !== id) return;
    // The API pages newest first; a conversation reads oldest first.
    const fresh = res.items.slice().reverse();
    const seen = new Set(fresh.map((c) => c.id));
    comments = fresh.concat(comments.filter((c) => !seen.has(c.id) && c.post_id === id));
  } catch (err) {
    comments = [];
    toast(errorToast(err), "error");
  }
  renderComments();
}

function renderComments() {
  const box = clear($("#detail-comments"));
  if (!comments.length) {
    box.append(h("li", { class: "muted" }, t("detail.no_comments")));
    return;
  }
  for (const c of comments) {
    box.append(
      h(
        "li",
        { class: c.hidden ? "comment is-hidden" : "comment" },
        h("span", { class: "comment-author" }, c.author.handle),
        " ",
        h("span", { class: "muted small" }, timeAgo(c.created_at)),
        h("p", {}, c.hidden ? t("detail.comment_hidden") : c.text),
      ),
    );
  }
}

function clearCommentError() {
  $("#comment-error").textContent = "";
  $("#comment-text").removeAttribute("aria-invalid");
}

async function sendComment(e) {
  e.preventDefault();
  if (!state.user) {
    emit("need-auth", { reason: t("auth.required") });
    return;
  }
  const input = $("#comment-text");
  const text = input.value.trim();
  // Said in the dialog, next to the field: a toast would sit behind the open modal dialog.
  const problem = $("#comment-error");
  if (!text) {
    problem.textContent = t("comment.empty");
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  if (!current) return; // the report is still loading
  problem.textContent = "";
  input.removeAttribute("aria-invalid");
  const button = e.submitter || $("#comment-form button");
  button.disabled = true;
  try {
    // One key per comment text: resending the same text after a network failure is the same comment.
    if (!pendingComment || pendingComment.text !== text) pendingComment = { text, key: newIdempotencyKey() };
    const c = await api("POST", `/api/posts/${current.id}/comments`, {
      json: { text },
      headers: { "Idempotency-Key": pendingComment.key },
    });
    pendingComment = null;
    if (!comments.some((x) => x.id === c.id)) comments.push(c);
    input.value = "";
    renderComments();
  } catch (err) {
    if (err.status !== 0) pendingComment = null;
    problem.textContent = errorText(err, { text: "detail.comment_label" });
    if (err.fields && err.fields.text) input.setAttribute("aria-invalid", "true");
  } finally {
    button.disabled = false;
  }
}

function canReopen(p) {
  // The server decides (reporter or a voter, within 14 days); the button shows where it may succeed.
  const mine = state.user && p.author && p.author.id === state.user.id;
  return Boolean(state.user && (p.status === "resolved" || p.status === "rejected") && (mine || p.voted_by_me));
}

function openReopen() {
  $("#reopen-error").textContent = "";
  $("#reopen-reason").value = "";
  $("#dlg-reopen").showModal();
  $("#reopen-reason").focus();
}

async function submitReopen(e) {
  e.preventDefault();
  const reason = $("#reopen-reason").value.trim();
  if (!reason || !current) return;
  try {
    const res = await api("POST", `/api/posts/${current.id}/reopen`, { json: { reason } });
    $("#dlg-reopen").close();
    if (res && res.post) emit("post-replace", res.post);
    loadTimeline(current.id);
  } catch (err) {
    $("#reopen-error").textContent = errorText(err, { reason: "detail.reopen_reason" });
  }
}

export function refreshDetail() {
  if (gone) showGone();
  else if (current) {
    renderHead();
    renderComments();
    renderTimeline();
  }
}
