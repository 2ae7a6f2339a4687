"""Local stand-ins for the outside world and the embedded stack: the sandbox Twilio, SMTP sink
and Radicale (``peers``), the Prefect server, deployments and worker (``stack``), the demo, and
what tests and benchmarks share (``rounds``: round files; ``harness``: driving runs;
``plancheck``: planner instances and an independent check).

May import: ``config``, ``tasks``, ``flows``, ``web``. Never ``tests``.
"""
