// Trust screens (issue 6): the notice for a report held for review, a moderator suspending a user, the
// suspended account holder's one appeal (from the sign-in dialog: a suspended account has no token), the
// moderators' appeals list, and merging a report into one of its possible duplicates.

import { api } from "./api.js";
import { askReason } from "./cards.js";
import { $, clear, h, toast } from "./dom.js";
import { errorText, errorToast, formatDate, t } from "./i18n.js";
import { emit, isStaff, state } from "./state.js";
import { unavailable } from "./officials.js";

let suspending = null; // the user {id, handle} the suspend dialog is about
let appealing = null; // {handle, password} of the suspended sign-in, kept in memory only while the dialog is open
let appealsSeq = 0;
let dups = { id: null, answer: null }; // the open report's duplicates: one request, however often it redraws

export function initTrust() {
  $("#held-close").addEventListener("click", () => ($("#held-notice").hidden = true));
  $("#suspend-form").addEventListener("submit", submitSuspend);
  $("#suspend-cancel").addEventListener("click", () => $("#dlg-suspend").close());
  $("#appeal-form").addEventListener("submit", submitAppeal);
  $("#appeals-pending").addEventListener("change", () => loadAppeals());
  $("#dlg-auth").addEventListener("close", () => {
    appealing = null;
    $("#auth-suspended").hidden = true;
  });
}

/** POST /api/posts answered 202: the report is not public yet; say so where it stays until dismissed. */
export function showHeld(post) {
  const reason = post.held_reason ? t("held.r." + post.held_reason) : "";
  $("#held-text").textContent = t("held.notice") + (reason ? " " + t("held.reason", { reason }) : "");
  $("#held-notice").hidden = false;
  $("#held-notice").focus();
}

// --- Suspending (moderators and admins) --------------------------------------------------------------
export function suspendButton(author) {
  if (!isStaff() || !author || (state.user && author.id === state.user.id)) return null;
  return h("button", { type: "button", class: "suspend-btn", onclick: () => openSuspend(author) }, t("suspend.button"));
}

function openSuspend(author) {
  suspending = author;
  $("#suspend-title").textContent = t("suspend.title", { handle: author.handle });
  $("#suspend-form").reset();
  $("#suspend-error").textContent = "";
  $("#dlg-suspend").showModal();
  $("#suspend-reason").focus();
}

async function submitSuspend(e) {
  e.preventDefault();
  const who = suspending;
  const button = $("#suspend-submit");
  button.disabled = true;
  try {
    const res = await api("POST", `/api/admin/users/${who.id}/suspend`, {
      json: {
        reason: $("#suspend-reason").value.trim(),
        days: Number($("#suspend-days").value),
        hide_content: $("#suspend-hide").checked,
      },
    });
    $("#dlg-suspend").close();
    toast(t("suspend.done", { handle: who.handle, n: res.hidden_posts || 0 }));
    emit("suspended", who);
  } catch (err) {
    $("#suspend-error").textContent = errorText(err, { reason: "suspend.reason", days: "suspend.days" });
  } finally {
    button.disabled = false;
  }
}

// --- The suspended account holder: why, and the one appeal ---------------------------------------------
/** Sign-in refused with 403 `suspended` (the password was right): show why and, if still allowed, the
 * appeal form. The credentials go to POST /api/appeals, which authenticates with them. */
export function showSuspended(fields, handle, password) {
  appealing = { handle, password };
  const until = fields.suspended_until ? formatDate(fields.suspended_until) : "—";
  $("#suspended-why").textContent = t("suspended.why", { until, reason: fields.reason || "—" });
  const allowed = fields.appeal !== "already_appealed";
  $("#appeal-form").hidden = !allowed;
  $("#appeal-text").value = "";
  $("#appeal-msg").textContent = allowed ? "" : t("appeal.already");
  $("#auth-error").textContent = "";
  $("#auth-suspended").hidden = false;
  if (allowed) $("#appeal-text").focus();
}

async function submitAppeal(e) {
  e.preventDefault();
  if (!appealing) return;
  const button = $("#appeal-submit");
  button.disabled = true;
  try {
    await api("POST", "/api/appeals", { json: { ...appealing, text: $("#appeal-text").value.trim() } });
    $("#appeal-msg").textContent = t("appeal.sent");
    $("#appeal-form").hidden = true;
  } catch (err) {
    $("#appeal-msg").textContent = err.code === "already_appealed" ? t("appeal.already") : errorText(err, { text: "appeal.label" });
    if (err.code === "already_appealed") $("#appeal-form").hidden = true;
  } finally {
    button.disabled = false;
  }
}

