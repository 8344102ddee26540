"""Django's PostgreSQL backend, on the embedded server: started by the first connection."""

from pathlib import Path

from django.db.backends.postgresql import base

from seei.embedded import socket_directory


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = socket_directory(Path(self.settings_dict["HOST"]))
        return params
