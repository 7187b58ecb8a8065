// Officials: their inbox (live, overdue marked), the status change (note, reason, forward, proof photo and
// position), and the public league. Endpoints of the officials issue (#5); a 404 shows "not available yet".

import { api } from "./api.js";
import { liveUpdateCards, patchCards, postCard } from "./cards.js";
import { $, clear, debounce, h, toast } from "./dom.js";
import { categoryName, duration, errorText, errorToast, formatDate, statusName, t } from "./i18n.js";
import { emit, isOfficial, NEXT_STATUS, on, state } from "./state.js";
import { locate } from "./where.js";

// A refused field of the status change is named by the dialog's own label.
const STATUS_LABELS = {
  status: "official.new_status",
  note: "official.note",
  reason: "official.reason",
  to_area: "official.to_area",
  to_agency: "official.to_agency",
  photo: "official.proof",
};
const MAX_AREA_SUBS = 15; // the gateway allows 20 subscriptions per socket; leave room for near + moderation
let openDetail = () => {};
let statusPost = null;
let inboxNext = null;
let inboxSeq = 0; // the latest inbox request: an older answer arriving late must not overwrite a newer one
let leagueSeq = 0;
const areaSubs = new Set();

export function initOfficials({ onOpen }) {
  openDetail = onOpen;
  $("#inbox-status").addEventListener("change", () => loadInbox());
  $("#inbox-overdue").addEventListener("change", () => loadInbox());
  $("#inbox-unrouted").addEventListener("change", () => loadInbox());
  $("#inbox-more").addEventListener("click", () => loadInbox(true));
  $("#league-level").addEventListener("change", loadLeague);
  $("#league-period").addEventListener("change", loadLeague);
  $("#league-csv").addEventListener("click", downloadCsv);
  $("#status-form").addEventListener("submit", submitStatus);
  $("#status-value").addEventListener("change", showStatusFields);
  $("#status-cancel").addEventListener("click", () => $("#dlg-status").close());
  on("post-patch", (patch) => patchCards($("#inbox-list"), patch));
  on("post-replace", (post) => patchCards($("#inbox-list"), post));
  on("live-event", (msg) => liveUpdateCards($("#inbox-list"), msg));
  on("change-status", (post) => openStatus(post));
  fillOfficialSelects();
}

export function fillOfficialSelects() {
  const keep = $("#inbox-status").value;
  clear($("#inbox-status")).append(
    h("option", { value: "" }, t("filter.all")),
    ...Object.keys(NEXT_STATUS).map((s) => h("option", { value: s }, statusName(s))),
  );
  $("#inbox-status").value = keep;
  if (statusPost) fillStatusChoices(statusPost);
}

export function unavailable(box, err) {
  clear(box).append(
    h("p", { class: "notice", role: "status" }, err.missing ? t("common.unavailable") : errorToast(err)),
  );
}

/** An inbox item is {post, due_at, overdue, …clock}: the card wants the post with its clock alongside. */
function inboxPost(item) {
  const post = item.post ? { ...item.post, clock: item } : { ...item, clock: item };
  const due = item.due_at;
  post.overdue = Boolean(item.overdue || (due && Date.parse(due) < Date.now()));
  return post;
}

// --- The inbox ------------------------------------------------------------------------------------
export async function loadInbox(more = false) {
  const box = $("#inbox-list");
  const msg = $("#inbox-msg");
  if (!isOfficial()) {
    clear(box);
    msg.textContent = t("official.staff_only");
    return;
  }
  if (!more) inboxNext = null;
  const mine = ++inboxSeq;
  msg.textContent = more ? "" : t("common.loading");
  // Admins also dispatch the fallback queue: reports outside every area (forward them to one).
  const admin = state.user.role === "admin";
  $("#inbox-unrouted-box").hidden = !admin;
  const unrouted = admin && $("#inbox-unrouted").checked;
  $("#inbox-status").disabled = unrouted;
  $("#inbox-overdue").disabled = unrouted;
  try {
    const res = unrouted
      ? await api("GET", "/api/admin/unrouted", { query: { cursor: more ? inboxNext : null } })
      : await api("GET", "/api/officials/inbox", {
          query: {
            status: $("#inbox-status").value,
            overdue: $("#inbox-overdue").checked ? "true" : "",
            cursor: more ? inboxNext : null,
          },
        });
    if (mine !== inboxSeq) return;
    msg.textContent = "";
    const items = (res.items || []).map(inboxPost);
    if (!more) clear(box);
    box.append(...items.map((p) => postCard(p, { prefix: "i", onOpen: openDetail, extra: inboxExtra })));
    if (!box.children.length) msg.textContent = t("official.empty");
    inboxNext = res.next || null;
    $("#inbox-more").hidden = !inboxNext;
    const areas = res.areas || [];
    const owners = [...areas, ...(res.agencies || [])].map((a) => a.name);
    $("#inbox-areas").textContent = owners.length ? t("official.areas", { names: owners.join(", ") }) : "";
    // Live: the areas the inbox covers (officials see their areas and everything below them).
    const fromItems = [...new Set(items.map((p) => p.area_id).filter((a) => a !== null && a !== undefined))];
    subscribeAreas(areas.length ? areas : fromItems);
  } catch (err) {
    if (mine !== inboxSeq) return;
    msg.textContent = "";
    $("#inbox-more").hidden = true;
    unavailable(box, err);
  }
}

