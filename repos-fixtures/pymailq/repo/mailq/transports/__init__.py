"""Delivery transports: how a rendered message leaves the building."""
