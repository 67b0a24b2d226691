#!/usr/bin/python3
"""openapi_check.py: check a running `trader run` API against its OpenAPI
document, both ways.

    /usr/bin/python3 tests/integration/openapi_check.py BASE_URL ADMIN_KEY

BASE_URL is where the server listens (http://127.0.0.1:8080); ADMIN_KEY an
API key with the admin role (trk_ + 64 hex digits). Only BASE_URL is ever
contacted (no proxies, no redirects followed).

What it checks, one printed line each:
  - GET /api/v1/openapi.json answers the document, equal to the repository's
    src/api/openapi.json, and every schema in it is valid JSON Schema;
  - every GET operation of the document (path parameters filled with a real
    symbol, order id and strategy name, and a few query variants) answers a
    status the document lists for it, with a body valid against that
    status's schema and the documented content type;
  - requests that must fail do, with a valid Error body: no credential or a
    bad one (401), unknown routes (404), a method a path does not take (405,
    with an Allow header naming exactly the documented methods), malformed
    JSON (400), unknown fields (422), unknown symbols (404 / 422), bad query
    values (400);
  - every path and method of the document is routed by the server: sent
    without a credential it is 401 where the document asks for one (so
    nothing changes), and never 404 "no such path" or 405;
  - one HOLD signal (nothing trades) answers a valid SignalAnswer, and its
    repeat with the same signal_id is a duplicate.

Exit status: 0 when every check passed, 1 otherwise (2 for bad usage). It
needs python3-jsonschema (Debian; 4.10 is enough). Run it against a paper or
test run: it sends a HOLD signal and unauthenticated writes (which must be
refused with 401).
"""
import copy
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.stderr.write("openapi_check: needs the jsonschema module "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)

TIMEOUT_S = 15          # the server waits up to 5 s for the engine
METHODS = ("get", "put", "post", "delete", "patch", "head", "options",
           "trace")
OPENAPI_ONLY = ("discriminator", "readOnly", "writeOnly", "xml",
                "externalDocs", "example", "deprecated")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_DOC = os.path.join(HERE, "..", "..", "src", "api", "openapi.json")


# ---- HTTP, to BASE_URL only --------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is an answer like any other


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                      _NoRedirect())


class Answer:
    def __init__(self, status, headers, body, error=None):
        self.status = status
        self.headers = headers   # lower-case name -> value
        self.body = body         # bytes
        self.error = error       # str when no HTTP answer came
        self._json = None
        self.json_error = None
        if body:
            try:
                self._json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                self.json_error = str(e)
        else:
            self.json_error = "empty body"

    @property
    def json(self):
        return self._json

    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip() \
            .lower()

    def error_code(self):
        j = self._json
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("code")
        return None

    def error_message(self):
        j = self._json
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return str(j["error"].get("message", ""))
        return ""

    def snippet(self, n=300):
        text = self.body[:n].decode("utf-8", "replace")
        return text + ("..." if len(self.body) > n else "")

    def describe(self):
        if self.error:
            return "no answer (%s)" % self.error
        return str(self.status)


