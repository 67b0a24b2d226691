#!/usr/bin/python3
"""test_api.py: the REST API and the WebSocket stream of a real `trader run`
on loopback, driven by a real HTTP client.

    test_api.py TRADER_BIN

Phase A, while the feed replays: a signal is executed and filled, the
stream delivers bars, orders and fills in journal order, money adds up
exactly. Phase B, after the feed: every route, auth and roles, error codes,
a malformed-input corpus that must leave the journal and the state
unchanged, orders that rest and are cancelled, the kill switch, strategy
controls, metrics. Phase C: kill -9 and restart: the API shows the same
state, rebuilt from the journal. Phase D: a run with a tiny rate limit.
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal

TRADER = os.path.abspath(sys.argv[1])
failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class Api:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def call(self, method, path, key=None, body=None, raw=None, headers=None):
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        if key:
            req.add_header("Authorization", "Bearer " + key)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, text, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read(), e.headers
        ctype = hdrs.get("Content-Type", "")  # any case
        if ctype.startswith("application/json"):
            doc = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        else:
            doc = text.decode()
        return status, doc, hdrs


def start_run(cfg, log):
    """trader run in the background; its port from the log."""
    f = open(log, "w")
    p = subprocess.Popen([TRADER, "--log-json", "run", "-c", cfg],
                         stdout=f, stderr=subprocess.STDOUT)
    for _ in range(600):
        time.sleep(0.05)
        text = open(log).read()
        m = re.search(r"serving http://127\.0\.0\.1:(\d+)/api/v1", text)
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
    print(open(log).read(), file=sys.stderr)
    raise SystemExit("trader run did not start serving")


def wait_for(fn, what, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    check(False, "timed out waiting for " + what)
    return None


def make_key(db, role, name):
    out = subprocess.run([TRADER, "keys", "create", "--role", role,
                          "--name", name, "--db", db],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


# ---- a minimal WebSocket client (RFC 6455), enough for the stream ----------

class Ws:
    def __init__(self, port, path):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n"
                        % (path, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split()[1]) if head else 0

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        hdr = bytes([0x81])
        n = len(payload)
        hdr += bytes([0x80 | n]) if n < 126 else \
            bytes([0x80 | 126]) + n.to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(hdr + mask + masked)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        """The next text message (None when the server closed)."""
        while True:
            try:
                self._need(2)
            except (EOFError, socket.timeout):
                return None
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            off = 2
            if n == 126:
                self._need(4)
                n, off = int.from_bytes(self.buf[2:4], "big"), 4
            elif n == 127:
                self._need(10)
                n, off = int.from_bytes(self.buf[2:10], "big"), 10
            self._need(off + n)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            if op == 8:
                return None
            if op == 1:
                return payload.decode()

    def close(self):
        self.s.close()


# ---- the set-up ---------------------------------------------------------------

tmp = tempfile.mkdtemp(prefix="tr-api-")
try:
    subprocess.run([TRADER, "data", "gen", "--symbols", "3", "--bars", "300",
                    "--seed", "11", "--out", tmp + "/data"],
                   check=True, capture_output=True)
    keys = tmp + "/run/keys.db"
    cfg = tmp + "/api.yaml"

    def write_cfg(path, speed, rate_limit, run="run"):
        with open(path, "w") as f:
            f.write("""cash: 100000
data:
  - {symbol: SYNA, file: %(d)s/data/SYNA.csv}
  - {symbol: SYNB, file: %(d)s/data/SYNB.csv}
  - {symbol: SYNC, file: %(d)s/data/SYNC.csv}
strategy: {name: sma_cross, params: {fast: 5, slow: 20}}
sizing: {method: fixed, qty: 10}
risk: {enabled: true, max_position_pct: 50, max_open_positions: 10}
run:
  journal: %(d)s/%(run)s/journal
  database: %(d)s/%(run)s/trader.db
  fsync: interval
  feed: {type: replay, speed: %(speed)s}
api:
  listen: 127.0.0.1:0
  keys: %(keys)s
  rate_limit: %(rl)d
