"""What we say: the typed context of a message (``context``), rendering the templates of
``config/templates`` into call scripts, voicemails, texts and emails (``render``), and calendar
invites (``invites``). No Prefect.

May import: ``config``, ``tasks.mail`` (the ``Email`` it renders into), ``flows.models``.
"""
