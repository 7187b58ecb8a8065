// The service worker (docs/notifications.md, "In the web app"): served from /sw.js so its scope is the whole
// site. It shows a Web Push the notify worker sent — {title, body, url, post_id}, one notification per report
// (tag warga-post-<id>) — and opens that report when the notification is clicked. It caches nothing.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** A URL on this site for `url` (the payload's "/?post=42"); anything pointing elsewhere becomes "/". */
function ownUrl(url) {
  try {
    const u = new URL(url || "/", self.location.origin);
    return u.origin === self.location.origin ? u.href : self.location.origin + "/";
  } catch {
    return self.location.origin + "/";
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  const postId = data.post_id ?? null;
  event.waitUntil(
    self.registration.showNotification(String(data.title || "warga"), {
      body: String(data.body || ""),
      tag: postId !== null ? `warga-post-${postId}` : "warga",
      renotify: true,
      data: { url: ownUrl(data.url), post_id: postId },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = ownUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (open) {
        try {
          const focused = await open.focus();
          await focused.navigate(url);
          return;
        } catch {
          /* a window this worker does not control cannot be navigated: open one */
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});
