// Start-up and navigation: config → who am I → live socket → subscribe → first page. Views by URL hash.

import { api, token } from "./api.js";
import { initAuth, openAuth, signOut, whoAmI } from "./auth.js";
import { initFlags } from "./cards.js";
import { detailOnEvent, initDetail, openDetail, refreshDetail } from "./detail.js";
import { $, clear, h, toast } from "./dom.js";
import { fillFilters, initFeed, prefetch, refreshCards, renderMeta, subscribeNear } from "./feed.js";
import { errorToast, lang, LANGS, onLangChange, setLang, t, translate } from "./i18n.js";
import { Live } from "./live.js";
import * as mapView from "./map.js";
import { fillCategories, initPostForm, openPostForm } from "./post_form.js";
import { pushButton } from "./push.js";
import { isOfficial, isStaff, MONAS, on, state } from "./state.js";
import { dropModeration, initModerators, loadLog, loadQueue, subscribeModeration } from "./moderators.js";
import { dropAreaSubscriptions, fillOfficialSelects, initOfficials, loadInbox, loadLeague } from "./officials.js";
import { initTrust, loadAppeals } from "./trust.js";
import { locate } from "./where.js";

const VIEWS = {
  feed: { section: "#view-feed", show: () => mapView.invalidate() },
  inbox: { section: "#view-inbox", show: loadInbox, visible: isOfficial },
  league: { section: "#view-league", show: loadLeague },
  queue: { section: "#view-queue", show: loadQueue, visible: isStaff },
  log: { section: "#view-log", show: () => loadLog(false), visible: isStaff },
  appeals: { section: "#view-appeals", show: loadAppeals, visible: isStaff },
};

async function boot() {
  document.documentElement.lang = lang();
  translate();
  $("#lang-btn").lang = LANGS.find((l) => l !== lang());
  // The first page is requested before anything else (the socket needs the config first): it paints the
  // list as early as possible, and the fetch that follows the subscription closes any gap.
  const early = prefetch();
  const [config, user] = await Promise.all([api("GET", "/api/config").catch(() => ({})), whoAmI()]);
  state.config = config;
  state.categories = config.categories || (await api("GET", "/api/categories").catch(() => ({ items: [] }))).items || [];
  state.categoryByCode = new Map(state.categories.map((c) => [c.code, c]));
  state.user = user;
  if (config.feed && config.feed.default_radius_m) state.radius = config.feed.default_radius_m;

  state.live = new Live({
    url: config.ws_url || "",
    getToken: token,
    onState: showLiveState,
    onSessionEnded: onSessionEnded,
  });
  initFeed({ onOpen: openDetail });
  initDetail();
  initPostForm();
  initAuth();
  initOfficials({ onOpen: openDetail });
  initModerators({ onOpen: openDetail });
  initFlags();
  initTrust();
  on("live-event", detailOnEvent);
  on("auth-changed", onAuthChanged);
  onLangChange(onLanguage);
  wireChrome();

  const mapped = mapView.initMap($("#map"), {
    center: state.center,
    radius: state.radius,
    onOpen: openDetail,
    onMoved: onMapMoved,
  });
  if (!mapped) $("#search-here").hidden = true;

  state.live.start();
  if (!state.live.available) startPolling();
  subscribeNear({ early });
  subscribeModeration();
  renderAccount();
  route();
  window.addEventListener("hashchange", route);
  openLinkedPost();

  // Only if the browser already allows it: no permission prompt on load.
  const here = await locate({ prompt: false });
  if (here) moveCenter(here, "me");
}

function wireChrome() {
  $("#lang-btn").addEventListener("click", () => setLang(LANGS.find((l) => l !== lang())));
  $("#new-post").addEventListener("click", openPostForm);
  $("#use-location").addEventListener("click", async () => {
    const here = await locate({ prompt: true });
    if (here) moveCenter(here, "me");
    else {
      moveCenter(MONAS, "default");
      toast(t("feed.location_denied"), "error");
    }
  });
  $("#search-here").addEventListener("click", () => {
    const c = $("#search-here").center;
    if (c) moveCenter({ lat: c.lat, lon: c.lng }, "map", { pan: false });
  });
}

