"""The benchmark of ``./run bench`` (its entry is ``bench/pyload_bench.py``), one module a part.

- ``config``: the two configurations (full, quick), the goals and the scenario's names;
- ``scenario``: the simulator scenario the bench runs on and the items it adds to pyLoad;
- ``session``: one pyLoad and simulator under measurement: adding a job and waiting for its files,
  pyLoad's queue read from its database, the clean-up;
- ``calls``: the simulator's call log by route (pure);
- one module a measurement: ``jobs`` (time to first byte and API calls per job kind, a cloud job),
  ``throughput`` (against a direct download), ``stop`` (stop latency), ``magnets`` (cached
  magnets pasted at once), ``pending`` (uncached torrents pending), ``capped`` (a paste under
  ``max_running_jobs``);
- ``evaluate``: the figures against the goals (pure);
- ``render``: the figures as the printed tables and as JSON (pure).
"""
