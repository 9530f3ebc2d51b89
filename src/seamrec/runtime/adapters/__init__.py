"""Seams that are not Python functions of the app: the database (DB-API drivers,
SQLAlchemy, Django) and HTTP (test clients in, requests/httpx out)."""