// --- Appeals (moderators and admins) -----------------------------------------------------------------
export async function loadAppeals() {
  const box = $("#appeals-list");
  const msg = $("#appeals-msg");
  if (!isStaff()) {
    clear(box);
    msg.textContent = t("mod.staff_only");
    return;
  }
  const mine = ++appealsSeq;
  msg.textContent = t("common.loading");
  try {
    const res = await api("GET", "/api/appeals", { query: { pending: $("#appeals-pending").checked, limit: 100 } });
    if (mine !== appealsSeq) return;
    clear(box).append(...res.items.map(appealItem));
    msg.textContent = res.items.length ? "" : t("appeals.empty");
  } catch (err) {
    if (mine !== appealsSeq) return;
    msg.textContent = "";
    unavailable(box, err);
  }
}

function appealItem(a) {
  const until = a.suspended_until ? formatDate(a.suspended_until) : "—";
  return h(
    "li",
    { class: "appeal", dataset: { appeal: a.id } },
    h("p", {}, h("strong", {}, a.user.handle), " · ", t("appeals.suspension", { until, reason: a.suspension_reason || "—" })),
    h("blockquote", {}, a.text),
    h("p", { class: "muted small" }, formatDate(a.created_at)),
    a.decision
      ? h("p", { class: "decided" }, t("appeals.decided", { decision: t("appeals.d." + a.decision), reason: a.decision_reason || "" }))
      : h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "appeal-uphold", onclick: () => decide(a, "upheld") }, t("appeals.uphold")),
          h("button", { type: "button", class: "appeal-lift primary", onclick: () => decide(a, "lifted") }, t("appeals.lift")),
        ),
  );
}

async function decide(appeal, decision) {
  const label = t(decision === "lifted" ? "appeals.lift" : "appeals.uphold");
  const reason = await askReason({ text: appeal.text }, label, "");
  if (!reason) return;
  try {
    await api("POST", `/api/appeals/${appeal.id}/decision`, { json: { decision, reason } });
    toast(t("appeals.done", { handle: appeal.user.handle }));
    loadAppeals();
  } catch (err) {
    toast(errorToast(err), "error");
  }
}

// --- Merging (officials of the area, moderators, admins) ------------------------------------------------
/** The open report's possible duplicates, each with "Merge into #id"; null when the viewer may not merge. */
export function duplicatesBox(post, { onMerged }) {
  const role = state.user && state.user.role;
  if (!["official", "moderator", "admin"].includes(role) || post.status === "merged" || post.hidden) return null;
  const list = h("ul", { class: "dups" }, h("li", { class: "muted" }, t("common.loading")));
  const box = h("section", { id: "detail-dups", "aria-labelledby": "dups-h" }, h("h3", { id: "dups-h" }, t("merge.title")), list);
  if (dups.id !== post.id) dups = { id: post.id, answer: api("GET", `/api/posts/${post.id}/duplicates`) };
  dups.answer
    .then((res) => {
      clear(list);
      if (!res.items.length) list.append(h("li", { class: "muted" }, t("merge.none")));
      for (const d of res.items) {
        list.append(
          h(
            "li",
            { class: "dup", dataset: { id: d.id } },
            d.thumb_url ? h("img", { src: d.thumb_url, alt: "", width: 48, height: 48, loading: "lazy" }) : null,
            h("span", {}, t("merge.item", { text: d.text.slice(0, 80), m: Math.round(d.distance_m), n: d.votes })),
            " ",
            h("button", { type: "button", class: "merge-btn", onclick: () => merge(post, d, onMerged) }, t("merge.into", { id: d.id })),
          ),
        );
      }
    })
    .catch(() => box.remove()); // 403 (another area's report) or a server without the endpoint: nothing to offer
  return box;
}

async function merge(post, original, onMerged) {
  const label = t("merge.into", { id: original.id });
  const reason = await askReason(post, label, t("merge.reason_preset"));
  if (!reason) return;
  try {
    await api("POST", `/api/posts/${post.id}/merge`, { json: { into: original.id, reason } });
    toast(t("merge.done", { id: original.id }));
    dups = { id: null, answer: null };
    onMerged(original.id);
  } catch (err) {
    toast(errorToast(err), "error");
  }
}
