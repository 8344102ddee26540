"""Two-factor authentication: a TOTP authenticator (RFC 6238) and single-use recovery codes.

Required of the people who run the procedure (buyer agents, commission members, accountants,
administrators, and anyone with access to /admin/); optional for companies, binding once enrolled.
Built on django-otp's TOTP and static devices; ``services`` holds the rules, ``middleware`` sends
a person who still owes a second factor to it before anything else.
"""

# Set at login on a session that still owes a second factor: the room, which reads sessions
# without Django's middleware, refuses such a session (seei/room/auth.py).
PENDING_SESSION_KEY = "seei_second_factor_pending"

# Published in the README: the demo's staff accounts share it, so anyone trying the demo can log
# in with an authenticator app or `seei totp EMAIL`. Only `load_demo` enrols it.
DEMO_SECRET = "SEEIDEMOTOTPSEEIDEMOTOTPSEEIDEMO"