""" % {"d": tmp, "speed": speed, "keys": keys, "rl": rate_limit,
       "run": run})

    os.makedirs(tmp + "/run")
    admin = make_key(keys, "admin", "ops")
    trader = make_key(keys, "trader", "bot")
    viewer = make_key(keys, "viewer", "screen")
    # 300 daily bars at 20 a second: about 15 s of live feed.
    write_cfg(cfg, 86400 * 20, 1000000)
    proc, port = start_run(cfg, tmp + "/run1.log")
    api = Api(port)

    # ---- phase A: while the feed runs ------------------------------------------
    st, doc, _ = api.call("GET", "/api/v1/health")
    check(st == 200 and doc == {"status": "ok"}, "health: %s %s" % (st, doc))
    wait_for(lambda: api.call("GET", "/api/v1/ready")[0] == 200, "ready")

    ws = Ws(port, "/api/v1/stream?token=" + viewer)
    check(ws.status == 101, "websocket upgrade: %s" % ws.status)
    ws.send(json.dumps({"subscribe": ["bars", "orders", "fills"]}))
    first = json.loads(ws.recv())
    check(first.get("type") == "subscribed" and
          sorted(first.get("channels", [])) == ["bars", "fills", "orders"],
          "subscribed answer: %s" % first)
    bad = Ws(port, "/api/v1/stream")
    check(bad.status == 401, "websocket without a token: %s" % bad.status)
    bad.close()

    # A signal from outside: executed, then filled at a following bar.
    sig = {"symbol": "SYNB", "action": "BUY", "quantity": 5,
           "confidence": 0.8, "strategy_id": "tv-alert",
           "signal_id": "alert-0001", "metadata": {"source": "test"}}
    st, ans, _ = api.call("POST", "/api/v1/signals", trader, sig)
    check(st == 200 and ans["status"] == "executed" and
          ans["order_id"] is not None and ans["quantity"] == 5,
          "signal executed: %s %s" % (st, ans))
    oid = int(ans["order_id"])
    check(Decimal(ans["latency_us"]) > 0, "latency_us is measured")
    st, again, _ = api.call("POST", "/api/v1/signals", trader, sig)
    check(st == 200 and again["duplicate"] is True and
          again["order_id"] == ans["order_id"],
          "the same signal_id again: the first answer: %s" % again)

    def filled():
        s, o, _ = api.call("GET", "/api/v1/orders/%d" % oid, viewer)
        return o if s == 200 and o["status"] == "filled" else None
    order = wait_for(filled, "the signal's order to fill")

    # The stream: every message in journal order; the order and its fill.
    seqs, kinds, saw_fill, evs = [], set(), False, []
    end = time.time() + 10
    while time.time() < end and not saw_fill:
        m = ws.recv()
        if m is None:
            break
        ev = json.loads(m)
        evs.append(ev)
        seqs.append(ev["seq"])
        kinds.add(ev["type"])
        if ev["type"] == "fill" and ev["data"]["order_id"] == oid:
            saw_fill = True
    check(saw_fill, "the stream delivered the fill of order %d" % oid)
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
          "stream messages in strictly increasing journal order: %s" %
          [(a["seq"], a["type"], b["seq"], b["type"])
           for a, b in zip(evs, evs[1:]) if b["seq"] <= a["seq"]][:4])
    check({"bar", "order", "fill"} <= kinds, "stream kinds: %s" % kinds)
    ws.close()

    # ---- phase B: after the feed ---------------------------------------------------
    wait_for(lambda: api.call("GET", "/api/v1/ready")[1]["components"]["feed"]
             == "ended", "the feed to end", timeout=60)

    # Money adds up exactly: cash + market values = equity.
    st, acct, _ = api.call("GET", "/api/v1/account", viewer)
    st2, pos, _ = api.call("GET", "/api/v1/positions", viewer)
    total_mv = sum((p["market_value"] for p in pos["positions"]), Decimal(0))
    check(st == 200 and acct["cash"] + total_mv == acct["equity"],
          "cash %s + positions %s == equity %s" %
          (acct["cash"], total_mv, acct["equity"]))
    check(acct["total_pnl"] == acct["equity"] - acct["initial_cash"],
          "total P&L = equity - initial cash")
    st, tr, _ = api.call("GET", "/api/v1/trades?symbol=SYNB&limit=10000",
                         viewer)
    check(any(int(t["order_id"]) == oid and t["qty"] == 5
              for t in tr["trades"]), "the signal's fill is among the trades")
    # Round trips, counted here from every fill: flat to flat, a fill
    # that crosses zero closes one and opens the next.
    st, every, _ = api.call("GET", "/api/v1/trades?limit=10000", viewer)
    pos, trips = {}, 0
    for t in reversed(every["trades"]):
        before = pos.get(t["symbol"], Decimal(0))
        after = before + (t["qty"] if t["side"] == "buy" else -t["qty"])
        trips += before != 0 and (after == 0 or (after > 0) != (before > 0))
        pos[t["symbol"]] = after
    st, strat, _ = api.call("GET", "/api/v1/strategies/sma_cross", viewer)
    check(len(every["trades"]) < 10000 and strat["trades"] == trips and
          trips > 0 and 0 <= strat["trades_won"] <= trips,
          "round trips %s (won %s), from the fills %d" %
          (strat["trades"], strat["trades_won"], trips))
    st, one, _ = api.call("GET", "/api/v1/positions/SYNA", viewer)
    check(st == 200 and one["symbol"] == "SYNA", "one position: %s" % st)
    st, _, _ = api.call("GET", "/api/v1/positions/NOPE", viewer)
    check(st == 404, "unknown symbol in a path: 404, got %s" % st)

    def journal_seq():
        return api.call("GET", "/api/v1/ready")[1]["journal_seq"]

    def state():
        return (api.call("GET", "/api/v1/account", viewer)[1],
                api.call("GET", "/api/v1/positions?all=true", viewer)[1],
                api.call("GET", "/api/v1/orders?limit=10000&status=all",
                         viewer)[1])

    seq0, state0 = journal_seq(), state()

    # Auth and roles.
    for path, key, want in [
            ("/api/v1/positions", None, 401),
            ("/api/v1/positions", "trk_" + "0" * 64, 401),
            ("/api/v1/positions", "not-a-token", 401),
            ("/api/v1/positions", viewer, 200),
            ("/api/v1/risk", viewer, 200)]:
        st, doc, _ = api.call("GET", path, key)
        check(st == want, "GET %s with %s: %s, expected %s" %
              (path, (key or "no key")[:8], st, want))
        if st != 200:
            check(set(doc["error"]) == {"code", "message", "field"},
                  "error body shape: %s" % doc)
    st, doc, _ = api.call("GET", "/api/v1/positions",
                          headers={"Authorization": "Basic abc"})
    check(st == 401, "Basic auth refused: %s" % st)
    st, doc, _ = api.call("POST", "/api/v1/signals", viewer,
                          {"symbol": "SYNA", "action": "BUY"})
    check(st == 403 and "trader role" in doc["error"]["message"],
          "viewer cannot trade: %s %s" % (st, doc))
    st, doc, _ = api.call("POST", "/api/v1/risk/halt", trader)
    check(st == 403, "trader cannot halt: %s" % st)
    st, doc, _ = api.call("PATCH", "/api/v1/strategies/sma_cross", trader,
                          {"enabled": False})
    check(st == 403, "trader cannot change strategies: %s" % st)

    # Sessions: a login with a key gives a token that works like the key.
    st, login, _ = api.call("POST", "/api/v1/auth/login", None,
                            {"key": viewer})
    check(st == 200 and login["role"] == "viewer", "login: %s" % st)
    st, _, _ = api.call("GET", "/api/v1/portfolio", login["token"])
    check(st == 200, "session token reads: %s" % st)
    st, _, _ = api.call("POST", "/api/v1/signals", login["token"],
                        {"symbol": "SYNA", "action": "HOLD"})
    check(st == 403, "a viewer's session cannot trade: %s" % st)
    st, _, _ = api.call("POST", "/api/v1/auth/login", None,
                        {"key": "trk_" + "1" * 64})
    check(st == 401, "login with an unknown key: %s" % st)

    # Routing errors.
    st, _, _ = api.call("GET", "/api/v1/nope", viewer)
    check(st == 404, "unknown route: %s" % st)
    st, _, hdr = api.call("PUT", "/api/v1/orders", trader, {})
    check(st == 405 and "GET" in hdr.get("Allow", ""),
          "wrong method: %s %s" % (st, hdr.get("Allow")))
    st, _, _ = api.call("GET", "/api/v1/orders/99999", viewer)
    check(st == 404, "unknown order: %s" % st)

    # The malformed-input corpus: each gets its 4xx with a message and
    # changes nothing.
    corpus = [
        ("POST", "/api/v1/signals", b"{", 400, None),
        ("POST", "/api/v1/signals", b"", 400, None),
        ("POST", "/api/v1/signals", b"[1,2]", 400, None),
        ("POST", "/api/v1/signals", b'"BUY"', 400, None),
        ("POST", "/api/v1/signals", b'{"symbol":"SYNA","action":"BUY",'
         b'"quantity":NaN}', 400, None),
        ("POST", "/api/v1/signals", b'{"symbol":"SYNA","symbol":"SYNB",'
         b'"action":"BUY"}', 400, None),
        ("POST", "/api/v1/signals", {"action": "BUY"}, 422, "symbol"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA"}, 422, "action"),
        ("POST", "/api/v1/signals", {"symbol": 42, "action": "BUY"}, 422,
         "symbol"),
        ("POST", "/api/v1/signals", {"symbol": "ZZZZ", "action": "BUY"}, 422,
         "symbol"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "YOLO"},
         422, "action"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": -5}, 422, "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": 0}, 422, "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": 1e300}, 422, "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": "1.123456789"}, 422,
         "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": "ten"}, 422, "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "quantity": True}, 422, "quantity"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "confidence": 1.5}, 422, "confidence"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "unknown": 1}, 422, "unknown"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA'; DROP TABLE orders;--",
                                     "action": "BUY"}, 422, "symbol"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "signal_id": "has space"}, 422,
         "signal_id"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "metadata": "text"}, 422, "metadata"),
        ("POST", "/api/v1/signals", {"symbol": "SYNA", "action": "BUY",
                                     "timestamp": "yesterday"}, 422,
         "timestamp"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy",
                                    "type": "limit", "qty": 1}, 422,
         "limit_price"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy",
                                    "qty": 1, "stop_price": 5}, 422,
         "stop_price"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "hold",
                                    "qty": 1}, 422, "side"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "qty": 1}, 422, "side"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy"}, 422,
         "qty"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy",
                                    "qty": 1, "type": "iceberg"}, 422,
         "type"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy",
                                    "qty": 1, "type": "limit",
                                    "limit_price": 10, "stop_loss": 11}, 422,
         "stop_loss"),
        ("POST", "/api/v1/orders", {"symbol": "SYNA", "side": "buy",
                                    "qty": 1, "time_in_force": "forever"},
         422, "time_in_force"),
        ("PATCH", "/api/v1/strategies/sma_cross", {"params": {"fast": 2.5}},
         422, "params.fast"),
        ("PATCH", "/api/v1/strategies/sma_cross", {"params": {"speed": 2}},
         422, "params.speed"),
        ("PATCH", "/api/v1/strategies/sma_cross", {"enabled": "yes"}, 422,
         "enabled"),
        ("PATCH", "/api/v1/strategies/sma_cross", {}, 422, None),
        ("PATCH", "/api/v1/strategies/nope", {"enabled": True}, 404, None),
        ("GET", "/api/v1/orders?limit=0", None, 400, "limit"),
        ("GET", "/api/v1/orders?limit=abc", None, 400, "limit"),
        ("GET", "/api/v1/orders?status=weird", None, 400, "status"),
        ("GET", "/api/v1/orders?since=notadate", None, 400, "since"),
        ("GET", "/api/v1/trades?symbol=NOPE", None, 422, "symbol"),
        ("DELETE", "/api/v1/orders/abc", None, 404, None),
        ("DELETE", "/api/v1/orders/99999", None, 404, None),
        ("POST", "/api/v1/positions/NOPE/close", None, 404, None),
    ]
    for method, path, body, want, field in corpus:
        raw = body if isinstance(body, bytes) else None
        js = body if not isinstance(body, bytes) else None
        key = admin
        st, doc, _ = api.call(method, path, key, js, raw)
        ok = st == want and isinstance(doc, dict) and "error" in doc and \
            doc["error"]["message"] and \
            (field is None or doc["error"]["field"] == field)
        check(ok, "%s %s %r: %s %s (expected %s, field %s)" %
              (method, path, body if not isinstance(body, bytes) else body[:40],
               st, doc, want, field))
    # A body over the limit (1 MiB).
    # The server refuses it from its Content-Length, before the body.
    hs = socket.create_connection(("127.0.0.1", port), timeout=10)
    hs.sendall(("POST /api/v1/signals HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json"
                "\r\nContent-Length: %d\r\n\r\n" % (trader, 2 << 20)).encode())
    head = hs.recv(4096).decode(errors="replace")
    hs.close()
    check(head.startswith("HTTP/1.1 413"), "huge body: %s" % head[:40])
    check(journal_seq() == seq0, "the corpus journaled nothing")
    check(state() == state0, "the corpus changed no state")

    # An order that rests, found, listed, cancelled; cancelling again
    # is a conflict.
    body = {"symbol": "SYNA", "side": "buy", "type": "limit", "qty": "2",
            "limit_price": "1.5", "time_in_force": "gtc",
            "client_order_id": "my-1"}
    st, o, hdr = api.call("POST", "/api/v1/orders", trader, body)
    check(st == 201 and o["status"] == "accepted" and o["type"] == "limit" and
          o["limit_price"] == Decimal("1.5") and o["qty"] == 2,
          "limit order placed: %s %s" % (st, o))
    lid = int(o["id"])
    check(hdr.get("Location") == "/api/v1/orders/%d" % lid, "Location header")
    st, o2, _ = api.call("POST", "/api/v1/orders", trader, body)
    check(st == 200 and int(o2["id"]) == lid,
          "same client_order_id: the same order (%s)" % st)
    st, lst, _ = api.call("GET", "/api/v1/orders?status=open&symbol=SYNA",
                          viewer)
    check(any(int(x["id"]) == lid for x in lst["orders"]),
          "open orders list it")
    st, c, _ = api.call("DELETE", "/api/v1/orders/%d" % lid, trader)
    check(st == 200 and c["status"] == "canceled", "cancel: %s %s" % (st, c))
    st, c, _ = api.call("DELETE", "/api/v1/orders/%d" % lid, trader)
    check(st == 409, "cancel a cancelled order: %s" % st)
    # Too big for the position limit: refused by risk with the reason.
    st, doc, _ = api.call("POST", "/api/v1/orders", trader,
                          {"symbol": "SYNC", "side": "buy", "qty": 100000})
    check(st == 422 and doc["error"]["code"].startswith("risk_"),
          "risk refusal: %s %s" % (st, doc))

    # Kill switch: halt refuses new entries, resume allows them.
    st, risk, _ = api.call("POST", "/api/v1/risk/halt", admin)
    check(st == 200 and risk["halted"] is True and risk["kill_switch"],
          "halt: %s" % risk)
    st, ans, _ = api.call("POST", "/api/v1/signals", trader,
                          {"symbol": "SYNC", "action": "BUY", "quantity": 1})
    check(st == 200 and ans["status"] == "rejected" and
          ans["reason"] == "kill_switch", "halted: %s" % ans)
    st, risk, _ = api.call("POST", "/api/v1/risk/resume", admin)
    check(st == 200 and risk["halted"] is False, "resume: %s" % risk)
    check(any(a["kind"] == "kill_switch" for a in risk["alerts"]),
          "the halt is among the risk alerts")

    # Strategy controls, validated.
    st, s, _ = api.call("PATCH", "/api/v1/strategies/sma_cross", admin,
                        {"enabled": False, "params": {"fast": 7}})
    check(st == 200 and s["enabled"] is False and s["params"]["fast"] == 7,
          "strategy patched: %s %s" % (st, s))
    st, doc, _ = api.call("PATCH", "/api/v1/strategies/sma_cross", admin,
                          {"params": {"fast": 50}})
    check(st == 422 and doc["error"]["field"] == "params",
          "fast >= slow refused by the strategy: %s %s" % (st, doc))
    st, s, _ = api.call("GET", "/api/v1/strategies", viewer)
    check(s["strategies"][0]["params"]["fast"] == 7,
          "a refused change changed nothing")

    # Bars from the database.
    def bars():
        s, b, _ = api.call("GET", "/api/v1/bars/SYNA?limit=5", viewer)
        return b if s == 200 and len(b["bars"]) == 5 else None
    b = wait_for(bars, "bars in the database")
    if b:
        times = [x["time"] for x in b["bars"]]
        check(times == sorted(times), "bars oldest first")

    # Signal history from the database: the posted ones with their risk
    # decision, newest first, filtered; the same rows as the table itself.
    def signals_in_store():
        s, d, _ = api.call("GET", "/api/v1/signals?limit=10000", viewer)
        return d if s == 200 and any(x["decision"] == "kill_switch"
                                     for x in d["signals"]) else None
    sl = wait_for(signals_in_store, "the refused signal in the database")
    if sl:
        got = sl["signals"]
        check([x["seq"] for x in got] == sorted((x["seq"] for x in got),
                                                reverse=True),
              "signals newest first")
        mine = [x for x in got if x["strategy"] == "tv-alert"]
        check(len(mine) == 1 and mine[0]["symbol"] == "SYNB" and
              mine[0]["action"] == "buy" and mine[0]["qty"] == 5 and
              mine[0]["decision"] == "ok" and
              mine[0]["confidence"] == Decimal("0.8"),
              "the posted signal, once (its repeat placed nothing): %s" %
              mine)
        halted = [x for x in got if x["decision"] == "kill_switch"]
        check(len(halted) == 1 and halted[0]["symbol"] == "SYNC" and
              halted[0]["detail"], "the refused one says why: %s" % halted)
        db = sqlite3.connect("file:%s/run/trader.db?mode=ro" % tmp,
                             uri=True)
        rows = db.execute("SELECT seq FROM signals ORDER BY seq DESC "
                          "LIMIT 10000").fetchall()
        db.close()
        have = [x["seq"] for x in got]
        check(have == [r[0] for r in rows],
              "the same signals as the table (%d vs %d rows)" %
              (len(have), len(rows)))
    st, one, _ = api.call("GET", "/api/v1/signals?symbol=SYNC&limit=2",
                          viewer)
    check(st == 200 and 1 <= len(one["signals"]) <= 2 and
          all(x["symbol"] == "SYNC" for x in one["signals"]),
          "signals of one symbol, at most limit: %s %s" % (st, one))
    st, one, _ = api.call("GET", "/api/v1/signals?since=2100-01-01",
                          viewer)
    check(st == 200 and one["signals"] == [], "since the future: none")
    for q, code, field in (("limit=0", 400, "limit"),
                           ("since=yesterday", 400, "since"),
                           ("symbol=NOPE", 422, "symbol")):
        st, e, _ = api.call("GET", "/api/v1/signals?" + q, viewer)
        check(st == code and e["error"]["field"] == field,
              "GET /signals?%s: %s %s" % (q, st, e))

    # The latest log lines: the halt's warning among them, newest first.
    st, lg, _ = api.call("GET", "/api/v1/logs?level=warn&limit=500", viewer)
    ids = [x["id"] for x in lg.get("logs", [])]
    check(st == 200 and ids == sorted(ids, reverse=True) and
          all(x["level"] in ("warn", "error") for x in lg["logs"]) and
          any(x["component"] == "risk" and "kill switch" in x["message"]
              for x in lg["logs"]),
          "warnings in GET /logs: %s %s" % (st, lg))
    st, lg, _ = api.call("GET", "/api/v1/logs?limit=1", viewer)
    check(st == 200 and len(lg["logs"]) == 1 and lg["logs"][0]["id"] >= max(ids),
          "the newest log line: %s" % lg)
    for q in ("limit=0", "limit=501", "level=debug", "level=loud"):
        st, e, _ = api.call("GET", "/api/v1/logs?" + q, viewer)
        check(st == 400, "GET /logs?%s: %s %s" % (q, st, e))

    # Metrics: the standard set, counted requests, no key needed.
    st, text, hdr = api.call("GET", "/metrics")
    check(st == 200 and "text/plain" in hdr.get("Content-Type", ""),
          "metrics: %s" % st)
    for name in ["trader_equity", "trader_orders_total{status=\"filled\"}",
                 "trader_signals_total{outcome=\"executed\"}",
                 "trader_api_requests_total", "trader_events_total{type=\"bar\"}",
                 "trader_bar_to_order_latency_seconds_bucket",
                 "trader_api_latency_seconds_bucket"]:
        check(name in text, "metrics has %s" % name)
    st, doc, _ = api.call("GET", "/api/v1/openapi.json")
    check(st == 200 and doc.get("openapi", "").startswith("3."),
          "openapi.json served")

    # A backtest in a worker process: queued, then done with metrics and a
    # report; a bad config is refused with its line.
    btcfg = """cash: 50000
