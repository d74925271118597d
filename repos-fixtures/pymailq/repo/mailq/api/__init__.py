"""The JSON API (the HTTP front end in the ops repo turns real HTTP into
Request objects and back)."""