function moveCenter(where, source, { pan = true } = {}) {
  state.center = { lat: where.lat, lon: where.lon, source };
  mapView.setCenter(state.center, state.radius, { pan });
  $("#search-here").hidden = true;
  subscribeNear();
}

function onMapMoved(c) {
  // Offer to search where the map now looks, once it has moved a good way from the searched circle.
  const far = Math.abs(c.lat - state.center.lat) + Math.abs(c.lng - state.center.lon) > state.radius / 111_000 / 2;
  $("#search-here").hidden = !far;
  $("#search-here").center = c;
}

let poller = null;

function startPolling() {
  // No websocket on this server: refresh now and then so the page still moves.
  clearInterval(poller);
  poller = setInterval(() => {
    if (document.visibilityState === "visible") subscribeNear();
  }, 20_000);
}

function showLiveState(s) {
  const pill = $("#live-state");
  const key = { live: "live.on", unavailable: "live.unavailable", connecting: "live.connecting" }[s] || "live.off";
  pill.dataset.state = s;
  pill.dataset.i18n = key;
  pill.textContent = t(key);
}

async function onSessionEnded() {
  const before = state.user;
  const user = await whoAmI(); // clears a token the server no longer accepts
  if ((user && user.id) !== (before && before.id) || (user && user.role) !== (before && before.role)) {
    state.user = user;
    onAuthChanged();
    // Signed out by the server (revoked: a suspension, say): ask to sign in again, which tells a suspended
    // account why and offers its appeal.
    if (before && !user) openAuth("signin", t("auth.session_ended"), null, before.handle);
  }
}

function onAuthChanged() {
  dropAreaSubscriptions();
  dropModeration();
  state.live.restart(); // the socket re-authenticates; subscriptions resume from their seq
  subscribeModeration();
  renderAccount();
  subscribeNear(); // voted_by_me and staff-only posts depend on who is asking
  route();
}

function renderAccount() {
  const box = clear($("#account"));
  if (state.user) {
    box.append(
      h(
        "span",
        { class: "who", title: state.user.handle },
        state.user.handle,
        " ",
        h("span", { class: "chip role" }, t("role." + state.user.role)),
      ),
      pushButton(),
      h("button", { type: "button", id: "signout-btn", onclick: signOut }, t("auth.signout")),
    );
  } else {
    box.append(
      h("button", { type: "button", id: "signin-btn", onclick: () => openAuth("signin") }, t("auth.signin")),
      h("button", { type: "button", id: "signup-btn", class: "primary", onclick: () => openAuth("signup") }, t("auth.signup")),
    );
  }
  for (const [name, view] of Object.entries(VIEWS)) {
    const link = document.querySelector(`#nav a[data-view="${name}"]`);
    if (link) link.parentElement.hidden = Boolean(view.visible && !view.visible());
  }
}

/** `/?post=42` (a notification's link, sw.js): that report opens, and the address goes back to the page's. */
function openLinkedPost() {
  const params = new URLSearchParams(location.search);
  const id = params.get("post");
  if (!id) return;
  history.replaceState(null, "", location.pathname + location.hash);
  if (/^[0-9]+$/.test(id)) openDetail(Number(id));
}

function route() {
  const name = (location.hash.replace(/^#\/?/, "").split("/")[0] || "feed").toLowerCase();
  const view = VIEWS[name] && (!VIEWS[name].visible || VIEWS[name].visible()) ? name : "feed";
  for (const [key, v] of Object.entries(VIEWS)) $(v.section).hidden = key !== view;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("#new-post").hidden = view !== "feed";
  VIEWS[view].show();
}

function onLanguage() {
  translate();
  $("#lang-btn").lang = LANGS.find((l) => l !== lang());
  showLiveState(state.live.state);
  fillFilters();
  fillCategories();
  fillOfficialSelects();
  refreshCards();
  refreshDetail();
  renderAccount();
  renderMeta();
  route();
}

boot().catch((err) => {
  console.error(err);
  toast(errorToast(err), "error");
});

// For tests and the curious: warga.state.live.drop() simulates a flaky network, suspend()/resume() an outage.
window.warga = { state, map: mapView };
