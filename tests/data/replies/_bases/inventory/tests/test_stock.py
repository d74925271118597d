from inventory.stock import Stock, StockError


def test_add_then_reserve():
    s = Stock()
    s.add("apple", 5)
    assert s.reserve("apple", 3) == 3
    assert s.level("apple") == 2


def test_reserve_too_many():
    s = Stock()
    s.add("pear", 1)
    try:
        s.reserve("pear", 2)
    except StockError:
        return
    assert False, "expected StockError"