function inboxExtra(post) {
  const clock = post.clock || {};
  const due = clock.due_at;
  const late = post.overdue;
  return [
    // The inbox item names the agency that owns the report (docs/officials.md "Inbox").
    clock.agency ? h("span", { class: "chip agency-badge" }, t("official.agency_badge", { code: clock.agency })) : null,
    due
      ? h(
          "span",
          { class: late ? "due late" : "due" },
          late
            ? t("official.overdue_by", { d: duration(clock.overdue_s ?? (Date.now() - Date.parse(due)) / 1000) })
            : t("official.due", { time: formatDate(due) }),
        )
      : null,
    NEXT_STATUS[post.status] && NEXT_STATUS[post.status].length
      ? h("button", { type: "button", class: "primary-outline status-btn", onclick: () => openStatus(post) }, t("official.change_status"))
      : null,
  ];
}

const reloadInbox = debounce(() => {
  if (!$("#view-inbox").hidden) loadInbox();
}, 300);

function subscribeAreas(areas) {
  const live = state.live;
  if (!live || !live.available) return;
  for (const a of areas) {
    const id = typeof a === "object" ? a.id : a;
    if (id === undefined || areaSubs.has(id)) continue;
    if (areaSubs.size >= MAX_AREA_SUBS) break;
    areaSubs.add(id);
    live.subscribe(`area:${id}`, { area: id }, { onEvent: onAreaEvent, onSubscribed: () => {} });
  }
}

function onAreaEvent(msg) {
  // New reports and changes in my areas: the inbox refetches (its order and overdue marks are the server's).
  liveUpdateCards($("#inbox-list"), msg);
  reloadInbox();
  emit("area-event", msg);
}

export function dropAreaSubscriptions() {
  for (const id of areaSubs) state.live && state.live.unsubscribe(`area:${id}`);
  areaSubs.clear();
}

// --- Changing a status ------------------------------------------------------------------------------
function fillStatusChoices(post) {
  const select = $("#status-value");
  const keep = select.value;
  const choices = NEXT_STATUS[post.status] || [];
  clear(select).append(...choices.map((s) => h("option", { value: s }, statusName(s))));
  if (choices.includes(keep)) select.value = keep;
}

export function openStatus(post) {
  statusPost = post;
  $("#status-form").reset();
  $("#status-error").textContent = "";
  const cat = state.categoryByCode.get(post.category);
  $("#status-post").textContent = `${categoryName(cat) || post.category} · ${statusName(post.status)} · ${post.text.slice(0, 100)}`;
  fillStatusChoices(post);
  showStatusFields();
  if (!(NEXT_STATUS[post.status] || []).length) $("#status-error").textContent = t("official.no_transitions");
  $("#dlg-status").showModal();
  $("#status-value").focus();
}

function showStatusFields() {
  const status = $("#status-value").value;
  $("#status-reason-box").hidden = status !== "rejected";
  $("#status-area-box").hidden = status !== "forwarded";
  $("#status-reason").required = status === "rejected";
  if (status === "forwarded") fillAgencies();
}

let agencies = null; // GET /api/agencies, asked once per page: the list changes rarely

async function fillAgencies() {
  const select = $("#status-to-agency");
  if (agencies === null) {
    try {
      agencies = (await api("GET", "/api/agencies")).items || [];
    } catch (err) {
      agencies = []; // no agencies (or not reachable): forwarding to an area still works
      if (!err.missing) console.warn("agencies", err);
    }
  }
  // Agencies that take the report's category come first, in their own group; the others stay choosable
  // (a drainage report may still belong to the roads agency), below.
  const category = statusPost ? statusPost.category : null;
  const option = (a) => h("option", { value: a.code }, `${a.name} (${a.code})`);
  const fits = agencies.filter((a) => (a.categories || []).includes(category));
  const others = agencies.filter((a) => !fits.includes(a));
  const keep = select.value;
  clear(select).append(h("option", { value: "" }, t("official.no_agency")));
  if (fits.length && others.length) {
    select.append(
      h("optgroup", { label: t("official.agencies_for_category"), class: "fits" }, ...fits.map(option)),
      h("optgroup", { label: t("official.agencies_other"), class: "others" }, ...others.map(option)),
    );
  } else {
    select.append(...fits.map(option), ...others.map(option));
  }
  select.value = keep;
}

