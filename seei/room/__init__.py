"""The live auction room: a lean ASGI app beside Django (see app.py), its fan-out and its auth."""
