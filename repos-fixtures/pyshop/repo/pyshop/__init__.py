"""pyshop: the order-taking backend of the shop.

Handlers are plain functions called with ``(app, request, **params)``; the
HTTP layer in front of them is not part of this package.  ``Application`` in
``pyshop.app`` wires every service together.
"""

__version__ = "3.14.2"
