"""PostgreSQL databases for the production profile and the tests."""

from __future__ import annotations

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url


def _admin_url(url: str) -> str:
    """The same server and user, on the maintenance database `postgres`."""
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_database(url: str, *, exist_ok: bool = False) -> bool:
    """Creates the database `url` names; True when it was created."""
    name = make_url(url).database
    admin = psycopg2.connect(_admin_url(url), connect_timeout=5)
    admin.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                if exist_ok:
                    return False
                raise ValueError(f"database {name} exists already")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        admin.close()


def drop_database(url: str) -> None:
    admin = psycopg2.connect(_admin_url(url), connect_timeout=5)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(make_url(url).database)))
    finally:
        admin.close()
