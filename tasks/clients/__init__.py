"""Protocol clients, no Prefect: the calendar clients behind one interface
(``calendar_backends``: CalDAV in ``caldav``, Google Calendar in ``google``, Microsoft Graph in
``graph``, their logins in ``logins``, the reservation ledger they share in ``reservations``),
SMTP (``smtp``), Twilio's REST client and its pacing (``twilio``, ``pacing``), steering a live
call (``calls``) and the TwiML we answer with (``twiml``).

May import: ``config``.
"""
