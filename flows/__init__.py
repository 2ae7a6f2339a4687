"""The business process: the Prefect flows and the steps they call, reading like the process
(``callback``, ``logistics``, ``rebooking``, ``settle``, ``aftercare``, ``the_day``, ``round``,
``deadline``, ``replies``, ``waitlist``, ``day_lists``, ``retention``, ``monitor``, ``rerun``;
their typed inputs in ``models`` and ``day_report``, run tags in ``deployments``).

Sub-packages without Prefect where none is needed: ``flows.planning`` (slots and the round
planner, pure), ``flows.messages`` (what we say: templates, context, invites), ``flows.ops``
(operator tooling: CLI, deploy, dry run, status, dashboards, stuck rules).

May import: ``config``, ``tasks``.
"""
