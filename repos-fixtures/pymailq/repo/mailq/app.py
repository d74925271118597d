"""Wiring: builds every component, routes requests, starts and stops the
background threads."""

from __future__ import annotations

import logging

from . import metrics
from .api import admin, status, submit
from .api.http import Request, Response
from .api.router import Router
from .audit import AuditLog
from .bounce import BounceProcessor
from .clock import Clock, SystemClock
from .dedup import DuplicateFilter
from .errors import MailqError, ValidationError
from .housekeeping import Housekeeper
from .ids import IdSequence
from .intake import batch, dropbox
from .mx import RelayResolver, RoutingTable
from .outbound_queue import OutboundQueue
from .pool import PoolManager
from .scheduler import RetryScheduler
from .settings import DEFAULT_SETTINGS, Settings
from .spool import Spool
from .suppression import SuppressionList
from .templates import builtin_templates
from .throttle import DomainThrottle
from .webhooks import WebhookDispatcher
from .worker import WorkerPool, deliver_one

log = logging.getLogger("mailq.app")


class Application:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None,
                 routing: RoutingTable | None = None, transport_factory=None):
        self.settings = settings or DEFAULT_SETTINGS
        self.clock = clock or SystemClock()
        self.ids = IdSequence()
        self.spool = Spool()
        self.queue = OutboundQueue(self.settings.queue_capacity)
        self.dedup = DuplicateFilter(self.settings.dedup_ttl_seconds, self.clock)
        self.suppression = SuppressionList(self.clock)
        self.throttle = DomainThrottle(self.settings.domain_rate_per_minute, self.clock)
        self.resolver = RelayResolver(routing or RoutingTable(default=[self.settings.relay_url]),
                                      self.clock, self.settings.mx_cache_seconds)
        self.pools = PoolManager(self.settings.pool_size_per_host, transport_factory)
        self.audit = AuditLog(self.clock)
        self.templates = builtin_templates()
        self.webhooks = WebhookDispatcher(self.clock)
        self.scheduler = RetryScheduler(self.spool, self.queue, self.clock, self.settings)
        self.bounces = BounceProcessor(self.spool, self.queue, self.suppression, self.templates,
                                       self.ids, self.clock, self.settings)
        self.workers = WorkerPool(self, self.settings.worker_count)
        self.housekeeper = Housekeeper(self)
        self.router = Router()
        self._routes()
        self.started = False

    def _routes(self) -> None:
        r = self.router
        r.add("POST", "/messages", submit.submit)
        r.add("POST", "/messages/template", submit.submit_template)
        r.add("GET", "/messages", status.list_messages)
        r.add("GET", "/messages/{id}", status.get_message)
        r.add("GET", "/stats", status.stats)
        r.add("GET", "/health", status.health)
        r.add("POST", "/batches", self._import_batch)
        r.add("POST", "/dropbox", self._accept_dropbox)
        r.add("POST", "/admin/messages/{id}/retry", admin.retry_message)
        r.add("DELETE", "/admin/messages/{id}", admin.cancel_message)
        r.add("POST", "/admin/queue/purge", admin.purge_queue)
        r.add("GET", "/admin/queue", admin.queue_state)
        r.add("GET", "/admin/suppressions", admin.list_suppressions)
        r.add("POST", "/admin/suppressions", admin.add_suppression)
        r.add("DELETE", "/admin/suppressions/{address}", admin.remove_suppression)

    # -- intake endpoints that need no module of their own ------------------

    @staticmethod
    def _import_batch(app, request: Request) -> Response:
        admin._require_admin(app, request)
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("batch must be UTF-8 CSV") from None
        report = batch.import_csv(app, text)
        app.audit.record("batch.imported", accepted=len(report.accepted),
                         duplicates=len(report.duplicates), rejected=len(report.rejected))
        return Response.ok(report.public(), status=202)

    @staticmethod
    def _accept_dropbox(app, request: Request) -> Response:
        try:
            raw = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("message must be UTF-8") from None
        envelope = request.header("X-Envelope-To")
        recipients = [r.strip() for r in envelope.split(",")] if envelope else None
        message = dropbox.accept_raw(app, raw, recipients)
        return Response.ok(message.public(), status=202, Location=f"/messages/{message.id}")

    # -- request handling ----------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            handler, params = self.router.match(request.method, request.path)
            request.params = params
            response = handler(self, request)
        except MailqError as exc:
            metrics.incr("api.error", code=exc.code)
            return Response.error(exc)
        metrics.incr("api.request", status=response.status)
        return response

    # -- delivery ---------------------------------------------------------------

    def process_pending(self, limit: int = 1000) -> int:
        """Deliver what is queued on the calling thread (tests, the CLI's
        one-shot mode).  Returns how many attempts were made."""
        handled = 0
        while handled < limit:
            spool_id = self.queue.get(block=False)
            if spool_id is None:
                break
            try:
                deliver_one(self, spool_id)
            finally:
                self.queue.task_done()
            handled += 1
        return handled

    def start(self) -> None:
        if self.started:
            return
        self.workers.start()
        self.scheduler.start()
        self.housekeeper.start()
        metrics.start_flusher(self.settings.metrics_flush_seconds)
        self.started = True
        log.info("started %d workers", self.settings.worker_count)

    def stop(self, drain: bool = True, timeout: float = 10.0) -> None:
        if not self.started:
            return
        self.scheduler.stop()
        self.housekeeper.stop()
        self.webhooks.flush()
        if drain:
            self.queue.join(timeout=timeout)
        self.queue.close()
        self.workers.stop()
        self.pools.close_all()
        metrics.stop_flusher()
        self.started = False
