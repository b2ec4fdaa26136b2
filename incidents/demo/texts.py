"""Word pools for the demo history. Every pool is a fixed tuple, so a seed picks the
same words on every machine and Python version."""

import itertools

ENGINEERS = (
    "Aisha Khan", "Ben Okafor", "Chen Wei", "Dana Levi", "Elif Demir", "Femi Adeyemi",
    "Greta Holm", "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kofi Mensah",
    "Lena Novak", "Mateo Rossi", "Nadia Haddad", "Omar Farouk", "Priya Nair",
    "Quentin Morel", "Rosa Jimenez", "Sven Larsen", "Tala Ahmadi", "Uma Patel",
    "Viktor Ivanov", "Wen Li", "Ximena Cruz", "Yusuf Celik", "Zoe Martin",
    "Arjun Mehta", "Bea Schmidt", "Carlos Vega", "Dmitri Sokolov",
)  # fmt: skip

_VERBS = (
    "Fix", "Add", "Remove", "Refactor", "Speed up", "Harden", "Log", "Test",
    "Document", "Retry", "Cache", "Validate",
)  # fmt: skip
_THINGS = (
    "timeout handling", "the payment retry loop", "session expiry",
    "the search index refresh", "rate limiting", "the health check",
    "currency rounding", "the feature flag for new checkout", "connection pooling",
    "the webhook signature check", "pagination of the orders list",
    "the nightly export", "error reporting", "the login form", "database migrations",
    "the cache key for carts", "batch size of the consumer", "TLS settings",
    "the metrics endpoint", "input validation on signup",
)  # fmt: skip

COMMIT_MESSAGES = tuple(
    f"{verb} {thing}" for verb, thing in itertools.product(_VERBS, _THINGS)
)

DEPLOYED_BY = ("github-actions", "gitlab-ci", "argo-cd", "jenkins")

# (title with {service}, alert name) pairs; the alert name feeds alert timeline rows.
INCIDENT_TITLES = (
    ("Elevated 5xx rate on {service}", "HighErrorRate"),
    ("{service} latency above SLO", "LatencySLOBurn"),
    ("{service} pods crash-looping", "KubePodCrashLooping"),
    ("Database connection pool exhausted for {service}", "DBPoolSaturated"),
    ("{service} returning stale data", "StaleCacheDetected"),
    ("Queue backlog growing behind {service}", "QueueBacklogHigh"),
    ("Login failures through {service}", "AuthFailureSpike"),
    ("{service} out of memory after deploy", "ContainerOOMKilled"),
    ("Partial outage of {service} in eu-west", "RegionProbeFailing"),
    ("Certificate expiry broke {service}", "TLSHandshakeErrors"),
)

NOTES = (
    "Error rate started climbing right after the rollout; checking the diff.",
    "Dashboards show the spike is limited to `eu-west` so far.",
    "Scaled the deployment to 2x replicas to buy time.",
    "Found it: a missing index on the new query, see the slow-query log.",
    "Customer support reports checkout failures from several merchants.",
    "Rolled the feature flag back to 0%; watching the error rate.",
    "Upstream provider confirmed a degradation on their side.",
    "Connection pool was capped at **10**; raised to 50 as a stop-gap.",
)

SUMMARIES = (
    "A change to {service} shipped a regression that raised the error rate for "
    "a share of requests until it was reverted.",
    "{service} degraded under load when a dependency slowed down; requests timed "
    "out and retries amplified the load.",
    "A configuration change left {service} unable to reach its database for part "
    "of the fleet.",
    "An expired credential made {service} reject calls from its clients.",
)

ROOT_CAUSES = (
    "A query added in the release scanned the whole orders table; it was fast in "
    "staging, where the table is small.",
    "Retries without jitter from every client synchronised and overloaded "
    "{service} after a brief network blip.",
    "The new connection pool setting was read as seconds instead of milliseconds.",
    "The certificate was renewed by hand last year and never added to automation.",
    "A feature flag defaulted to on for every tenant instead of the pilot group.",
)

LESSONS = (
    "- Load-test queries against production-sized data before shipping.\n"
    "- Alert on saturation, not only on errors.",
    "- Add jitter to every retry loop.\n- Shed load before the database does.",
    "- Validate units in configuration at start-up.\n- Canary configuration too.",
    "- Track every certificate in one inventory with expiry alerts.",
)

ACTION_ITEMS = {
    "prevent": (
        "Add a CI check that runs migrations against a production-sized snapshot",
        "Make retries back off with jitter in the shared client",
        "Validate configuration units at start-up",
        "Automate certificate renewal for {service}",
    ),
    "detect": (
        "Alert on connection-pool saturation for {service}",
        "Add a synthetic probe for the checkout path",
        "Page on burn rate rather than raw error count",
    ),
    "mitigate": (
        "Document the rollback procedure for {service} in the runbook",
        "Add a kill switch for the new feature flag",
        "Pre-scale {service} before the weekly traffic peak",
    ),
    "process": (
        "Require a second reviewer for configuration changes",
        "Hold a game day on database fail-over",
        "Review on-call hand-over notes in the weekly meeting",
    ),
}
