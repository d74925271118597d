"""pyauth: account and sign-in service of the customer portal."""

__version__ = "3.4.1"
