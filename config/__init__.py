"""Configuration: settings, the hiring-round file schema and its validation, signed links,
message templates, and the project's exception tree (``config.errors``).

May import: nothing of ours (the bottom layer).
"""
