"""Postroom: the outbound mail relay behind our transactional e-mail.

Messages come in over the JSON API, from the nightly CSV batch import and
from the legacy SMTP drop box; they are stored in the spool, queued, and
delivered by a pool of worker threads through the configured transports.
"""

__version__ = "3.14.2"
