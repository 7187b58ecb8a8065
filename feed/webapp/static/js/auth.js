// Sign up, sign in, sign out. The token lives in localStorage and goes out as a Bearer header and as the
// websocket's first message — never in a URL.

import { api, setToken, token } from "./api.js";
import { $ } from "./dom.js";
import { errorText, t, translate } from "./i18n.js";
import { forgetPush } from "./push.js";
import { emit, on, state } from "./state.js";
import { showSuspended } from "./trust.js";

let mode = "signin";
let after = null;

export function initAuth() {
  $("#auth-form").addEventListener("submit", submit);
  $("#auth-switch").addEventListener("click", () => setMode(mode === "signin" ? "signup" : "signin"));
  $("#auth-cancel").addEventListener("click", () => $("#dlg-auth").close());
  on("need-auth", ({ reason, then } = {}) => openAuth("signin", reason, then));
}

export function openAuth(which = "signin", reason = "", then = null, handle = "") {
  after = then;
  if (handle) $("#auth-handle").value = handle;
  setMode(which);
  $("#auth-reason").textContent = reason || "";
  $("#auth-error").textContent = "";
  $("#dlg-auth").showModal();
  $("#auth-handle").focus();
}

function setMode(which) {
  mode = which;
  const signup = mode === "signup";
  $("#auth-title").dataset.i18n = signup ? "auth.signup" : "auth.signin";
  $("#auth-submit").dataset.i18n = signup ? "auth.signup" : "auth.signin";
  $("#auth-switch").dataset.i18n = signup ? "auth.have_account" : "auth.need_account";
  $("#auth-password").setAttribute("autocomplete", signup ? "new-password" : "current-password");
  translate($("#dlg-auth"));
}

async function submit(e) {
  e.preventDefault();
  const handle = $("#auth-handle").value.trim();
  const password = $("#auth-password").value;
  const button = $("#auth-submit");
  button.disabled = true;
  $("#auth-error").textContent = "";
  try {
    const res = await api("POST", mode === "signup" ? "/api/auth/register" : "/api/auth/login", {
      json: { handle, password },
    });
    setToken(res.token);
    state.user = res.user || (await api("GET", "/api/me")).user;
    $("#auth-password").value = "";
    $("#dlg-auth").close();
    emit("auth-changed", state.user);
    const then = after;
    after = null;
    if (then) then();
  } catch (err) {
    if (err.code === "suspended" && mode === "signin") {
      showSuspended(err.fields || {}, handle, password); // why, until when, and the one appeal
      return;
    }
    $("#auth-error").textContent = errorText(err, { handle: "auth.handle", password: "auth.password" });
  } finally {
    button.disabled = false;
  }
}

export async function signOut() {
  await forgetPush(); // while the token still says whose subscription it is
  try {
    await api("POST", "/api/auth/logout");
  } catch {
    /* an expired token is signed out all the same */
  }
  setToken(null);
  state.user = null;
  emit("auth-changed", null);
}

/** Who the stored token belongs to (null if none or no longer valid). */
export async function whoAmI() {
  if (!token()) return null;
  try {
    return (await api("GET", "/api/me")).user;
  } catch (err) {
    if (err.status === 401) setToken(null);
    return null;
  }
}

export function authLabel() {
  return state.user ? t("auth.signed_in_as", { handle: state.user.handle }) : "";
}