data:
  - {symbol: SYNA, file: %s/data/SYNA.csv}
strategy: {name: sma_cross, params: {fast: 5, slow: 20}}
sizing: {method: fixed, qty: 10}
""" % tmp
    st, job, hdr = api.call("POST", "/api/v1/backtests", trader,
                            {"config": btcfg})
    check(st == 202 and job["status"] in ("queued", "running", "done"),
          "backtest accepted: %s %s" % (st, job))
    bid = int(job["id"])

    def bt_done():
        s, j, _ = api.call("GET", "/api/v1/backtests/%d" % bid, viewer)
        return j if s == 200 and j["status"] in ("done", "failed") else None
    job = wait_for(bt_done, "the backtest to finish", timeout=60)
    check(job and job["status"] == "done" and job["progress"] == 1 and
          isinstance(job["metrics"], dict) and "portfolio" in job["metrics"],
          "backtest done with metrics: %s" % (job and {k: job[k] for k in
                                                       ("status", "error")}))
    st, html, hdr = api.call("GET", "/api/v1/backtests/%d/report" % bid,
                             viewer)
    check(st == 200 and "text/html" in hdr.get("Content-Type", "") and
          "<html" in html.lower(), "backtest report: %s" % st)
    st, lst, _ = api.call("GET", "/api/v1/backtests", viewer)
    check(st == 200 and int(lst["backtests"][0]["id"]) == bid,
          "backtests listed newest first")
    st, doc, _ = api.call("POST", "/api/v1/backtests", trader,
                          {"config": "cash: 1000\nstrategy: {name: nope}\n"})
    check(st == 422 and "config.yaml:" in doc["error"]["message"],
          "a bad config is refused with its line: %s %s" % (st, doc))
    st, _, _ = api.call("POST", "/api/v1/backtests", viewer,
                        {"config": btcfg})
    check(st == 403, "a viewer cannot start backtests: %s" % st)
    st, _, _ = api.call("GET", "/api/v1/backtests/424242", viewer)
    check(st == 404, "unknown backtest: %s" % st)

    # Keys over the API, for admins: created (shown once), used, listed,
    # revoked (then refused).
    st, doc, _ = api.call("POST", "/api/v1/keys", trader,
                          {"role": "viewer", "name": "x"})
    check(st == 403, "a trader cannot create keys: %s" % st)
    st, nk, _ = api.call("POST", "/api/v1/keys", admin,
                         {"role": "viewer", "name": "dash-2"})
    check(st == 201 and nk["key"].startswith("trk_") and
          nk["role"] == "viewer", "key created: %s" % st)
    st, _, _ = api.call("POST", "/api/v1/keys", admin,
                        {"role": "viewer", "name": "dash-2"})
    check(st == 409, "a second active key with that name: %s" % st)
    st, _, _ = api.call("POST", "/api/v1/keys", admin, {"role": "root"})
    check(st == 422, "unknown role: %s" % st)
    st, _, _ = api.call("GET", "/api/v1/portfolio", nk["key"])
    check(st == 200, "the new key works: %s" % st)
    st, lst, _ = api.call("GET", "/api/v1/keys", admin)
    check(st == 200 and any(k["id"] == nk["id"] for k in lst["keys"]) and
          all("key" not in k for k in lst["keys"]),
          "keys listed without their secrets")
    st, rv, _ = api.call("DELETE", "/api/v1/keys/" + nk["id"], admin)
    check(st == 200 and rv["revoked_at"] is not None, "revoked: %s" % st)
    st, _, _ = api.call("GET", "/api/v1/portfolio", nk["key"])
    check(st == 401, "a revoked key is refused: %s" % st)
    st, _, _ = api.call("DELETE", "/api/v1/keys/" + nk["id"], admin)
    check(st == 404, "revoking twice: %s" % st)

    # Every route the router knows is in the document (the checker below
    # goes the other way and checks schemas).
    here = os.path.dirname(os.path.abspath(__file__))
    src = open(os.path.join(here, "../../src/api/api.c")).read()
    routes = set(re.findall(r'"(/api/v1/[a-z0-9_./{}]+|/metrics)"', src))
    doc = json.load(open(os.path.join(here, "../../src/api/openapi.json")))
    missing = sorted(r for r in routes if r not in doc["paths"])
    check(len(routes) >= 25 and not missing,
          "routes missing from openapi.json: %s" % missing)

    # Every route and schema against the OpenAPI document, both ways.
    chk = subprocess.run([sys.executable,
                          os.path.join(os.path.dirname(__file__),
                                       "openapi_check.py"),
                          api.base, admin], capture_output=True, text=True)
    check(chk.returncode == 0, "openapi_check: %s" %
          "\n".join(l for l in chk.stdout.splitlines()
                    if l.startswith("FAIL"))[-2000:])

    final = state()
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    # ---- phase C: restart after kill -9: the same state --------------------------
    proc, port = start_run(cfg, tmp + "/run2.log")
    api = Api(port)
    wait_for(lambda: api.call("GET", "/api/v1/ready")[0] == 200 and
             api.call("GET", "/api/v1/ready")[1]["components"]["feed"] ==
             "ended", "ready after restart", timeout=60)
    again = state()
    check(again[0]["cash"] == final[0]["cash"] and
          again[0]["equity"] == final[0]["equity"],
          "account after restart: %s vs %s" % (again[0], final[0]))
    check(again[1] == final[1], "positions after restart")
    check(again[2] == final[2], "orders after restart")
    st, s, _ = api.call("GET", "/api/v1/strategies/sma_cross", viewer)
    check(s["enabled"] is False and s["params"]["fast"] == 7,
          "strategy controls replayed: %s" % s)
    st, ans, _ = api.call("POST", "/api/v1/signals", trader, sig)
    check(ans["duplicate"] is True and int(ans["order_id"]) == oid,
          "signal ids remembered across restarts: %s" % ans)
    proc.send_signal(signal.SIGTERM)
    check(proc.wait(timeout=30) == 0, "clean stop")

    # ---- phase D: rate limits ---------------------------------------------------------
    cfg2 = tmp + "/api_rl.yaml"
    write_cfg(cfg2, "max", 5, run="run_rl")
    proc, port = start_run(cfg2, tmp + "/run3.log")
    api = Api(port)
    codes = [api.call("GET", "/api/v1/portfolio", viewer) for _ in range(7)]
    check([c[0] for c in codes[:5]] == [200] * 5, "5 requests allowed")
    check(codes[5][0] == 429 and int(codes[5][2].get("Retry-After", "0")) >= 1,
          "the 6th is rate-limited with Retry-After: %s %s" %
          (codes[5][0], codes[5][2].get("Retry-After")))
    st, _, _ = api.call("GET", "/api/v1/portfolio", admin)
    check(st == 200, "another key has its own bucket: %s" % st)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
finally:
    for p in [globals().get("proc")]:
        if p and p.poll() is None:
            p.kill()
    if failures:
        for log in ["run1.log", "run2.log", "run3.log"]:
            path = os.path.join(tmp, log)
            if os.path.exists(path):
                print("---- " + log, file=sys.stderr)
                print(open(path).read()[-3000:], file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)

print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)
