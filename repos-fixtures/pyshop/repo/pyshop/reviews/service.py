"""Product reviews.  Only customers who received the product may review it;
reviews are visible after moderation."""

from dataclasses import dataclass

from ..db.repository import Repository
from ..errors import Conflict, Forbidden, ValidationError
from ..orders import status as st
from ..util.text import squash_spaces, truncate

PENDING = "pending"
PUBLISHED = "published"
HIDDEN = "hidden"
BANNED_WORDS = ("viagra", "casino")


@dataclass(kw_only=True)
class Review:
    id: int = 0
    product_id: int
    customer_id: int
    rating: int
    title: str
    body: str = ""
    status: str = PENDING
    created_at: float = 0.0


class ReviewRepository(Repository):
    table_name = "reviews"
    model = Review


class ReviewService:
    def __init__(self, app):
        self.app = app
        self.repo = ReviewRepository(app.db)

    def _bought(self, customer_id: int, product_id: int) -> bool:
        skus = {v.sku for v in self.app.catalog.variants.for_product(product_id)}
        for order in self.app.orders.for_customer(customer_id):
            if order.status not in (st.SHIPPED, st.DELIVERED):
                continue
            if any(l.sku in skus for l in self.app.orders.lines(order.id)):
                return True
        return False

    def submit(self, customer, product_slug: str, rating, title: str, body: str = "") -> Review:
        product = self.app.catalog.product_by_slug(product_slug)
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            raise ValidationError("rating must be 1 to 5", field="rating") from None
        if not 1 <= rating <= 5:
            raise ValidationError("rating must be 1 to 5", field="rating")
        title = truncate(squash_spaces(title), 120)
        if not title:
            raise ValidationError("a title is required", field="title")
        if not self._bought(customer.id, product.id):
            raise Forbidden("only customers who received the product can review it")
        if self.repo.find_one(product_id=product.id, customer_id=customer.id) is not None:
            raise Conflict("you already reviewed this product")
        status = HIDDEN if any(w in (title + body).lower() for w in BANNED_WORDS) else PENDING
        return self.repo.add(Review(product_id=product.id, customer_id=customer.id, rating=rating,
                                    title=title, body=body.strip(), status=status,
                                    created_at=self.app.clock.now()))

    def moderate(self, review_id: int, *, publish: bool, actor: str) -> Review:
        review = self.repo.require(review_id)
        review = self.repo.update(review.id, status=PUBLISHED if publish else HIDDEN)
        self.app.audit.record(actor, "review.published" if publish else "review.hidden", str(review.id))
        return review

    def published(self, product_id: int) -> list:
        return sorted(self.repo.find(product_id=product_id, status=PUBLISHED),
                      key=lambda r: r.created_at, reverse=True)

    def summary(self, product_id: int) -> dict:
        reviews = self.published(product_id)
        if not reviews:
            return {"count": 0, "average": None}
        return {"count": len(reviews), "average": round(sum(r.rating for r in reviews) / len(reviews), 1)}