class Client:
    def __init__(self, base, key):
        self.base = base.rstrip("/")
        self.key = key
        self.count = 0

    def url(self, path, query=None):
        u = self.base + path
        if query:
            u += "?" + (query if isinstance(query, str)
                        else urllib.parse.urlencode(query))
        return u

    def call(self, method, path, query=None, body=None, auth=True,
             authorization=None, content_type="application/json"):
        """One request; auth=True sends the admin key (and waits out a rate
        limit once), authorization overrides the header."""
        for attempt in range(2):
            a = self._once(method, path, query, body, auth, authorization,
                           content_type)
            if a.status == 429 and auth and attempt == 0:
                try:
                    wait = int(a.headers.get("retry-after", "5"))
                except ValueError:
                    wait = 5
                time.sleep(min(max(wait, 1), 65))
                continue
            return a
        return a

    def _once(self, method, path, query, body, auth, authorization,
              content_type):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url(path, query), data=data,
                                     method=method.upper())
        if data is not None:
            req.add_header("Content-Type", content_type)
        req.add_header("Accept", "application/json, text/plain")
        if authorization is not None:
            req.add_header("Authorization", authorization)
        elif auth:
            req.add_header("Authorization", "Bearer " + self.key)
        self.count += 1
        try:
            with _OPENER.open(req, timeout=TIMEOUT_S) as r:
                return Answer(r.status, {k.lower(): v for k, v in
                                         r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except Exception:  # noqa: BLE001
                body = b""
            return Answer(e.code, {k.lower(): v for k, v in
                                   (e.headers or {}).items()}, body)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            return Answer(0, {}, b"", error=str(reason))


# ---- OpenAPI schema -> JSON Schema (draft 4) -------------------------------------

def to_json_schema(s):
    """A copy of OpenAPI 3.0 schema s as draft-4 JSON Schema: nullable
    becomes a "null" type (or enum value), OpenAPI-only keywords go."""
    if isinstance(s, list):
        return [to_json_schema(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in OPENAPI_ONLY or k.startswith("x-") or k == "nullable":
            continue
        if k in ("properties",):
            out[k] = {name: to_json_schema(x) for name, x in v.items()}
        elif k in ("items", "not", "additionalProperties", "allOf", "anyOf",
                   "oneOf"):
            out[k] = to_json_schema(v)
        else:
            out[k] = copy.deepcopy(v)
    if s.get("nullable") is True:
        if "$ref" in out or "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
        else:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
    return out


class Doc:
    def __init__(self, doc):
        self.doc = doc
        comps = doc.get("components", {})
        self.schemas = {n: to_json_schema(x)
                        for n, x in comps.get("schemas", {}).items()}
        self.responses = comps.get("responses", {})
        self.global_security = doc.get("security", [])

    def operations(self):
        for path, item in self.doc.get("paths", {}).items():
            for m, op in item.items():
                if m in METHODS:
                    yield path, m, op

    def op(self, path, method):
        return self.doc.get("paths", {}).get(path, {}).get(method.lower())

    def needs_auth(self, op):
        sec = op.get("security", self.global_security)
        return bool(sec) and all(req for req in sec)  # {} = optional

    def response(self, op, status):
        """The documented response of op for status, or None."""
        rs = op.get("responses", {})
        r = rs.get(str(status)) or rs.get("%dXX" % (status // 100)) or \
            rs.get("default")
        while isinstance(r, dict) and "$ref" in r:
            r = self.responses.get(r["$ref"].split("/")[-1])
        return r

    def validator(self, schema):
        root = {"allOf": [to_json_schema(schema)],
                "components": {"schemas": self.schemas}}
        return jsonschema.Draft4Validator(root)

    def schema_errors(self, schema, value, limit=3):
        v = self.validator(schema)
        errs = sorted(v.iter_errors(value), key=lambda e: list(e.path))
        msgs = []
        for e in errs:
            best = jsonschema.exceptions.best_match([e]) or e
            where = "$" + "".join("[%r]" % p if isinstance(p, int) else
                                  ".%s" % p for p in best.absolute_path)
            msgs.append("%s: %s" % (where, best.message[:300]))
        return msgs[:limit] + (["... %d more" % (len(msgs) - limit)]
                               if len(msgs) > limit else [])

    def named(self, name):
        return {"$ref": "#/components/schemas/" + name}


# ---- the checks --------------------------------------------------------------------

class Checker:
    def __init__(self, base, key):
        self.c = Client(base, key)
        self.failed = 0
        self.passed = 0
        self.doc = None

    def report(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok    %s%s" % (what, (" (" + detail + ")") if detail
                                  else ""))
        else:
            self.failed += 1
            print("FAIL  %s: %s" % (what, detail))
        sys.stdout.flush()
        return ok

    # Check answer a of operation (template, method) against the document.
    def check_answer(self, template, method, shown, a, expect=None,
                     code=None):
        what = "%s %s -> %s" % (method.upper(), shown, a.describe())
        if a.error:
            return self.report(False, what, "the server did not answer")
        op = self.doc.op(template, method)
        if op is None:
            return self.report(False, what, "%s %s is not in the document"
                               % (method.upper(), template))
        if expect is not None and a.status not in expect:
            return self.report(False, what, "expected %s; body %s" % (
                "/".join(map(str, sorted(expect))), a.snippet()))
        r = self.doc.response(op, a.status)
        if r is None:
            return self.report(False, what, "status %d is not documented "
                               "for %s %s (documented: %s); body %s" % (
                                   a.status, method.upper(), template,
                                   ", ".join(op.get("responses", {})),
                                   a.snippet()))
        return self._check_content(what, r, a, code)

    def _check_content(self, what, r, a, code=None):
        content = r.get("content")
        if not content:
            return self.report(True, what, "no body documented")
        ct = a.content_type()
        media = content.get(ct)
        if media is None:
            return self.report(False, what, "content type %r is not "
                               "documented (documented: %s)" % (
                                   a.headers.get("content-type"),
                                   ", ".join(content)))
        schema = media.get("schema", {})
        if ct == "application/json":
            if a.json_error:
                return self.report(False, what, "body is not JSON (%s)" %
                                   a.json_error)
            errs = self.doc.schema_errors(schema, a.json)
            if errs:
                return self.report(False, what, "schema %s: %s" % (
                    schema.get("$ref", "(inline)").split("/")[-1],
                    "; ".join(errs)))
        else:
            try:
                a.body.decode("utf-8")
            except UnicodeDecodeError:
                return self.report(False, what, "body is not UTF-8 text")
        if code is not None and a.error_code() != code:
            return self.report(False, what, "error code %r, expected %r "
                               "(%s)" % (a.error_code(), code,
                                         a.error_message()))
        name = schema.get("$ref", "").split("/")[-1] or ct
        return self.report(True, what, name)

    # An error answer outside any documented operation (unknown path, or a
    # method the path does not take): status and the Error schema.
    def check_error(self, what, a, status, code=None):
        what = "%s -> %s" % (what, a.describe())
        if a.status != status:
            return self.report(False, what, "expected %d; body %s" % (
                status, a.snippet()))
        if a.content_type() != "application/json" or a.json_error:
            return self.report(False, what, "not a JSON body (%s, %s)" % (
                a.headers.get("content-type"), a.json_error))
        errs = self.doc.schema_errors(self.doc.named("Error"), a.json)
        if errs:
            return self.report(False, what, "schema Error: " +
                               "; ".join(errs))
        if code is not None and a.error_code() != code:
            return self.report(False, what, "error code %r, expected %r" %
                               (a.error_code(), code))
        return self.report(True, what, "Error " + str(a.error_code()))

    # ---- steps --------------------------------------------------------------------

    def load_document(self):
        a = self.c.call("GET", "/api/v1/openapi.json", auth=False)
        what = "GET /api/v1/openapi.json -> %s" % a.describe()
        if a.status != 200 or a.json_error or not isinstance(a.json, dict):
            self.report(False, what, "cannot load the document (%s); body "
                        "%s" % (a.json_error, a.snippet(200)))
            return False
        self.doc = Doc(a.json)
        try:
            with open(REPO_DOC, "rb") as f:
                repo_bytes = f.read()
            repo = json.loads(repo_bytes.decode("utf-8"))
        except (OSError, ValueError) as e:
            self.report(False, "src/api/openapi.json", "cannot read: %s" % e)
            repo = None
        if repo is not None:
            if repo != a.json:
                self.report(False, "served document = src/api/openapi.json",
                            "they differ (rebuild the server, or the file "
                            "was changed)")
            else:
                self.report(True, "served document = src/api/openapi.json",
                            "identical bytes" if repo_bytes == a.body
                            else "same JSON")
        d = a.json
        ok = str(d.get("openapi", "")).startswith("3.0.") and \
            isinstance(d.get("paths"), dict)
        self.report(ok, "document is OpenAPI 3.0", "openapi %s, %d paths" %
                    (d.get("openapi"), len(d.get("paths", {}))))
        bad = []
        for n, s in self.doc.schemas.items():
            try:
                jsonschema.Draft4Validator.check_schema(s)
            except jsonschema.exceptions.SchemaError as e:
                bad.append("%s: %s" % (n, e.message))
        refs = []

        def walk(x):
            if isinstance(x, dict):
                r = x.get("$ref")
                if isinstance(r, str):
                    parts = r.split("/")
                    tgt = d
                    for p in parts[1:]:
                        tgt = tgt.get(p) if isinstance(tgt, dict) else None
                    if parts[0] != "#" or tgt is None:
                        refs.append(r)
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
        walk(d)
        self.report(not bad and not refs, "document schemas are valid and "
                    "every $ref resolves", "; ".join(bad + ["unresolved " + r
                                                           for r in refs]))
        self.check_answer("/api/v1/openapi.json", "get",
                          "/api/v1/openapi.json", a)
        return True

    def discover(self):
        """A real symbol, order id, backtest id and strategy name for path
        parameters."""
        self.symbol = self.order_id = self.strategy = self.backtest_id = None
        a = self.c.call("GET", "/api/v1/backtests")
        if a.status == 200 and isinstance(a.json, dict):
            for b in a.json.get("backtests") or []:
                if isinstance(b, dict) and b.get("status") == "done":
                    self.backtest_id = str(b["id"])
                    break
        a = self.c.call("GET", "/api/v1/positions", {"all": "true"})
        if a.status == 200 and isinstance(a.json, dict):
            for p in a.json.get("positions") or []:
                if isinstance(p, dict) and p.get("symbol"):
                    self.symbol = p["symbol"]
                    break
        self.check_answer("/api/v1/positions", "get",
                          "/api/v1/positions?all=true", a, expect={200})
        a = self.c.call("GET", "/api/v1/orders")
        if a.status == 200 and isinstance(a.json, dict):
            for o in a.json.get("orders") or []:
                if isinstance(o, dict) and o.get("id") is not None:
                    self.order_id = str(o["id"])
                    break
        a = self.c.call("GET", "/api/v1/strategies")
        if a.status == 200 and isinstance(a.json, dict):
            for s in a.json.get("strategies") or []:
                if isinstance(s, dict) and s.get("name"):
                    self.strategy = s["name"]
                    break
        print("info  symbol %s, order id %s, strategy %s" % (
            self.symbol, self.order_id or "(none: orders/{id} will be 404)",
            self.strategy))

    def fill(self, template):
        vals = {"symbol": self.symbol or "NO_SYMBOL",
                "id": (self.backtest_id or "1") if "/backtests/" in template
                else (self.order_id or "1"),
                "name": self.strategy or "no_strategy"}
        path = template
        for k, v in vals.items():
            path = path.replace("{%s}" % k, urllib.parse.quote(v, safe=""))
        return path

    def check_gets(self):
        """Every GET of the document, with the admin key (and without one
        where the document says no credential is needed)."""
        for template, method, op in self.doc.operations():
            if method != "get":
                continue
            path = self.fill(template)
            needs = self.doc.needs_auth(op)
            a = self.c.call("GET", path, auth=needs)
            self.check_answer(template, "get", path + ("" if needs else
                                                       " [no credential]"),
                              a)
            if not needs and a.status == 401:  # protected after all
                a = self.c.call("GET", path)
                self.check_answer(template, "get", path, a)
            if "{id}" in template and not (
                    self.backtest_id if "/backtests/" in template
                    else self.order_id):
                continue
            if "{" in template and a.status == 404:
                self.report(False, "GET %s" % path, "404 for a real value: "
                            + a.error_message())

    def check_query_variants(self):
        sym = self.symbol or "NO_SYMBOL"
        since = "2000-01-01T00:00:00Z"
        variants = [
            ("/api/v1/positions", {"all": "1"}, {200}, None),
            ("/api/v1/positions", {"all": "false"}, {200}, None),
            ("/api/v1/orders", {"status": "open", "limit": "5"}, {200},
             None),
            ("/api/v1/orders", {"status": "filled", "symbol": sym,
                                "since": since, "limit": "10000"}, {200},
             None),
            ("/api/v1/orders", {"limit": "0"}, {400}, "invalid"),
            ("/api/v1/orders", {"status": "bogus"}, {400}, "invalid"),
            ("/api/v1/orders", {"since": "yesterday"}, {400}, "invalid"),
            ("/api/v1/orders", {"symbol": "NO_SUCH_SYMBOL_X"}, {422},
             "unknown_symbol"),
            ("/api/v1/trades", {"symbol": sym, "since": since, "limit": "3"},
             {200}, None),
            ("/api/v1/trades", {"limit": "10001"}, {400}, "invalid"),
            ("/api/v1/bars/{symbol}", {"limit": "5", "from": "2000-01-01"},
             {200, 503}, None),
            ("/api/v1/bars/{symbol}", {"limit": "100001"}, {400},
             "invalid"),
            ("/api/v1/bars/{symbol}", {"to": "not a time"}, {400},
             "invalid"),
        ]
        for template, q, expect, code in variants:
            path = self.fill(template)
            a = self.c.call("GET", path, q)
            self.check_answer(template, "get", path + "?" +
                              urllib.parse.urlencode(q), a, expect=expect,
                              code=code)

    def check_failures(self):
        sym = self.symbol or "NO_SYMBOL"
        # No credential, or a bad one.
        for authz, label in ((None, "no Authorization"),
                             ("Basic dXNlcjpwYXNz", "Basic credentials"),
                             ("Bearer trk_" + "0" * 64, "unknown API key"),
                             ("Bearer not-a-token", "malformed token")):
            a = self.c.call("GET", "/api/v1/account", auth=False,
                            authorization=authz)
            self.check_answer("/api/v1/account", "get",
                              "/api/v1/account [%s]" % label, a,
                              expect={401}, code="unauthorized")
        # Unknown routes.
        for path in ("/api/v1/no-such-route", "/api/v1/positions/%s/x/y" %
                     sym, "/api/v1/", "/no-such-path", "/api/v2/health"):
            a = self.c.call("GET", path)
            self.check_error("GET %s" % path, a, 404, "not_found")
        # A method no path takes: 405 with Allow = the documented methods.
        for template, item in self.doc.doc.get("paths", {}).items():
            path = self.fill(template)
            a = self.c.call("PUT", path, body={}, auth=False)
            if self.check_error("PUT %s" % path, a, 405,
                                "method_not_allowed"):
                allow = {m.strip().lower() for m in
                         a.headers.get("allow", "").split(",") if m.strip()}
                doc_m = {m for m in item if m in METHODS}
                self.report(allow == doc_m, "Allow of %s = documented "
                            "methods" % template, "Allow: %s, document: %s" %
                            (a.headers.get("allow"),
                             ", ".join(sorted(m.upper() for m in doc_m))))
        # Bodies.
        t = "/api/v1/signals"
        a = self.c.call("POST", t, body=b'{"symbol": "' + sym.encode() +
                        b'", "action": "HOLD",')
        self.check_answer(t, "post", t + " [malformed JSON]", a,
                          expect={400}, code="bad_json")
        a = self.c.call("POST", t, body=b"")
        self.check_answer(t, "post", t + " [no body]", a, expect={400},
                          code="bad_request")
        a = self.c.call("POST", t, body=[{"symbol": sym}])
        self.check_answer(t, "post", t + " [array body]", a, expect={400},
                          code="bad_json")
        a = self.c.call("POST", t, body={"symbol": sym, "action": "HOLD",
                                         "no_such_field": 1})
        self.check_answer(t, "post", t + " [unknown field]", a,
                          expect={422}, code="unknown_field")
        a = self.c.call("POST", t, body={"symbol": "NO_SUCH_SYMBOL_X",
                                         "action": "HOLD"})
        self.check_answer(t, "post", t + " [unknown symbol]", a,
                          expect={422}, code="unknown_symbol")
        a = self.c.call("POST", t, body={"symbol": sym})
        self.check_answer(t, "post", t + " [no action]", a, expect={422},
                          code="missing_field")
        a = self.c.call("POST", t, body={"symbol": sym, "action": "HOLD",
                                         "confidence": 2})
        self.check_answer(t, "post", t + " [confidence 2]", a,
                          expect={422}, code="invalid")
        a = self.c.call("POST", t, body={"symbol": sym, "action": "HOLD",
                                         "quantity": -5})
        self.check_answer(t, "post", t + " [quantity -5]", a, expect={422},
                          code="invalid")
        t = "/api/v1/orders"
        a = self.c.call("POST", t, body={"symbol": "NO_SUCH_SYMBOL_X",
                                         "side": "buy", "qty": 1})
        self.check_answer(t, "post", t + " [unknown symbol]", a,
                          expect={422}, code="unknown_symbol")
        # qty 0: refused by the API, and by the engine too were it let
        # through, so this can never trade.
        a = self.c.call("POST", t, body={"symbol": sym, "side": "buy",
                                         "qty": 0})
        self.check_answer(t, "post", t + " [qty 0]", a, expect={422},
                          code="invalid")
        for template in ("/api/v1/positions/{symbol}",
                         "/api/v1/bars/{symbol}"):
            path = template.replace("{symbol}", "NO_SUCH_SYMBOL_X")
            a = self.c.call("GET", path)
            self.check_answer(template, "get", path, a, expect={404},
                              code="unknown_symbol")
        for oid in ("0", "abc", "999999999999"):
            path = "/api/v1/orders/" + oid
            a = self.c.call("GET", path)
            self.check_answer("/api/v1/orders/{id}", "get", path, a,
                              expect={404}, code="not_found")
        path = "/api/v1/strategies/no_such_strategy"
        a = self.c.call("GET", path)
        self.check_answer("/api/v1/strategies/{name}", "get", path, a,
                          expect={404}, code="not_found")
        # Login: open, but checked.
        t = "/api/v1/auth/login"
        a = self.c.call("POST", t, body={"key": "trk_" + "0" * 64},
                        auth=False)
        self.check_answer(t, "post", t + " [unknown key]", a, expect={401},
                          code="unauthorized")
        a = self.c.call("POST", t, body={"key": self.c.key, "ttl_s": 10},
                        auth=False)
        self.check_answer(t, "post", t + " [ttl_s 10]", a, expect={422},
                          code="invalid")
        a = self.c.call("POST", t, body={"key": self.c.key, "ttl_s": 600},
                        auth=False)
        if self.check_answer(t, "post", t, a, expect={200}) and \
                isinstance(a.json, dict) and a.json.get("token"):
            b = self.c.call("GET", "/api/v1/account", auth=False,
                            authorization="Bearer " + a.json["token"])
            self.check_answer("/api/v1/account", "get",
                              "/api/v1/account [session token]", b,
                              expect={200})

    def check_routed(self):
        """Every path and method of the document reaches a handler. Sent
        without a credential, so routes that need one answer 401 and change
        nothing."""
        for template, method, op in self.doc.operations():
            path = self.fill(template)
            needs = self.doc.needs_auth(op)
            body = {} if "requestBody" in op else None
            a = self.c.call(method.upper(), path, body=body, auth=False)
            what = "routed: %s %s [no credential]" % (method.upper(), path)
            if a.error:
                self.report(False, what, "no answer (%s)" % a.error)
                continue
            msg = a.error_message()
            # A 404 is the router's unless the path has a parameter (no
            # such order, ...) or metrics are switched off.
            if a.status == 405 or (a.status == 404 and (
                    "no such path" in msg or ("{" not in template and
                                              "metrics are off" not in
                                              msg))):
                self.report(False, what + " -> %d" % a.status,
                            "the server does not route it: " + msg)
                continue
            if needs:
                self.check_answer(template, method, path +
                                  " [no credential]", a, expect={401},
                                  code="unauthorized")
            else:
                sec = op.get("security", self.doc.global_security)
                if a.status == 401 and not any(sec):
                    self.report(False, what + " -> 401", "the document "
                                "says no credential is needed")
                    continue
                self.check_answer(template, method, path +
                                  " [no credential]", a)

    def check_signal(self):
        sym = self.symbol
        t = "/api/v1/signals"
        if not sym:
            self.report(False, "POST %s [HOLD]" % t, "no symbol to use (GET "
                        "/api/v1/positions?all=true listed none)")
            return
        sid = "openapi-check-%d-%d" % (int(time.time()), os.getpid())
        body = {"symbol": sym, "action": "HOLD", "confidence": 0.5,
                "strategy_id": "openapi_check", "signal_id": sid,
                "timestamp": "2024-01-02T09:30:00Z",
                "metadata": {"source": "openapi_check.py"}}
        op = self.doc.op(t, "post")
        schema = (op or {}).get("requestBody", {}).get("content", {}).get(
            "application/json", {}).get("schema")
        if schema:
            errs = self.doc.schema_errors(schema, body)
            self.report(not errs, "the HOLD signal is a valid "
                        "SignalRequest", "; ".join(errs))
        a = self.c.call("POST", t, body=body)
        if self.check_answer(t, "post", t + " [HOLD]", a, expect={200}):
            j = a.json
            self.report(j.get("status") == "rejected" and
                        j.get("order_id") is None and
                        j.get("duplicate") is False and
                        j.get("signal_id") == sid,
                        "HOLD traded nothing", "status %s, reason %s, "
                        "order_id %s, duplicate %s" % (
                            j.get("status"), j.get("reason"),
                            j.get("order_id"), j.get("duplicate")))
            b = self.c.call("POST", t, body=body)
            if self.check_answer(t, "post", t + " [HOLD, same signal_id]",
                                 b, expect={200}):
                self.report(b.json.get("duplicate") is True and
                            b.json.get("status") == j.get("status"),
                            "repeated signal_id is a duplicate",
                            "duplicate %s" % b.json.get("duplicate"))

    def coverage(self):
        gets = [(p, m) for p, m, _ in self.doc.operations() if m == "get"]
        print("info  %d operations in the document (%d GET), %d requests "
              "sent" % (sum(1 for _ in self.doc.operations()), len(gets),
                        self.c.count))

    def run(self):
        if not self.load_document():
            return 1
        self.discover()
        self.check_gets()
        self.check_query_variants()
        self.check_failures()
        self.check_routed()
        self.check_signal()
        self.coverage()
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def main(argv):
    if len(argv) != 3 or not argv[1].startswith(("http://", "https://")):
        sys.stderr.write("usage: %s BASE_URL ADMIN_KEY\n" % argv[0])
        return 2
    return Checker(argv[1], argv[2]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
