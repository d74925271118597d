"""Role based permissions for the admin API."""

PERMISSIONS = {
    "customer": set(),
    "support": {"orders.view", "orders.cancel", "customers.view"},
    "admin": {"orders.view", "orders.cancel", "orders.edit", "orders.ship", "orders.create",
              "customers.view", "customers.edit", "catalog.edit", "stock.edit",
              "promotions.edit", "reports.view", "jobs.run"},
}


def permissions_for(role: str) -> set:
    return set(PERMISSIONS.get(role, set()))


def has_permission(customer, permission: str) -> bool:
    return customer is not None and customer.active and permission in permissions_for(customer.role)