async function submitStatus(e) {
  e.preventDefault();
  const form = e.target;
  const error = $("#status-error");
  const status = form.status.value;
  const note = form.note.value.trim();
  const reason = form.reason.value.trim();
  const toArea = form.to_area.value.trim();
  const toAgency = form.to_agency.value;
  const photo = form.photo.files[0];
  if (status === "resolved" && (!note || !photo)) {
    error.textContent = t("official.need_note_photo");
    return;
  }
  if (status === "rejected" && !reason) {
    error.textContent = t("official.need_reason");
    return;
  }
  if (status === "forwarded" && !toArea && !toAgency) {
    error.textContent = t("official.need_area");
    return;
  }
  const button = $("#status-submit");
  button.disabled = true;
  error.textContent = "";
  try {
    const fields = { status };
    if (note) fields.note = note;
    if (status === "rejected") fields.reason = reason;
    // Exactly one target (the API refuses both): a chosen agency wins over a typed area.
    if (status === "forwarded" && toAgency) fields.to_agency = toAgency;
    else if (status === "forwarded") fields.to_area = /^\d+$/.test(toArea) ? Number(toArea) : toArea;
    if (photo && form.position.checked) {
      // The proof must be near the report: the photo's GPS, or (if it has none) where this device is.
      const here = await locate({ prompt: true });
      if (here) Object.assign(fields, { lat: here.lat, lon: here.lon });
      else toast(t("official.no_position"));
    }
    let options;
    if (photo) {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.set(k, String(v));
      data.append("photo", photo, photo.name);
      options = { form: data };
    } else {
      options = { json: fields };
    }
    const res = await api("POST", `/api/posts/${statusPost.id}/status`, options);
    const post = res && res.post ? res.post : res;
    if (post && post.id) emit("post-replace", post);
    $("#dlg-status").close();
    if (!$("#view-inbox").hidden) loadInbox();
  } catch (err) {
    error.textContent = err.missing ? t("common.unavailable") : errorText(err, STATUS_LABELS);
  } finally {
    button.disabled = false;
  }
}

// --- The league -------------------------------------------------------------------------------------
// The columns shown (GET /api/league has more: the CSV carries them all); how each is written.
const LEAGUE_COLUMNS = [
  ["rank", "official.rank", (v) => v, "num"],
  ["name", "official.area", (v) => v, ""],
  ["reports", "league.reports", (v) => v, "num"],
  ["ack_median_s", "league.ack_median", duration, "num"],
  ["resolve_median_s", "league.resolve_median", duration, "num"],
  ["within_sla_share", "league.within_sla", percent, "num"],
  ["reopen_rate", "league.reopen_rate", percent, "num"],
  ["reports_per_1000_residents", "league.per_1000", (v) => fixed(v, 2), "num"],
  ["score", "league.score", (v) => fixed(v, 2), "num"],
];

function percent(v) {
  return v === null || v === undefined ? "—" : `${Math.round(Number(v) * 100)} %`;
}

function fixed(v, digits) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(digits);
}

function leagueQuery() {
  return { level: $("#league-level").value, period: $("#league-period").value };
}

export async function loadLeague() {
  const box = $("#league-table");
  const msg = $("#league-msg");
  msg.textContent = t("common.loading");
  const mine = ++leagueSeq;
  try {
    const res = await api("GET", "/api/league", { query: leagueQuery() });
    if (mine !== leagueSeq) return;
    msg.textContent = "";
    const rows = Array.isArray(res) ? res : res.items || [];
    $("#league-csv").hidden = false;
    if (!rows.length) {
      clear(box);
      msg.textContent = t("league.empty");
      return;
    }
    const known = LEAGUE_COLUMNS.filter(([key]) => key in rows[0]);
    const cols = known.length >= 3 ? known : Object.keys(rows[0]).map((k) => [k, null, (v) => v, ""]);
    clear(box).append(
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ...cols.map(([k, label, , cls]) => h("th", { scope: "col", class: cls }, label ? t(label) : k.replace(/_/g, " "))))),
        h(
          "tbody",
          {},
          ...rows.map((r) => h("tr", {}, ...cols.map(([k, , fmt, cls]) => h("td", { class: cls }, cell(fmt(r[k])))))),
        ),
      ),
    );
  } catch (err) {
    if (mine !== leagueSeq) return;
    msg.textContent = "";
    $("#league-csv").hidden = true;
    unavailable(box, err);
  }
}

function cell(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return value.name || value.handle || JSON.stringify(value);
  return String(value);
}

async function downloadCsv() {
  // Same endpoint with Accept: text/csv; saved through a blob link (no token needed: the league is public).
  const q = leagueQuery();
  try {
    const res = await fetch(`/api/league?level=${encodeURIComponent(q.level)}&period=${encodeURIComponent(q.period)}`, {
      headers: { Accept: "text/csv" },
    });
    if (!res.ok) throw new Error(res.statusText);
    const url = URL.createObjectURL(await res.blob());
    const a = h("a", { href: url, download: `league-${q.level}-${q.period}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) {
    toast(errorToast(err), "error");
  }
}

