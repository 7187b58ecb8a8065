// A report as a card (feed, inbox, moderation queue) and the actions on it: open, upvote, hide/unhide.

import { api } from "./api.js";
import { placeholder } from "./blurhash.js";
import { fill, h, toast } from "./dom.js";
import { categoryName, errorText, errorToast, statusName, t, timeAgo } from "./i18n.js";
import { emit, isRemoved, isStaff, livePatch, state } from "./state.js";

/** An <img> over its blurhash: the placeholder paints at once, the image fades in when it has loaded. */
export function photoView(photo, url, alt, { eager = false } = {}) {
  const box = h("div", { class: "photo" });
  if (photo.width && photo.height) box.style.aspectRatio = `${photo.width} / ${photo.height}`;
  const ph = placeholder(photo.blurhash);
  if (ph) box.append(ph);
  const img = h("img", {
    src: url,
    alt,
    loading: eager ? "eager" : "lazy",
    decoding: "async",
    width: photo.width || undefined,
    height: photo.height || undefined,
  });
  img.addEventListener("load", () => box.classList.add("loaded"));
  box.append(img);
  return box;
}

export function distanceText(m) {
  if (m === undefined || m === null) return "";
  return m < 1000 ? t("post.distance_m", { n: Math.round(m) }) : t("post.distance_km", { n: (m / 1000).toFixed(1) });
}

/**
 * opts: onOpen(post), extra(post) → nodes for the action row, overdue (bool).
 * The card keeps its post in `el.post`; updateCard() refreshes the parts that change live.
 */
export function postCard(post, opts = {}) {
  const titleId = `p-${opts.prefix || "f"}-${post.id}-title`;
  const open = () => opts.onOpen && opts.onOpen(post.id);
  const thumb = h("div", { class: "thumb" });
  const el = h(
    "li",
    { class: "card", dataset: { id: post.id } },
    h(
      "article",
      { class: "post", "aria-labelledby": titleId },
      thumb,
      h(
        "div",
        { class: "post-body" },
        h("p", { class: "post-meta" }),
        h("h3", { class: "post-title", id: titleId }, h("button", { type: "button", class: "open linklike", onclick: open })),
        h("p", { class: "post-sub" }),
        h("div", { class: "post-actions" }),
      ),
    ),
  );
  el.opts = opts;
  updateCard(el, post);
  return el;
}

export function updateCard(el, post) {
  const opts = el.opts || {};
  el.post = post;
  el.classList.toggle("is-hidden", Boolean(post.hidden));
  el.classList.toggle("is-overdue", Boolean(opts.overdue || post.overdue));
  const cat = state.categoryByCode.get(post.category);

  const meta = el.querySelector(".post-meta");
  fill(meta,
    h("span", { class: "chip cat cat-" + post.category }, categoryName(cat) || post.category),
    " ",
    h("span", { class: "chip status st-" + post.status }, statusName(post.status)),
    post.hidden ? h("span", { class: "chip hidden-badge" }, t("feed.hidden_badge")) : null,
    opts.overdue || post.overdue ? h("span", { class: "chip overdue-badge" }, t("official.overdue")) : null,
  );
  el.querySelector(".open").textContent = post.text;

  const bits = [t("post.by", { handle: post.author ? post.author.handle : "?" })];
  if (post.distance_m !== undefined) bits.push(distanceText(post.distance_m));
  bits.push(timeAgo(post.created_at));
  const sub = el.querySelector(".post-sub");
  sub.textContent = bits.filter(Boolean).join(" · ");

  const thumb = el.querySelector(".thumb");
  const first = post.photos && post.photos[0];
  if (first && thumb.dataset.url !== first.thumb_url) {
    thumb.dataset.url = first.thumb_url;
    fill(thumb, photoView(first, first.thumb_url, t("post.photo_alt", { text: post.text.slice(0, 80) })));
  } else if (!first) {
    fill(thumb);
    delete thumb.dataset.url;
  }
  thumb.hidden = !first;

  const actions = el.querySelector(".post-actions");
  fill(actions,
    voteButton(post),
    h(
      "button",
      { type: "button", class: "comments-btn", onclick: () => opts.onOpen && opts.onOpen(post.id) },
      t("post.comments", { n: post.comments }),
    ),
    isStaff() ? hideButton(post) : null,
    state.user && !isStaff() && post.author && post.author.id !== state.user.id && !post.hidden
      ? h("button", { type: "button", class: "flag-btn", onclick: () => openFlag(post) }, t("flag.button"))
      : null,
    opts.extra ? opts.extra(post) : null,
  );
}

/** Refresh every card of the patched post in a list (the inbox, the moderation queue); the viewer's own
 * vote stays as it is, since a patch from someone else's event does not know it. */
