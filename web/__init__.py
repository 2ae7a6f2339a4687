"""Inbound replies: the HTTP service Twilio, candidates and recruiters reach (``app``): her page
(``pages``), texts (``sms``), calls to us (``voice``), Twilio's status callbacks and the keypad
(``twilio``), the recruiter's endpoint (``recruiter``), the durable inbox and its delivery.

May import: ``config``, ``tasks``, ``flows``.
"""
