import pytest

from mailq.errors import QueueClosed, QueueFull
from mailq.message import Priority
from mailq.outbound_queue import OutboundQueue


def test_fifo_with_urgent_lane_first():
    q = OutboundQueue(10)
    q.put(1)
    q.put(2, Priority.BULK)
    q.put(3, Priority.URGENT)
    assert [q.get(block=False) for _ in range(3)] == [3, 1, 2]
    assert q.get(block=False) is None


def test_capacity_counts_both_lanes():
    q = OutboundQueue(2)
    q.put(1, Priority.URGENT)
    q.put(2)
    with pytest.raises(QueueFull):
        q.put(3, block=False)
    with pytest.raises(QueueFull):
        q.put(3, timeout=0.01)
    assert q.get() == 1
    q.put(3, block=False)
    assert len(q) == 2


def test_task_done_and_join():
    q = OutboundQueue(5)
    q.put(1)
    q.put(2)
    assert q.join(timeout=0.01) is False
    q.get()
    q.task_done()
    q.get()
    q.task_done()
    assert q.join(timeout=0.01) is True
    with pytest.raises(ValueError):
        q.task_done()


def test_remove_and_drain():
    q = OutboundQueue(5)
    for i in range(1, 5):
        q.put(i, Priority.URGENT if i == 4 else Priority.NORMAL)
    assert q.remove(2) is True
    assert q.remove(2) is False
    assert q.drain() == [4, 1, 3]
    assert len(q) == 0
    assert q.join(timeout=0.01) is True


def test_close_stops_producers_and_consumers():
    q = OutboundQueue(5)
    q.put(1)
    q.close()
    with pytest.raises(QueueClosed):
        q.put(2)
    assert q.get() == 1
    assert q.get() is None
    assert q.snapshot()["closed"] is True


def test_get_times_out_empty():
    q = OutboundQueue(1)
    assert q.get(timeout=0.01) is None
