"""Side-effect tasks, one Prefect task module per boundary: ``phone``, ``mail``, ``calendars``,
plus what every effect shares (``effects``: business keys, retries, events; ``claims``: who owns
a candidate; ``optouts``). The plain protocol clients they wrap live in ``tasks.clients``.

May import: ``config``.
"""
