"""The operator's kit: Prometheus metrics, error reports to Sentry, JSON log lines and request ids.

- ``metrics``: the metric registries, the scrape-time collectors apps register, worker snapshots.
- ``collectors``: the floor's own scrape-time metrics (queue depths, models loaded, what workers report).
- ``middleware``: request latency by URL pattern, and the request id.
- ``views``: ``/metrics``, behind a token or a network allow-list.
- ``errors``: Sentry, with personal data scrubbed as in the logs.
- ``logs``: the JSON line formatter (``LOG_FORMAT=json``) and the request-id log filter.

docs/deployment.md says how to run and scrape them.
"""
