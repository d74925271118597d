"""HTTP handlers.  Each is ``handler(app, request, **path_params) -> Response``."""
