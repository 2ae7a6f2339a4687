"""Configuration: settings, the hiring-round file schema, and the project's exception tree."""
