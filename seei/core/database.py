"""The address of this process's database, in the one form every consumer reads.

A URL whose parts are percent-encoded: psycopg (libpq) and ``DATABASE_URL`` (dj-database-url)
both read it, and it is right for a host name, an IP address and a Unix socket directory alike
(the embedded server listens only on a socket: ``postgresql://postgres@%2Fsrv%2Fvar%2Fpgdata/db``).
Child processes get their database through ``DATABASE_URL=url()``.
"""

from urllib.parse import quote, urlencode

# Keys of Django's connection parameters that are psycopg's Python options, not libpq's.
_PSYCOPG_ONLY = ("context", "cursor_factory", "prepare_threshold", "server_side_binding")


def url(alias: str = "default") -> str:
    from django.db import connections

    params = {
        key: value
        for key, value in connections[alias].get_connection_params().items()
        if key not in _PSYCOPG_ONLY and value not in (None, "")
    }
    user = quote(str(params.pop("user", "")), safe="")
    password = quote(str(params.pop("password", "")), safe="")
    host = quote(str(params.pop("host", "")), safe="")
    port = params.pop("port", "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    address = host + (f":{port}" if port else "")
    path = quote(str(params.pop("dbname", "")), safe="")
    query = f"?{urlencode(params)}" if params else ""
    return f"postgresql://{credentials}{address}/{path}{query}"
