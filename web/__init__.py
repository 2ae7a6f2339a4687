"""Inbound replies: the HTTP service Twilio, candidates and recruiters reach (``app``): her page
(``pages``), texts (``sms``), calls to us (``voice``), Twilio's status callbacks and the keypad
(``twilio``), the recruiter's endpoint (``recruiter``) and form (``recruiter_form``), her pick
of other times (``choosing``), moving or cancelling (``changing``), a late answer (``late``),
the panel's report (``reporting``), the durable inbox and its delivery.

May import: ``config``, ``tasks``, ``flows``.
"""
