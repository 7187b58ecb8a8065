// "Turn on notifications" (docs/notifications.md, "In the web app"): only when the user clicks it, ask the
// browser's permission, register /sw.js, subscribe with the server's VAPID key and hand the subscription to
// POST /api/push/subscriptions; "Turn off" unsubscribes and DELETEs it. Nothing here runs on page load but a
// look at whether this browser is subscribed already (which never prompts).

import { api } from "./api.js";
import { h, toast } from "./dom.js";
import { errorToast, t } from "./i18n.js";
import { state } from "./state.js";

/** The server's VAPID public key, when push is possible at all in this browser. */
function vapidKey() {
  const key = state.config && state.config.push && state.config.push.vapid_public_key;
  if (!key || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return null;
  return key;
}

/** base64url → bytes (PushManager's applicationServerKey). */
export function keyBytes(b64url) {
  const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (b64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

/** The header's toggle, or null when this browser or server cannot push. Its label follows the subscription. */
export function pushButton() {
  if (!state.user || !vapidKey()) return null;
  // A bell, so the header keeps its one row on a phone; its name says what a click does.
  const button = h("button", { type: "button", id: "push-btn", class: "push-btn", hidden: true });
  const show = (on) => {
    button.dataset.on = on ? "1" : "";
    button.textContent = on ? "🔕" : "🔔";
    button.setAttribute("aria-label", t(on ? "push.disable" : "push.enable"));
    button.title = t(on ? "push.disable" : "push.enable");
    button.hidden = false;
  };
  currentSubscription()
    .then((sub) => show(Boolean(sub) && Notification.permission === "granted"))
    .catch(() => show(false));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      show(button.dataset.on ? !(await turnOff()) : await turnOn());
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** true when this browser is now subscribed and the server knows it. */
export async function turnOn() {
  const key = vapidKey();
  if (!key) return false;
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    toast(t("push.denied"), "error");
    return false;
  }
  let sub;
  try {
    const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  } catch (err) {
    console.warn("push subscribe failed", err);
    toast(t("push.failed"), "error");
    return false;
  }
  try {
    await api("POST", "/api/push/subscriptions", { json: sub.toJSON() });
  } catch (err) {
    toast(errorToast(err), "error");
    return false;
  }
  toast(t("push.enabled"));
  return true;
}

/** true when this browser is no longer subscribed. */
export async function turnOff() {
  const sub = await currentSubscription().catch(() => null);
  if (!sub) return true;
  try {
    await api("DELETE", "/api/push/subscriptions", { json: { endpoint: sub.endpoint } });
  } catch (err) {
    if (err.status !== 404) {
      toast(errorToast(err), "error");
      return false;
    }
  }
  await sub.unsubscribe().catch(() => false);
  toast(t("push.disabled"));
  return true;
}

/** Signing out: this browser stops receiving the account's pushes (quietly; the sign-out goes on regardless). */
export async function forgetPush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const sub = await currentSubscription().catch(() => null);
  if (!sub) return;
  await api("DELETE", "/api/push/subscriptions", { json: { endpoint: sub.endpoint } }).catch(() => null);
  await sub.unsubscribe().catch(() => false);
}
