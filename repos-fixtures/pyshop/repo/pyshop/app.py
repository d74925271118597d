"""Application: builds every service and dispatches requests to handlers."""

from .api.handlers import ROUTES
from .api.http import Request, error_response
from .api.middleware import wrap
from .api.router import Router
from .audit import AuditLog
from .auth.sessions import SessionStore
from .cache.registry import CacheRegistry
from .cart.service import CartService
from .catalog.pricebook import PriceBook
from .catalog.service import CatalogService
from .checkout.service import CheckoutService
from .admin.manual_orders import ManualOrderDesk
from .clock import SystemClock
from .config.settings import Settings
from .customers.loyalty import LoyaltyProgram
from .customers.service import CustomerService
from .db.engine import Database
from .db.schema import create_schema
from .errors import ShopError
from .events import EventBus
from .giftcards.service import GiftCardService
from .inventory.alerts import LowStockMonitor
from .inventory.ledger import StockLedger
from .inventory.service import InventoryService
from .inventory.warehouses import BinDirectory
from .jobs.scheduler import JobScheduler
from .jobs.tasks import register_default_jobs
from .notifications.mailer import Mailer, MemoryTransport
from .notifications.outbox import EmailOutbox
from .notifications.preferences import Preferences
from .notifications.subscribers import register_subscribers
from .orders.service import OrderService
from .payments.gateway import FakeGateway
from .payments.service import PaymentService
from .payments.webhooks import WebhookReceiver
from .pricing.coupons import CouponService
from .pricing.price_history import PriceHistory
from .pricing.promotions import PromotionService
from .returns.service import ReturnService
from .reviews.service import ReviewService
from .shipping.quotes import ShippingQuoter
from .shipping.shipments import ShipmentService
from .tax.calculator import TaxCalculator
from .tax.tables import TaxTable
from .util.log import RequestLog
from .wishlist.service import WishlistService


class Application:
    def __init__(self, settings: Settings | None = None, clock=None, db: Database | None = None,
                 gateway=None, transport=None):
        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.db = create_schema(db or Database())
        self.events = EventBus()
        self.audit = AuditLog(self.db, self.clock)
        self.cache = CacheRegistry(clock=self.clock, default_ttl=self.settings.cache_ttl_seconds)

        self.customers = CustomerService(self.db, self.clock, self.settings)
        self.sessions = SessionStore(self.clock, self.settings.session_ttl_seconds)
        self.loyalty = LoyaltyProgram(self.db, self.settings)

        self.catalog = CatalogService(self.db, self.cache, self.clock, self.events)
        self.price_book = PriceBook(self.db, self.catalog, self.cache)
        self.ledger = StockLedger()
        self.inventory = InventoryService(self.db, self.ledger, self.events, self.clock, self.settings)
        self.low_stock = LowStockMonitor(self.events)
        self.bins = BinDirectory()

        self.promotions = PromotionService(self.db, self.cache, self.clock)
        self.price_history = PriceHistory(self.db, self.clock, self.events)
        self.coupons = CouponService(self.db, self.clock)
        self.tax = TaxCalculator(TaxTable(), self.settings)
        self.shipping = ShippingQuoter(self.settings)
        self.shipments = ShipmentService(self.db, self.clock)

        self.outbox = EmailOutbox(self.db, self.clock, sender=self.settings.sender_email)
        self.transport = transport or MemoryTransport()
        self.mailer = Mailer(self.outbox, self.transport)
        self.email_preferences = Preferences(self.db)
        self.gateway = gateway or FakeGateway()
        self.payments = PaymentService(self.db, self.gateway, self.clock)
        self.webhooks = WebhookReceiver(self)

        self.carts = CartService(self.db, self.catalog, self.price_book, self.promotions, self.coupons,
                                 self.tax, self.shipping, self.customers, self.clock, self.settings)
        self.orders = OrderService(self)
        self.checkout = CheckoutService(self)
        self.manual_orders = ManualOrderDesk(self)
        self.returns = ReturnService(self)
        self.reviews = ReviewService(self)
        self.wishlist = WishlistService(self)
        self.gift_cards = GiftCardService(self.db, self.clock)

        self.scheduler = JobScheduler(self.clock, self.db)
        register_default_jobs(self, self.scheduler)
        register_subscribers(self)

        self.router = Router()
        for method, pattern, handler in ROUTES:
            self.router.add(method, pattern, handler)
        self.request_log = RequestLog()
        self._pipeline = wrap(self._dispatch, self.request_log, self.clock)

    def _dispatch(self, request: Request):
        try:
            handler, params = self.router.match(request.method, request.path)
            return handler(self, request, **params)
        except ShopError as exc:
            return error_response(exc)

    def handle(self, request: Request):
        return self._pipeline(request)

    def call(self, method: str, path: str, body=None, *, token: str | None = None, headers=None):
        """Convenience used by scripts and tests: build a Request and handle it."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.handle(Request(method, path, headers=headers, body=body))
