// The websocket client (protocol: docs/realtime.md, issue 3): auth as the first message, subscriptions that
// survive reconnects, resume with `since` = the last seq seen, duplicates dropped by seq, `resync` handled.

const MAX_BACKOFF_MS = 30_000;
const BASE_BACKOFF_MS = 500;
const PING_EVERY_MS = 25_000;

/**
 * How long to wait before reconnect attempt `attempt` (0 = the first): exponential backoff with "equal
 * jitter", plus a uniform share of `spreadMs`, the window the server last asked its clients to spread over
 * (`reconnect_spread_ms` in `subscribed` and `pong`: its open sockets at the handshake rate it can take).
 * Without the spread, thousands of phones dropped by one crash all come back within the first step
 * (0.25-0.5 s) and queue for the handshake; with it they arrive at the rate the server named.
 */
export function reconnectDelay(attempt, spreadMs, random = Math.random) {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return cap / 2 + random() * (cap / 2) + random() * spreadMs;
}

/**
 * One socket, many subscriptions. Each subscription has handlers:
 *   onSubscribed(seq, fresh)  fresh = no `since` was sent (first time, or after a resync): refetch over HTTP now
 *   onEvent(message)          each event once, in seq order
 *   onError(message)          the server refused something (e.g. a subscription type it does not know yet)
 */
export class Live {
  constructor({ url, getToken, onState, onSessionEnded }) {
    this.url = url;
    this.getToken = getToken;
    this.onState = onState || (() => {});
    // 4001 (bad token) / 4002 (logout, revocation, role change): the app re-checks who is signed in.
    this.onSessionEnded = onSessionEnded || (() => {});
    this.subs = new Map();
    this.ws = null;
    this.attempt = 0;
    this.spreadMs = 0;
    this.timer = null;
    this.pinger = null;
    this.stopped = true;
    this.state = "idle";
    this._onOnline = () => this.reconnectNow();
    this._onVisible = () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    };
  }

  get available() {
    return Boolean(this.url) && typeof WebSocket !== "undefined";
  }

  start() {
    if (!this.available) {
      this._setState("unavailable");
      return;
    }
    this.stopped = false;
    window.addEventListener("online", this._onOnline);
    document.addEventListener("visibilitychange", this._onVisible);
    this._connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this._onOnline);
    document.removeEventListener("visibilitychange", this._onVisible);
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  /** Sign-in or sign-out: a new socket authenticates afresh; subscriptions resume where they were. */
  restart() {
    if (this.stopped) return;
    this._closeQuietly();
    clearTimeout(this.timer);
    this.attempt = 0;
    this._connect();
  }

  reconnectNow() {
    if (this.stopped || this.suspended || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this._connect();
  }

  subscribe(id, spec, handlers) {
    const previous = this.subs.get(id);
    if (previous) this._send({ type: "unsubscribe", id });
    const sub = { id, spec, handlers, lastSeq: null, confirmed: false };
    this.subs.set(id, sub);
    this._sendSubscribe(sub);
    return sub;
  }

  unsubscribe(id) {
    if (!this.subs.delete(id)) return;
    this._send({ type: "unsubscribe", id });
  }

  /** Drop the socket as a flaky network would; it reconnects by itself with backoff. */
  drop() {
    if (this.ws) this.ws.close(4000, "dropped");
  }

  /** Go offline on purpose (tests, diagnostics): no reconnect until resume(). */
  suspend() {
    this.suspended = true;
    clearTimeout(this.timer);
    this._closeQuietly();
    clearInterval(this.pinger);
    this._setState("reconnecting");
  }

  resume() {
    this.suspended = false;
    this.reconnectNow();
  }

  /** Close the socket with its onclose detached: the caller, not the reconnect-with-backoff path, decides
   * what happens next (a fresh socket at once, or none until resume()). */
  _closeQuietly() {
    if (!this.ws) return;
    const old = this.ws;
    this.ws = null;
    old.onclose = null;
    old.close(1000);
  }

  _setState(state) {
    this.state = state;
    this.onState(state);
  }

  _connect() {
    if (this.suspended) return;
    this._setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn("warga live: cannot open", err);
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const tok = this.getToken();
      // The token travels as the first message, never in the URL (URLs end up in logs).
      if (tok) this._send({ type: "auth", token: tok });
      for (const sub of this.subs.values()) {
        sub.confirmed = false;
        this._sendSubscribe(sub);
      }
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this._send({ type: "ping" }), PING_EVERY_MS);
    };
    ws.onmessage = (e) => this._receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      if (this.stopped) return;
      console.info("warga live: closed", e.code, e.reason);
      this._scheduleReconnect();
      if (e.code === 4001 || e.code === 4002) this.onSessionEnded(e.code);
    };
    ws.onerror = () => {
      /* onclose follows and schedules the reconnect */
    };
  }

  _scheduleReconnect() {
    this._setState("reconnecting");
    const delay = reconnectDelay(this.attempt, this.spreadMs);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }

  _sendSubscribe(sub) {
    const msg = { type: "subscribe", id: sub.id, ...sub.spec };
    if (sub.lastSeq !== null) msg.since = sub.lastSeq;
    sub.fresh = sub.lastSeq === null;
    this._send(msg);
  }

  _send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  _receive(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (Number.isFinite(msg.reconnect_spread_ms)) {
      this.spreadMs = Math.min(MAX_BACKOFF_MS, Math.max(0, msg.reconnect_spread_ms));
    }
    if (msg.type === "event") {
      const sub = this.subs.get(msg.sub);
      if (!sub) return;
      // Replay after a reconnect may repeat what we saw: seq is the one identity of an event.
      if (sub.lastSeq !== null && msg.seq <= sub.lastSeq) return;
      sub.lastSeq = msg.seq;
      sub.handlers.onEvent?.(msg);
    } else if (msg.type === "subscribed") {
      const sub = this.subs.get(msg.id);
      if (!sub) return;
      sub.confirmed = true;
      if (sub.lastSeq === null || msg.seq < sub.lastSeq) sub.lastSeq = msg.seq;
      this.attempt = 0;
      this._setState("live");
      sub.handlers.onSubscribed?.(msg.seq, sub.fresh);
    } else if (msg.type === "resync") {
      const sub = this.subs.get(msg.sub);
      if (!sub) return;
      // The server cannot replay from our seq: start afresh, and the fresh `subscribed` makes us refetch.
      sub.lastSeq = null;
      this._send({ type: "unsubscribe", id: sub.id });
      this._sendSubscribe(sub);
    } else if (msg.type === "error") {
      console.warn("warga live: error", msg.code, msg.message);
      const sub = msg.id ? this.subs.get(msg.id) : msg.sub ? this.subs.get(msg.sub) : null;
      if (sub) sub.handlers.onError?.(msg);
    }
  }
}
