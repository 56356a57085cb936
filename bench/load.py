"""Load test (issue 10): gunicorn on PostgreSQL, a bounded load on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rp_bench_load \\
        .venv/bin/python bench/load.py

Not part of the test run; sends traffic to 127.0.0.1 only, for a fixed time.
Needs wrk (Debian's package: `apt-get install wrk`).

Data (generated once, reused; `--fresh` starts over; the database name must
contain "bench"): the History of bench/history.py (10,000,000 events over 1,000
accounts, generated in SQL), plus on its busiest account 100,000 contacts and
20 administrators, 100 open restore requests over 100 accounts with two
snapshots each (the helpdesk queue), and 5 helpdesk staff. Sessions and API
tokens are created up front: no log-in is sent during the load.

The server: gunicorn (gthread workers, `--workers`/`--threads`) with
production's settings (DEBUG=0, WhiteNoise with collected static files, the
Redis cache for the API's throttle counters) and persistent database
connections (CONN_MAX_AGE). The load: `--clients` clients in all, a quarter
per target, for `--duration` seconds, each one client sending requests one
after another on its own keep-alive connection:
  - the History timeline page   GET /history/                (session)
  - the helpdesk queue          GET /helpdesk/               (helpdesk session)
  - a CRM list                  GET /crm/contacts/           (session)
  - the API                     GET /api/v1/history/events/ and
                                GET /api/v1/crm/contacts/    (token)
Runs (`--runs`): the clients with a think time between requests
(exponential, mean 10 s, then 20 s: people reading a page; client threads of
this script, started spread over one mean), then with none (four wrk
processes, one per target: the most the server gives, each client's latency
then being its place in the queue; a request unanswered after 10 s counts as
an error). Each reports requests/s, p50, p99 and errors (socket errors, time-outs,
and every answer but 200, counted by status), with each target's time for one
request at a time beforehand, and how busy the machine was (it is shared).

gunicorn defaults: 3 workers x 2 threads. Django is CPU-bound under the GIL, so
one worker uses at most one core: three keep two cores busy while one waits on
PostgreSQL, and two threads let a worker overlap a database wait without many
threads contending for its GIL (4 x 4 gave no more requests/s and longer tails).

Settings of the load run (environment of the server, set here):
  THROTTLE_USER=1000000/minute   the API's per-user throttle (DRF) does not turn
                                 the load into 429s; it still counts in Redis
  CONN_MAX_AGE=<--conn-max-age>  database connections kept between requests
  DEBUG=0, SECURE_SSL_REDIRECT=0 production settings over plain HTTP on loopback
  ALLOWED_HOSTS=127.0.0.1, STATIC_ROOT=<temporary, collected here>
  REDIS_URL [redis://127.0.0.1:6379/3], CACHE_KEY_PREFIX=rp-load
Log-in throttling (django-axes) is untouched: sessions are made up front.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from _common import ROOT, bench_environment, say

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rp_bench_load"
bench_environment(DEFAULT_URL)
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("CACHE_KEY_PREFIX", "rp-load")

import history  # noqa: E402  (bench/history.py: the 10M-event generator)

CONTACTS = 100_000
ADMINS = 20
HELPDESK = 5
REQUESTS = 100
PREFIX = "load-"

TARGETS = [
    ("History timeline page", "session", ["/history/"]),
    ("helpdesk queue page", "helpdesk", ["/helpdesk/"]),
    ("CRM list page", "session", ["/crm/contacts/"]),
    ("API", "token", ["/api/v1/history/events/", "/api/v1/crm/contacts/"]),
]

# One wrk script for every target: rotates identities and paths, waits a think time,
# counts answers by status, and prints its figures (and 1,000 quantiles, merged
# across targets by this script) as one JSON line.
LUA = r"""
local values, paths, think, header, counter = {}, {}, 0, nil, 0
statuses = {}
threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  header = args[1]
  for line in io.lines(args[2]) do table.insert(values, line) end
  for p in string.gmatch(args[3], "[^,]+") do table.insert(paths, p) end
  think = tonumber(args[4])
  math.randomseed(tonumber(args[5]))
  counter = math.random(1, #values)
end

function delay()
  if think <= 0 then return 0 end
  -- exponential, cut at four times the mean
  return math.floor(math.min(-think * math.log(1 - math.random()), 4 * think))
end

function request()
  counter = counter + 1
  local headers = {}
  headers[header] = values[(counter % #values) + 1]
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do counts[k] = (counts[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local q = {}
  for i = 1, 1000 do table.insert(q, string.format("%d", latency:percentile(i / 10))) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d, "statuses": {%s}, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"quantiles_us": [%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ", "), latency:percentile(50), latency:percentile(99), latency.max,
    table.concat(q, ", ")))
end
"""


# --- Data ---------------------------------------------------------------------------


def _session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.create()
    return session.session_key


def _user(username: str):
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()  # sessions are made here; nobody logs in
        user.save()
    return user


def prepare(total_events: int) -> dict:
    """The load's users, sessions, tokens, contacts and open requests (idempotent)."""
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import Account, Membership, Role
    from accounts.services import helpdesk_group_sync
    from backups.models import Snapshot
    from backups.snapshots import take_snapshot
    from crm.models import Contact
    from restore_requests import services as requests
    from restore_requests.models import RestoreRequest

    accounts = list(Account.objects.order_by("id"))
    account = accounts[history.big_accounts(total_events) - 1]  # the busiest, as history.py
    admins = []
    for i in range(ADMINS):
        user = _user(f"{PREFIX}admin-{i}")
        Membership.objects.update_or_create(
            user=user, defaults={"account": account, "role": Role.ADMIN}
        )
        admins.append(user)
    helpdesk = []
    group = helpdesk_group_sync()
    for i in range(HELPDESK):
        user = _user(f"{PREFIX}helpdesk-{i}")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
        helpdesk.append(user)

    have = Contact.objects.filter(account=account).count()
    if have < CONTACTS:
        say(f"  {CONTACTS - have:,} contacts for account {account.pk}")
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO crm_contact (account_id, created_at, updated_at, assigned_by_id,
                    comments, custom_fields, honorific, name, second_name, last_name, post,
                    company_id, phone, phone_mobile, email, email_home, type_id, source_id)
                SELECT %s, now() - n * interval '1 minute', now(), NULL, 'Met at the fair',
                    '{}', '', 'Mario', '', 'Rossi ' || n, 'Buyer', NULL, '+39 06 ' || n, '',
                    'mario' || n || '@example.com', '', 'CLIENT', 'WEB'
                FROM generate_series(1, %s) AS n
                """,
                [account.pk, CONTACTS - have],
            )
            cur.execute("ANALYZE crm_contact")

    open_requests = RestoreRequest.objects.filter(status__in=["submitted", "proposed"]).count()
    if open_requests < REQUESTS:
        say(f"  {REQUESTS - open_requests} open restore requests with two snapshots each")
        now = timezone.now()
        staff = helpdesk[0]
        for n, target in enumerate(accounts[: REQUESTS - open_requests]):
            owner = _user(f"{PREFIX}owner-{target.pk}")
            if target.pk != account.pk:
                Membership.objects.update_or_create(
                    user=owner, defaults={"account": target, "role": Role.ADMIN}
                )
            else:
                owner = admins[0]
            for days in (3, 1):
                moment = now - timedelta(days=days, hours=n % 12)
                if not Snapshot.objects.filter(account=target, day=moment.date()).exists():
                    take_snapshot(target, taken_for=moment.date(), record_as_of=moment)
            request = requests.request_file(
                account=target,
                actor=owner,
                deleted_at=now - timedelta(days=2, hours=n % 24),
                option="crm_rollback",
                note="Contacts deleted by mistake.",
            )
            if n % 2:
                snapshots = Snapshot.objects.available(target).values_list("pk", flat=True)
                requests.request_propose(
                    request=request,
                    snapshot_ids=list(snapshots[:1]),
                    message="This backup holds them.",
                    actor=staff,
                )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    from django.contrib.sessions.models import Session

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {
        "account": account,
        "session": [f"sessionid={_session_for(u)}" for u in admins],
        "helpdesk": [f"sessionid={_session_for(u)}" for u in helpdesk],
        "token": [f"Token {Token.objects.get_or_create(user=u)[0].key}" for u in admins],
    }


# --- Server -------------------------------------------------------------------------


def server_env(args, static_root: str) -> dict:
    return {
        **os.environ,
        "DEBUG": "0",
        "STATIC_ROOT": static_root,
        "CONN_MAX_AGE": str(args.conn_max_age),
        "THROTTLE_USER": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }


def start_gunicorn(args, env: dict, log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "recovery_portal.wsgi:application",
        "--bind", f"127.0.0.1:{args.port}",
        "--worker-class", "gthread",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--backlog", "2048",
        "--keep-alive", "75",
        "--timeout", "60",
        "--error-logfile", str(log),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/login/", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    sys.exit(f"gunicorn did not answer; see {log}")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# --- Load ---------------------------------------------------------------------------


def check_answers(args, identities: dict) -> None:
    """Each target answers 200 to its identity before the load (not a login page)."""
    for label, kind, paths in TARGETS:
        header = "Authorization" if kind == "token" else "Cookie"
        for path in paths:
            request = urllib.request.Request(
                f"http://127.0.0.1:{args.port}{path}", headers={header: identities[kind][0]}
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                body = answer.read()
                if answer.status != 200 or answer.url.rstrip("/").endswith("login"):
                    sys.exit(f"{label} {path}: {answer.status} {answer.url}")
            say(f"  {label:22} {path:28} 200, {len(body):,} bytes")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by a process and its children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(parts[1])
        if pid == root or ppid == root:
            total += (int(parts[11]) + int(parts[12])) / tick  # utime, stime
    return total


def service_times(args, identities: dict, repeat: int = 20) -> dict:
    """Each target's median time for one request at a time (no load): the floor."""
    out = {}
    for label, kind, paths in TARGETS:
        header = "Authorization" if kind == "token" else "Cookie"
        times = []
        for i in range(repeat):
            path = paths[i % len(paths)]
            request = urllib.request.Request(
                f"http://127.0.0.1:{args.port}{path}", headers={header: identities[kind][0]}
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = sorted(times)[len(times) // 2]
        say(f"  {label:22} one at a time: median {out[label]:6.1f} ms")
    return out


def run_wrk(
    args, identities: dict, folder: Path, *, think_ms: int, duration: int, clients: int = 0
) -> list:
    script = folder / "load.lua"
    script.write_text(LUA)
    per_target = (clients or args.clients) // len(TARGETS)
    processes = []
    for n, (label, kind, paths) in enumerate(TARGETS):
        values = folder / f"{kind}.txt"
        values.write_text("\n".join(identities[kind]) + "\n")
        header = "Authorization" if kind == "token" else "Cookie"
        command = [
            "wrk", "-t", "1", "-c", str(per_target), "-d", f"{duration}s", "--timeout", "10s",
            "-s", str(script), f"http://127.0.0.1:{args.port}",
            "--", header, str(values), ",".join(paths), str(think_ms), str(1000 + n),
        ]  # fmt: skip
        processes.append((label, subprocess.Popen(command, stdout=subprocess.PIPE, text=True)))
    results = []
    for label, process in processes:
        out, _ = process.communicate(timeout=duration + 120)
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"wrk gave no result for {label}:\n{out}")
        result = json.loads(line[len("RESULT ") :])
        result["label"] = label
        results.append(result)
    return results


def run_clients(args, identities: dict, *, think_ms: int, duration: int) -> list:
    """The runs with a think time: `--clients` client threads, a quarter per target,
    each waiting its think time (exponential; the first wait uniform over one
    mean, so the clients start spread out), then sending one request on its own
    keep-alive connection, until `duration` is over. (wrk's think time waits with
    the connection open before the first request: gthread reads a new
    connection's first request in a worker thread, so idle connections would hold
    the threads and the figures would measure wrk, not the server.)"""
    import http.client
    import random
    import threading

    deadline = time.monotonic() + duration
    per_target = args.clients // len(TARGETS)
    records: dict[str, list] = {label: [] for label, _, _ in TARGETS}
    lock = threading.Lock()

    def client(number: int, label: str, kind: str, paths: list[str]) -> None:
        rng = random.Random(number)
        header = "Authorization" if kind == "token" else "Cookie"
        value = identities[kind][number % len(identities[kind])]
        connection = None
        wait = rng.uniform(0, think_ms / 1000)
        sent = 0
        while True:
            if time.monotonic() + wait >= deadline:
                break
            time.sleep(wait)
            path = paths[sent % len(paths)]
            sent += 1
            t0 = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                connection.request("GET", path, headers={header: value})
                answer = connection.getresponse()
                answer.read()
                outcome = str(answer.status)
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
                connection = None
            with lock:
                records[label].append((outcome, (time.perf_counter() - t0) * 1e6))
            wait = min(rng.expovariate(1000 / think_ms), 4 * think_ms / 1000)
        if connection is not None:
            connection.close()

    threads = [
        threading.Thread(target=client, args=(t * per_target + i, label, kind, paths))
        for t, (label, kind, paths) in enumerate(TARGETS)
        for i in range(per_target)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    results = []
    for label, _, _ in TARGETS:
        rows = records[label]
        latencies = sorted(us for outcome, us in rows if outcome == "200") or [0.0]

        def q(p, latencies=latencies):
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

        statuses: dict[str, int] = {}
        for outcome, _ in rows:
            statuses[outcome] = statuses.get(outcome, 0) + 1
        results.append(
            {
                "label": label,
                "requests": len(rows),
                "duration_us": elapsed * 1e6,
                "connect": 0,
                "read": 0,
                "write": 0,
                "timeout": 0,
                "statuses": statuses,
                "p50_us": q(0.5),
                "p99_us": q(0.99),
                "max_us": latencies[-1],
                "quantiles_us": [q(i / 1000) for i in range(1, 1001)],
            }
        )
    return results


def merged_quantile(results: list, q: float) -> float:
    """The q-quantile (0-1) of all requests, from each target's 1,000 quantiles."""
    samples = []
    for r in results:
        weight = r["requests"] / len(r["quantiles_us"])
        samples.extend((v, weight) for v in r["quantiles_us"])
    samples.sort()
    total = sum(w for _, w in samples)
    seen = 0.0
    for value, weight in samples:
        seen += weight
        if seen >= q * total:
            return value
    return samples[-1][0]


def errors_of(r: dict) -> int:
    bad_status = sum(n for code, n in r["statuses"].items() if code != "200")
    return bad_status + r["connect"] + r["read"] + r["write"] + r["timeout"]


def summarise(title: str, results: list) -> dict:
    say(f"\n{title}")
    say(f"  {'target':22} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    total_requests = sum(r["requests"] for r in results)
    seconds = max(r["duration_us"] for r in results) / 1e6
    for r in results:
        rate = r["requests"] / (r["duration_us"] / 1e6)
        others = {k: v for k, v in r["statuses"].items() if k != "200"}
        others.update({k: r[k] for k in ("connect", "read", "write", "timeout") if r[k]})
        say(
            f"  {r['label']:22} {r['requests']:9,} {rate:8.1f} {r['p50_us'] / 1000:8.1f} "
            f"{r['p99_us'] / 1000:8.1f} {errors_of(r):7,}" + (f"  {others}" if others else "")
        )
    p50, p99 = merged_quantile(results, 0.5) / 1000, merged_quantile(results, 0.99) / 1000
    errors = sum(errors_of(r) for r in results)
    say(
        f"  {'all':22} {total_requests:9,} {total_requests / seconds:8.1f} {p50:8.1f} "
        f"{p99:8.1f} {errors:7,}"
    )
    return {"requests": total_requests, "rps": total_requests / seconds, "p50": p50, "p99": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--think-ms", type=int, default=10_000, help="mean think time")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--runs",
        default="think,think:20000,flat",
        help="comma-separated: think (--think-ms), think:<ms>, flat (no think time)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the data")
    parser.add_argument("--data-only", action="store_true", help="generate the data, no load")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    history.ensure_database(os.environ["DATABASE_URL"], fresh=args.fresh)
    history.setup_django()
    t0 = time.perf_counter()
    history.generate(args.events, args.accounts)
    identities = prepare(args.events)
    say(f"Data ready in {time.perf_counter() - t0:.0f} s (account {identities['account'].pk}).")
    if args.data_only:
        return

    from django.core.management import call_command

    with tempfile.TemporaryDirectory(prefix="rp-load-") as folder:
        folder = Path(folder)
        static_root = str(folder / "static")
        env = server_env(args, static_root)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        call_command("check", "--deploy", verbosity=0)  # the settings load as in production
        log = folder / "gunicorn.log"
        server = start_gunicorn(args, env, log)
        say(
            f"gunicorn: {args.workers} gthread workers x {args.threads} threads, "
            f"CONN_MAX_AGE={args.conn_max_age}, on 127.0.0.1:{args.port}"
        )
        try:
            check_answers(args, identities)
            # Warm-up (not counted): a few clients, so no backlog is left for the runs.
            run_wrk(args, identities, folder, think_ms=0, duration=5, clients=8)
            figures = {"service_ms": service_times(args, identities)}
            for run in args.runs.split(","):
                name, _, ms = run.partition(":")  # "think", "think:20000" or "flat"
                think = (int(ms) if ms else args.think_ms) if name == "think" else 0
                load_before = Path("/proc/loadavg").read_text().split()[0]
                busy0, total0 = machine_busy()
                server0 = process_tree_cpu(server.pid)
                if think:
                    results = run_clients(args, identities, think_ms=think, duration=args.duration)
                else:
                    results = run_wrk(args, identities, folder, think_ms=0, duration=args.duration)
                busy1, total1 = machine_busy()
                server_cpu = process_tree_cpu(server.pid) - server0
                title = (
                    f"{args.clients} clients, think time {think} ms (mean), {args.duration} s"
                    if think
                    else f"{args.clients} clients, no think time, {args.duration} s"
                )
                figures[run] = summarise(title, results)
                cores = os.cpu_count() or 1
                wall = (total1 - total0) / cores
                figures[run].update(
                    machine_busy=round((busy1 - busy0) / (total1 - total0), 3),
                    gunicorn_cores=round(server_cpu / wall, 2),
                    load_average_before=float(load_before),
                )
                say(
                    f"  machine busy {figures[run]['machine_busy']:.0%} of {cores} cores; "
                    f"gunicorn used {figures[run]['gunicorn_cores']:.2f} cores "
                    f"(the rest: PostgreSQL, Redis, wrk and whatever else ran); "
                    f"load average before: {load_before}"
                )
        finally:
            stop(server)
            problems = log.read_text(errors="replace") if log.exists() else ""
            if "Traceback" in problems or "ERROR" in problems:
                say(f"\ngunicorn's error log:\n{problems[-3000:]}")
    say(f"\nFigures: {json.dumps(figures)}")


if __name__ == "__main__":
    main()
