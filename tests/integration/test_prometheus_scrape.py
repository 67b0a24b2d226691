#!/usr/bin/python3
"""test_prometheus_scrape.py: Debian's real Prometheus server scrapes a real
`trader run` on loopback, with the shipped deploy/prometheus.yml and
alerts.yml (only the target and intervals changed), and its query API
answers with trader's figures: the target is up, trader_equity equals the
equity of GET /api/v1/account, the counters are there, and the rules load.

    test_prometheus_scrape.py TRADER_BIN DEPLOY_DIR

Exits 77 (skipped) when prometheus is not installed, unless
TR_REQUIRE_ORACLES=1 (then it fails).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from decimal import Decimal

TRADER = os.path.abspath(sys.argv[1])
DEPLOY = os.path.abspath(sys.argv[2])
PROM = shutil.which("prometheus")
if not PROM:
    if os.environ.get("TR_REQUIRE_ORACLES") == "1":
        sys.exit("prometheus is not installed (scripts/setup.sh test installs it)")
    print("skipped: prometheus is not installed")
    sys.exit(77)

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, key=None):
    req = urllib.request.Request(url)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


tmp = tempfile.mkdtemp(prefix="tr-prom-")
procs = []
try:
    subprocess.run([TRADER, "data", "gen", "--symbols", "2", "--bars", "200",
                    "--seed", "3", "--out", tmp + "/data"], check=True,
                   capture_output=True)
    tport, pport = free_port(), free_port()
    cfg = tmp + "/p.yaml"
    with open(cfg, "w") as f:
        f.write("""cash: 100000
data:
  - {symbol: SYNA, file: %(d)s/data/SYNA.csv}
  - {symbol: SYNB, file: %(d)s/data/SYNB.csv}
strategy: {name: sma_cross, params: {fast: 5, slow: 20}}
run:
  journal: %(d)s/run/journal
  database: %(d)s/run/trader.db
  feed: {type: replay, speed: max}
api:
  listen: 127.0.0.1:%(p)d
""" % {"d": tmp, "p": tport})
    os.makedirs(tmp + "/run")
    key = subprocess.run([TRADER, "keys", "create", "--role", "viewer",
                          "-c", cfg], capture_output=True, text=True,
                         check=True).stdout.strip()
    log = open(tmp + "/trader.log", "w")
    procs.append(subprocess.Popen([TRADER, "--log-json", "run", "-c", cfg],
                                  stdout=log, stderr=subprocess.STDOUT))
    base = "http://127.0.0.1:%d" % tport
    for _ in range(200):
        try:
            if '"feed":"ended"' in get(base + "/api/v1/ready"):
                break
        except Exception:
            pass
        time.sleep(0.05)

    # The shipped scrape config and rules, pointed at this trader.
    text = open(os.path.join(DEPLOY, "prometheus.yml")).read()
    text = text.replace("127.0.0.1:8080", "127.0.0.1:%d" % tport)
    text = re.sub(r"scrape_interval: \S+", "scrape_interval: 1s", text)
    text = re.sub(r"evaluation_interval: \S+", "evaluation_interval: 1s", text)
    with open(tmp + "/prometheus.yml", "w") as f:
        f.write(text)
    shutil.copy(os.path.join(DEPLOY, "alerts.yml"), tmp + "/alerts.yml")
    plog = open(tmp + "/prometheus.log", "w")
    procs.append(subprocess.Popen(
        [PROM, "--config.file=" + tmp + "/prometheus.yml",
         "--storage.tsdb.path=" + tmp + "/tsdb",
         "--web.listen-address=127.0.0.1:%d" % pport],
        stdout=plog, stderr=subprocess.STDOUT, cwd=tmp))
    papi = "http://127.0.0.1:%d/api/v1/" % pport

    def query(q):
        try:
            doc = json.loads(get(papi + "query?query=" + urllib.parse.quote(q)))
        except Exception:
            return None
        res = doc.get("data", {}).get("result", [])
        return res[0]["value"][1] if res else None

    up = None
    for _ in range(300):  # Prometheus starts, then scrapes every second
        up = query('up{job="trader"}')
        if up == "1" and query("trader_equity") is not None:
            break
        time.sleep(0.1)
    check(up == "1", "Prometheus scraped trader: up = %s" % up)
    acct = json.loads(get(base + "/api/v1/account", key),
                      parse_float=Decimal)
    eq = query("trader_equity")
    check(eq is not None and abs(Decimal(eq) - acct["equity"]) < Decimal("1e-6"),
          "trader_equity %s = the API's equity %s" % (eq, acct["equity"]))
    bars = query('trader_events_total{type="bar"}')
    check(bars is not None and int(float(bars)) == 400,
          "trader_events_total{type=\"bar\"} = %s (2 symbols x 200 bars)" % bars)
    halted = query("trader_halted")
    check(halted == "0", "trader_halted = %s" % halted)
    hist = query("trader_api_latency_seconds_count")
    check(hist is not None and float(hist) >= 1,
          "API latency histogram counted requests: %s" % hist)
    rules = json.loads(get(papi + "rules"))
    names = [r["name"] for g in rules["data"]["groups"] for r in g["rules"]]
    check("TraderTradingHalted" in names and len(names) >= 6,
          "the alert rules loaded: %s" % names)
    targets = json.loads(get(papi + "targets"))
    active = targets["data"]["activeTargets"]
    check(active and active[0]["health"] == "up" and
          not active[0]["lastError"],
          "target health: %s" % (active[0]["lastError"] if active else None))
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    if failures:
        for name in ["trader.log", "prometheus.log"]:
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                print("---- " + name)
                print(open(path).read()[-3000:])
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)
