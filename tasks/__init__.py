"""Side-effect tasks, one module per external boundary (phone, mail, calendars)."""
