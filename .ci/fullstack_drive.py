"""Drives the stack .ci/fullstack started, over HTTP, one phase per call:

  up        the web answers and /health is healthy (workers and beat seen)
  record    a deployment posted, an Alertmanager alert opens an incident, a responder
            resolves it; the DORA figures and the memory-bank files reflect it
  outage    (Redis stopped) /health is degraded, incidents can still be declared
  recovery  (Redis started at $REDIS_BACK_AT) the work refused during the outage
            completes; prints how long after Redis returned

Standard library only. State between phases lives in $STATE (JSON)."""

import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = os.environ["HINDSIGHT_URL"]
TOKEN = os.environ.get("HINDSIGHT_TOKEN", "")
STATE = Path(os.environ["STATE"])
MEMORY_BANK = Path(os.environ["MEMORY_BANK_DIR"])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


cookies = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(cookies), NoRedirect
)


def step(text: str) -> None:
    print(f"  - {text}", flush=True)


def request(method, path, *, body=None, form=None, token=None, opener=browser):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = BASE + path
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def expect(status, wanted, body, what):
    if status not in wanted:
        sys.exit(
            f"FAILED {what}: HTTP {status}\n{body[:2000].decode(errors='replace')}"
        )


def wait_for(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            result, last = None, error
        if result:
            return result
        time.sleep(1)
    sys.exit(f"FAILED waiting {timeout}s for {what} (last error: {last})")


def health():
    status, _, body = request("GET", "/health")
    return status, json.loads(body)


def health_is(wanted: str):
    def check():
        status, report = health()
        return report if report["status"] == wanted else None

    return check


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def csrf() -> str:
    return next(c.value for c in cookies if c.name == "csrftoken")


def log_in() -> None:
    request("GET", "/accounts/login/")
    status, headers, body = request(
        "POST",
        "/accounts/login/",
        form={
            "username": os.environ["HINDSIGHT_USER"],
            "password": os.environ["HINDSIGHT_PASSWORD"],
            "csrfmiddlewaretoken": csrf(),
        },
    )
    expect(status, {302}, body, "logging in")


def memory_bank_mentions(*texts: str):
    def check():
        path = MEMORY_BANK / "CLAUDE-incidents.md"
        return path.exists() and all(t in path.read_text() for t in texts)

    return check


# --- Phases ---------------------------------------------------------------------------


def up() -> None:
    wait_for(lambda: request("GET", "/healthz")[0] == 200, timeout=60, what="/healthz")
    step("web answers /healthz")
    report = wait_for(health_is("healthy"), timeout=90, what="/health to be healthy")
    step(f"/health healthy: {sorted(report['checks'])} all ok")


def record() -> None:
    now = datetime.now(UTC)
    deployment = {
        "service": "checkout",
        "environment": "production",
        "version": "2.4.0",
        "commit_sha": "a1" * 20,
        "status": "success",
        "started_at": rfc3339(now - timedelta(minutes=25)),
        "finished_at": rfc3339(now - timedelta(minutes=20)),
        "external_id": "fullstack-2.4.0",
        "commits": [
            {
                "sha": "a1" * 20,
                "committed_at": rfc3339(now - timedelta(hours=3)),
                "authored_at": rfc3339(now - timedelta(hours=3)),
                "author": "dev@example.com",
                "message": "Faster checkout",
            }
        ],
    }
    status, _, body = request("POST", "/api/deployments/", body=deployment, token=TOKEN)
    expect(status, {201}, body, "posting a deployment")
    step(f"deployment posted: id {json.loads(body)['id']}")

    alert = {
        "version": "4",
        "groupKey": '{}:{alertname="CheckoutErrors"}',
        "status": "firing",
        "receiver": "hindsight",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "service": "checkout"},
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "CheckoutErrors",
                    "service": "checkout",
                    "severity": "critical",
                },
                "annotations": {"summary": "Checkout error rate above 5%"},
                "startsAt": rfc3339(now - timedelta(minutes=15)),
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "c0ffee0000000001",
            }
        ],
    }
    status, _, body = request(
        "POST", "/api/webhooks/alertmanager/", body=alert, token=TOKEN
    )
    expect(status, {201}, body, "posting an Alertmanager alert")
    key = json.loads(body)["incident"]
    step(f"Alertmanager alert opened {key}")

    log_in()
    status, _, body = request(
        "POST",
        f"/incidents/{key}/status/",
        form={"status": "resolved", "csrfmiddlewaretoken": csrf()},
    )
    expect(status, {302}, body, f"resolving {key}")
    status, _, body = request("GET", f"/incidents/{key}/")
    expect(status, {200}, body, f"reading {key}")
    if b"Resolved" not in body and b"resolved" not in body:
        sys.exit(f"FAILED: {key} does not show as resolved")
    step(f"{key} resolved by a responder")

    status, _, body = request("GET", "/api/metrics/dora/?days=7", token=None)
    expect(status, {200}, body, "reading the DORA figures")
    dora = json.loads(body)
    checks = {
        "deployments": dora["deployment_frequency"]["count"] == 1,
        "change failure (inferred cause)": dora["change_failure_rate"]["failed"] == 1,
        "time to restore": dora["time_to_restore"]["count"] == 1,
    }
    if not all(checks.values()):
        sys.exit(f"FAILED: DORA figures do not reflect the record: {checks}\n{dora}")
    step(f"DORA figures reflect it: {checks}")

    wait_for(
        memory_bank_mentions(key, "Checkout"),
        timeout=120,
        what=f"the memory-bank files to mention {key}",
    )
    step(f"memory-bank CLAUDE-incidents.md mentions {key}")

    status, headers, body = request(
        "GET", "/prometheus/metrics", token=os.environ["METRICS_TOKEN"]
    )
    expect(status, {200}, body, "scraping /prometheus/metrics")
    wanted = [b'hindsight_open_incidents{severity="SEV1"} 0.0', b"django_http_requests"]
    if not all(w in body for w in wanted):
        sys.exit(f"FAILED: the scrape lacks {wanted}")
    step("Prometheus scrape has request counters and Hindsight gauges")

    wait_for(health_is("healthy"), timeout=60, what="/health to be healthy")
    step("/health healthy")
    STATE.write_text(json.dumps({"resolved": key}))


