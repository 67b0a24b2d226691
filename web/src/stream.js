// stream.js: the WebSocket stream (/api/v1/stream), reconnecting by itself
// with a growing delay (0.5 s doubling to 10 s). Browsers cannot set headers
// on a WebSocket, so the session token goes in ?token=.

export class Stream {
  // tokenFn() -> the session token; channels: names to subscribe to;
  // onEvent(msg) for each {type, seq, time, data}; onState(state, info) with
  // state 'connecting' | 'live' | 'down'.
  constructor({ tokenFn, channels, onEvent, onState }) {
    Object.assign(this, { tokenFn, channels, onEvent, onState });
    this.ws = null;
    this.delay = 500;
    this.timer = null;
    this.stopped = true;
    this.attempts = 0;
    this.received = 0;
    this.state = 'down';
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'bye');
      this.ws = null;
    }
    this.setState('down');
  }

  setState(s, info = {}) {
    this.state = s;
    this.onState?.(s, info);
  }

  connect() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/v1/stream?token=${encodeURIComponent(this.tokenFn())}`;
    this.setState('connecting', { attempts: this.attempts });
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ subscribe: this.channels }));
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === 'subscribed') {
        this.delay = 500;
        this.attempts = 0;
        this.setState('live');
        return;
      }
      this.received++;
      this.onEvent?.(msg);
    };
    ws.onclose = (e) => {
      this.ws = null;
      this.retry(e.code, e.reason);
    };
    ws.onerror = () => { /* onclose follows and retries */ };
  }

  retry(code, reason) {
    if (this.stopped) return;
    this.attempts++;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, 10000);
    this.setState('down', { code, reason, retryIn: wait, attempts: this.attempts });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  // Reconnect now (the user asked, or the page came back to the front).
  now() {
    if (this.stopped || this.state !== 'down') return;
    clearTimeout(this.timer);
    this.connect();
  }
}
