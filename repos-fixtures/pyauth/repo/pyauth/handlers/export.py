"""Nightly CSV export of the user list, pulled by the reporting job.

The reporting job cannot do the cookie dance, so this endpoint has always
taken HTTP Basic credentials of an account with the ``export:run`` permission.
"""

from __future__ import annotations

import csv
import io

from ..errors import InvalidCredentials, Unauthorized
from ..http import Response
from ..passwords import verify_password
from ..roles import require_permission


def handle_export_users(app, request):
    creds = request.basic_credentials()
    if creds is None:
        raise Unauthorized("basic credentials required")
    email, password = creds
    user = app.users.find_by_email(email)
    if user is None or not verify_password(password, user.password_hash):
        app.audit.record("export.auth_failed", email=email)
        raise InvalidCredentials("wrong e-mail or password")
    require_permission(user, "export:run")

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "email", "display_name", "roles", "active", "created_at"])
    for u in app.users.list():
        writer.writerow([u.id, u.email, u.display_name, " ".join(u.roles),
                         "yes" if u.active else "no", int(u.created_at)])
    app.audit.record("export.users", user_id=user.id)
    return Response(200, out.getvalue(), {"Content-Type": "text/csv"})
