"""The shop's repositories on SQLAlchemy 2 (ORM), for SQLite and PostgreSQL alike."""
