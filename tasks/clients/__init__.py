"""Protocol clients, no Prefect: CalDAV (``caldav``), SMTP (``smtp``), Twilio's REST client and
its pacing (``twilio``, ``pacing``) and the TwiML we answer with (``twiml``). A new calendar
backend goes here, beside ``caldav``.

May import: ``config``.
"""