def outage() -> None:
    report = wait_for(health_is("degraded"), timeout=30, what="/health degraded")
    status, _ = health()
    failing = sorted(n for n, c in report["checks"].items() if c["status"] == "failing")
    step(f"/health degraded with HTTP {status}; failing: {failing}")
    if status != 200 or "database" in failing:
        sys.exit("FAILED: Redis down must be degraded (200) with the database ok")

    log_in()
    status, _, body = request("GET", "/incidents/declare/")
    expect(status, {200}, body, "opening the declare page")
    service_id = re.search(rb'name="services" value="(\d+)"', body)[1].decode()
    status, headers, body = request(
        "POST",
        "/incidents/declare/",
        form={
            "title": "Payments slow while Redis is down",
            "severity": "SEV3",
            "services": [service_id],
            "summary": "Declared during the Redis outage",
            "started_at": "",
            "csrfmiddlewaretoken": csrf(),
        },
    )
    expect(status, {302}, body, "declaring an incident with Redis down")
    key = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    step(f"declared {key} with Redis down")
    STATE.write_text(json.dumps({**json.loads(STATE.read_text()), "declared": key}))


def recovery() -> None:
    back_at = float(os.environ["REDIS_BACK_AT"])
    key = json.loads(STATE.read_text())["declared"]

    wait_for(
        memory_bank_mentions(key),
        timeout=180,
        what=f"the memory-bank export to include {key} after Redis returned",
    )
    elapsed = time.time() - back_at
    step(f"queued work completed: {key} exported {elapsed:.1f}s after Redis returned")

    wait_for(health_is("healthy"), timeout=90, what="/health healthy again")
    step(f"/health healthy again {time.time() - back_at:.1f}s after Redis returned")


if __name__ == "__main__":
    phase = sys.argv[1]
    print(f"[{phase}]", flush=True)
    {"up": up, "record": record, "outage": outage, "recovery": recovery}[phase]()
