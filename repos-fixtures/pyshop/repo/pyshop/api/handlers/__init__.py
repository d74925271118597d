"""HTTP handlers, one module per area.  ``ROUTES`` lists them all."""

from . import account, admin, backoffice, cart, catalog, checkout, extras, health, orders, returns

ROUTES = (account.ROUTES + catalog.ROUTES + cart.ROUTES + checkout.ROUTES + orders.ROUTES
          + returns.ROUTES + extras.ROUTES + admin.ROUTES + backoffice.ROUTES + health.ROUTES)
