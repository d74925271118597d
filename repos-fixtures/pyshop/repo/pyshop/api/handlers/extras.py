"""Reviews, wishlists and gift cards."""

from ...auth.guard import require_customer, require_permission
from ...util.validation import require_fields
from ..http import created, json_response, no_content


def product_reviews(app, request, slug):
    product = app.catalog.product_by_slug(slug)
    reviews = app.reviews.published(product.id)
    return json_response({"summary": app.reviews.summary(product.id),
                          "reviews": [{"rating": r.rating, "title": r.title, "body": r.body} for r in reviews]})


def submit_review(app, request, slug):
    customer = require_customer(app, request)
    body = request.json()
    require_fields(body, "rating", "title")
    review = app.reviews.submit(customer, slug, body["rating"], body["title"], body.get("body", ""))
    return created({"id": review.id, "status": review.status})


def moderate_review(app, request, review_id):
    admin = require_permission(app, request, "catalog.edit")
    body = request.json()
    review = app.reviews.moderate(review_id, publish=bool(body.get("publish", True)), actor=admin.email)
    return json_response({"id": review.id, "status": review.status})


def wishlist(app, request):
    customer = require_customer(app, request)
    return json_response({"items": app.wishlist.items(customer.id)})


def add_to_wishlist(app, request):
    customer = require_customer(app, request)
    body = request.json()
    require_fields(body, "sku")
    app.wishlist.add(customer.id, body["sku"], notify=bool(body.get("notify", True)))
    return json_response({"items": app.wishlist.items(customer.id)})


def remove_from_wishlist(app, request, sku):
    customer = require_customer(app, request)
    app.wishlist.remove(customer.id, sku)
    return no_content()


def issue_gift_card(app, request):
    admin = require_permission(app, request, "orders.edit")
    body = request.json()
    require_fields(body, "amount_cents")
    card = app.gift_cards.issue(body["amount_cents"], issued_to=body.get("email"))
    app.audit.record(admin.email, "gift_card.issued", card.code, amount=card.initial_cents)
    return created({"code": card.code, "balance_cents": card.balance_cents})


def gift_card_balance(app, request, code):
    return json_response({"balance_cents": app.gift_cards.balance(code)})


ROUTES = [
    ("GET", "/products/{slug}/reviews", product_reviews),
    ("POST", "/products/{slug}/reviews", submit_review),
    ("POST", "/admin/reviews/{review_id:int}", moderate_review),
    ("GET", "/me/wishlist", wishlist),
    ("POST", "/me/wishlist", add_to_wishlist),
    ("DELETE", "/me/wishlist/{sku}", remove_from_wishlist),
    ("POST", "/admin/gift-cards", issue_gift_card),
    ("GET", "/gift-cards/{code}", gift_card_balance),
]