export function patchCards(list, patch) {
  for (const li of list.children) {
    if (li.post && li.post.id === patch.id) updateCard(li, { ...li.post, ...patch, voted_by_me: li.post.voted_by_me });
  }
}

/** Live events carry what this user may see: a tombstone takes its post's cards out of the list, a full post
 * or an ids-only merge patches them, and a part of a post never stands in for the whole (state.js livePatch). */
export function liveUpdateCards(list, msg) {
  if (msg.post && isRemoved(msg.post)) {
    for (const li of [...list.children]) if (li.post && li.post.id === msg.post.id) li.remove();
    return;
  }
  const patch = livePatch(msg);
  if (patch) patchCards(list, patch);
}

export function voteButton(post) {
  const voted = Boolean(post.voted_by_me);
  return h(
    "button",
    {
      type: "button",
      class: "vote" + (voted ? " voted" : ""),
      "aria-pressed": voted ? "true" : "false",
      "aria-label": t("post.upvote_label", { n: post.votes }),
      disabled: post.hidden ? true : undefined,
      onclick: () => toggleVote(post),
    },
    h("span", { "aria-hidden": "true" }, "▲ "),
    h("span", { class: "vote-count" }, String(post.votes)),
    h("span", { class: "vote-word" }, " " + (voted ? t("post.upvoted") : t("post.upvote"))),
  );
}

export async function toggleVote(post) {
  if (!state.user) {
    emit("need-auth", { reason: t("auth.required") });
    return;
  }
  const on = !post.voted_by_me;
  try {
    const res = await api(on ? "PUT" : "DELETE", `/api/posts/${post.id}/vote`);
    emit("post-patch", { id: post.id, votes: res.votes, voted_by_me: res.voted });
  } catch (err) {
    toast(errorToast(err), "error");
  }
}

function hideButton(post) {
  const hide = !post.hidden;
  return h(
    "button",
    {
      type: "button",
      class: "mod-btn",
      onclick: () => setHidden(post, hide),
    },
    hide ? t("post.hide") : t("post.unhide"),
  );
}

const FLAG_REASONS = ["spam", "abuse", "false", "duplicate", "personal_data"];
let flagging = null;

/** Any signed-in citizen may flag someone else's report for the moderators (issue 6). */
export function initFlags() {
  document.getElementById("flag-form").addEventListener("submit", sendFlag);
  document.getElementById("flag-cancel").addEventListener("click", () => document.getElementById("dlg-flag").close());
}

function openFlag(post) {
  flagging = post;
  const select = document.getElementById("flag-reason");
  fill(select, ...FLAG_REASONS.map((r) => h("option", { value: r }, t("flag.r." + r))));
  document.getElementById("flag-note").value = "";
  document.getElementById("flag-error").textContent = "";
  document.getElementById("flag-post").textContent = post.text.slice(0, 120);
  document.getElementById("dlg-flag").showModal();
  select.focus();
}

async function sendFlag(e) {
  e.preventDefault();
  const reason = document.getElementById("flag-reason").value;
  const note = document.getElementById("flag-note").value.trim();
  try {
    await api("POST", `/api/posts/${flagging.id}/flag`, { json: note ? { reason, note } : { reason } });
    document.getElementById("dlg-flag").close();
    toast(t("flag.sent"));
  } catch (err) {
    document.getElementById("flag-error").textContent = errorText(err, { reason: "flag.reason", note: "flag.note" });
  }
}

/** Ask a moderator why (a dialog, not window.prompt: labelled, translated, keyboard-friendly). */
export function askReason(post, title = t("post.hide"), preset = "") {
  const dlg = document.getElementById("dlg-hide");
  document.getElementById("hide-title").textContent = title;
  document.getElementById("hide-submit").textContent = title;
  const form = document.getElementById("hide-form");
  const input = document.getElementById("hide-reason");
  document.getElementById("hide-post").textContent = post.text.slice(0, 120);
  input.value = preset;
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener("submit", onSubmit);
      document.getElementById("hide-cancel").removeEventListener("click", onCancel);
      dlg.removeEventListener("close", onClose);
      if (dlg.open) dlg.close();
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      done(input.value.trim() || null);
    };
    const onCancel = () => done(null);
    const onClose = () => done(null);
    form.addEventListener("submit", onSubmit);
    document.getElementById("hide-cancel").addEventListener("click", onCancel);
    dlg.addEventListener("close", onClose);
    dlg.showModal();
    input.focus();
  });
}

export async function setHidden(post, hide) {
  let json;
  if (hide) {
    const reason = await askReason(post);
    if (!reason) return;
    json = { reason };
  }
  try {
    const body = await api("POST", `/api/posts/${post.id}/${hide ? "hide" : "unhide"}`, { json });
    emit("post-replace", body);
  } catch (err) {
    toast(errorToast(err), "error");
  }
}
