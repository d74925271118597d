"""Delivery workers: take spool ids from the outbound queue and try to
deliver them."""

from __future__ import annotations

import logging
import threading

from . import metrics, mime
from .addresses import group_by_domain
from .errors import Conflict, PoolExhausted, TransportError
from .message import MessageStatus
from .transports.base import DeliveryResult

log = logging.getLogger("mailq.worker")

TEMPORARY_CODES = (421, 450, 451, 452)


def deliver_one(app, spool_id: int) -> MessageStatus | None:
    """One delivery attempt for one message.  Returns the message's status
    afterwards (None if there was nothing to do)."""
    settings = app.settings
    message = app.spool.get(spool_id)
    if message is None:
        metrics.incr("delivery.missing")
        return None
    if message.status != MessageStatus.QUEUED:
        # Cancelled or already handled by another worker.
        metrics.incr("delivery.skipped", status=message.status.value)
        return message.status
    try:
        message = app.spool.transition(spool_id, MessageStatus.SENDING,
                                       attempts=message.attempts + 1)
    except Conflict:
        return None
    started = app.clock.now()
    metrics.incr("delivery.attempt")

    # Suppressed recipients are dropped silently; support adds them for a reason.
    allowed, suppressed = app.suppression.filter(message.recipients)
    if suppressed:
        metrics.incr("delivery.suppressed", len(suppressed))
    if not allowed:
        app.spool.transition(spool_id, MessageStatus.FAILED,
                             last_error="all recipients are suppressed", last_code=None,
                             recipients=message.recipients)
        metrics.incr("delivery.failed")
        return MessageStatus.FAILED

    data = mime.render(message)
    results: list[DeliveryResult] = []
    throttled_for = 0.0
    for domain, recipients in sorted(group_by_domain(allowed).items()):
        ok, wait = app.throttle.try_acquire(domain)
        if not ok:
            metrics.incr("delivery.throttled", domain=domain)
            throttled_for = max(throttled_for, wait)
            results.extend(DeliveryResult(r, 451, f"throttled for {domain}") for r in recipients)
            continue
        hosts = app.resolver.resolve(domain)
        if not hosts:
            results.extend(DeliveryResult(r, 554, f"no route to {domain}") for r in recipients)
            continue
        answered = False
        for url in hosts:
            pool = app.pools.pool_for(url)
            try:
                transport = pool.acquire(timeout=settings.pool_acquire_timeout)
            except (PoolExhausted, TransportError) as exc:
                log.warning("no connection to %s: %s", url, exc)
                metrics.incr("delivery.pool_error", host=url)
                continue
            broken = False
            try:
                replies = transport.send(message.sender, recipients, data)
            except (ConnectionError, OSError) as exc:
                broken = True
                log.warning("send through %s failed: %s", url, exc)
                metrics.incr("delivery.connection_error", host=url)
                continue
            finally:
                pool.release(transport, broken=broken)
            # A relay that answers 421 for everybody is going down: try the next one.
            if replies and all(r.code == 421 for r in replies) and url != hosts[-1]:
                continue
            results.extend(replies)
            answered = True
            break
        if not answered:
            results.extend(DeliveryResult(r, 421, f"no relay for {domain} answered")
                           for r in recipients if not any(x.recipient == r for x in results))

    delivered = [r for r in results if 200 <= r.code < 300]
    # Classify what did not go through.  552 (mailbox full) is retried.
    temporary = [r for r in results
                 if (r.code in TEMPORARY_CODES or 400 <= r.code < 500 or r.code == 552)]
    permanent = [r for r in results if r.code >= 500 and r.code != 552]
    for result in delivered:
        metrics.incr("delivery.recipient_ok", domain=result.recipient.split("@")[-1])
    if permanent:
        app.bounces.bounce(message, permanent)
    elapsed = app.clock.now() - started
    metrics.observe("delivery.seconds", elapsed)

    if temporary:
        first = temporary[0]
        remaining = [r.recipient for r in temporary]
        message = app.spool.update(spool_id, recipients=remaining)
        if message.attempts >= settings.retry_max_attempts:
            metrics.incr("delivery.gave_up")
            app.bounces.give_up(message, f"{first.code} {first.message}", first.code)
            app.webhooks.emit("failed", message, code=first.code)
            return MessageStatus.FAILED
        delay = settings.retry_base_seconds * (2 ** (message.attempts - 1))
        if delay > settings.retry_max_seconds:
            delay = settings.retry_max_seconds
        if throttled_for > delay:
            delay = throttled_for
        due_at = app.clock.now() + delay
        app.spool.transition(spool_id, MessageStatus.DEFERRED,
                             last_error=f"{first.code} {first.message}", last_code=first.code,
                             next_attempt_at=due_at)
        app.scheduler.schedule(spool_id, due_at)
        metrics.incr("delivery.deferred")
        app.webhooks.emit("deferred", message, code=first.code, retry_at=due_at)
        return MessageStatus.DEFERRED
    if delivered:
        last = permanent[0] if permanent else delivered[-1]
        app.spool.transition(spool_id, MessageStatus.DELIVERED, delivered_at=app.clock.now(),
                             last_code=last.code, last_error=last.message if permanent else None,
                             next_attempt_at=None)
        metrics.incr("delivery.delivered")
        app.webhooks.emit("delivered", message)
        return MessageStatus.DELIVERED
    first = permanent[0]
    app.spool.transition(spool_id, MessageStatus.BOUNCED, last_code=first.code,
                         last_error=f"{first.code} {first.message}", next_attempt_at=None)
    metrics.incr("delivery.bounced")
    app.webhooks.emit("bounced", message, code=first.code)
    return MessageStatus.BOUNCED


class DeliveryWorker(threading.Thread):
    def __init__(self, app, index: int):
        super().__init__(name=f"delivery-worker-{index}", daemon=True)
        self.app = app
        self.handled = 0
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    def run(self) -> None:
        queue = self.app.queue
        poll = self.app.settings.worker_poll_seconds
        while not self._stopping:
            spool_id = queue.get(timeout=poll)
            if spool_id is None:
                if queue.closed:
                    break
                continue
            try:
                deliver_one(self.app, spool_id)
            except Exception:  # keep the worker alive; the message stays SENDING
                log.exception("delivery of %s crashed", spool_id)
                metrics.incr("delivery.crashed")
            finally:
                self.handled += 1
                queue.task_done()


class WorkerPool:
    def __init__(self, app, count: int):
        self.app = app
        self.count = count
        self.workers: list[DeliveryWorker] = []

    def start(self) -> None:
        if self.workers:
            return
        for index in range(self.count):
            worker = DeliveryWorker(self.app, index)
            worker.start()
            self.workers.append(worker)

    def stop(self, timeout: float = 5.0) -> None:
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join(timeout=timeout)
        self.workers = []

    def alive(self) -> int:
        return sum(1 for worker in self.workers if worker.is_alive())
