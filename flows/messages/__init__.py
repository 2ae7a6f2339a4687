"""What we say: the typed context of a message (``context``), rendering the templates of
``config/templates`` into call scripts, voicemails, texts and emails (``render``, through the
loader in ``templates``), and calendar invites (``invites``). No flows or tasks of its own.

May import: ``config``, ``tasks`` (the ``Email`` it renders into), ``flows.models``.
"""
