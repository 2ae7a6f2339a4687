"""Operator tooling: the ``secondround`` command (``cli``), round deployments (``deploy``), the
dry run (``preview``), the round's table and analytics (``dashboard``, ``status``) and the
stuck-candidate rules (``stuck``, pure; the flow is ``flows.monitor``).

May import: ``config``, ``tasks``, ``flows`` and its other sub-packages.
"""
