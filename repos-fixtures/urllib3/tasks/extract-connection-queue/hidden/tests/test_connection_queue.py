import gc
import threading

import pytest

from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ClosedPoolError, EmptyPoolError
from urllib3.util import ConnectionQueue
from urllib3.util.queue import LifoQueue


def test_new_queue_hands_out_free_slots():
    q = ConnectionQueue(maxsize=2)
    assert q.maxsize == 2 and q.block is False and q.closed is False
    assert q.qsize() == 2
    assert q.get() is None and q.get() is None
    # Non-blocking: with every slot taken it still says "open a new one".
    assert q.get() is None


def test_connections_come_back_last_in_first_out(make_conn):
    q = ConnectionQueue(maxsize=3)
    for _ in range(3):
        q.get()
    a, b = make_conn("a"), make_conn("b")
    assert q.put(a) is True
    assert q.put(b) is True
    assert q.get() is b
    assert q.get() is a


def test_full_queue_discards_and_closes(make_conn):
    q = ConnectionQueue(maxsize=1)
    extra = make_conn("extra")
    assert q.put(extra) is False
    assert extra.closed
    assert q.qsize() == 1


def test_close_closes_idle_connections_and_refuses_more(make_conn):
    q = ConnectionQueue(maxsize=2)
    q.get()
    idle = make_conn("idle")
    q.put(idle)
    q.close()
    assert q.closed
    assert idle.closed
    with pytest.raises(ClosedPoolError):
        q.get()
    late = make_conn("late")
    assert q.put(late) is False
    assert late.closed
    q.close()


def test_blocking_queue_raises_empty_pool_error_naming_its_pool():
    pool = HTTPConnectionPool("example.com", maxsize=1, block=True)
    q = pool.pool
    assert q.block is True
    q.get()
    with pytest.raises(EmptyPoolError) as info:
        q.get(timeout=0.01)
    assert info.value.pool is pool


def test_closed_error_names_the_pool():
    pool = HTTPConnectionPool("example.com")
    pool.close()
    with pytest.raises(ClosedPoolError) as info:
        pool.pool.get()
    assert info.value.pool is pool


def test_close_wakes_threads_waiting_for_a_connection():
    q = ConnectionQueue(maxsize=1, block=True)
    q.get()
    outcome = []
    started = threading.Event()

    def wait_for_connection():
        started.set()
        try:
            outcome.append(q.get(timeout=10))
        except ClosedPoolError as e:
            outcome.append(e)

    waiter = threading.Thread(target=wait_for_connection)
    waiter.start()
    started.wait(5)
    # Give the waiter time to block in get(); close() must wake it either way.
    waiter.join(0.2)
    q.close()
    waiter.join(5)
    assert not waiter.is_alive(), "close() left a thread waiting for a connection"
    assert len(outcome) == 1 and isinstance(outcome[0], ClosedPoolError)


def test_counters_do_not_lose_increments():
    q = ConnectionQueue(maxsize=1)
    assert q.count_connection() == 1
    assert q.count_request() == 1

    def hammer():
        for _ in range(2000):
            q.count_connection()
            q.count_request()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert q.num_connections == 8001
    assert q.num_requests == 8001


def test_queue_keeps_only_a_weak_reference_to_its_pool():
    pool = HTTPConnectionPool("example.com")
    q = pool.pool
    assert q.owner is pool
    del pool
    gc.collect()
    assert q.owner is None
    assert ConnectionQueue().owner is None


def test_collected_pool_closes_its_idle_connections(make_conn):
    pool = HTTPConnectionPool("example.com", maxsize=1)
    q = pool.pool
    pool._get_conn()
    idle = make_conn("idle")
    pool._put_conn(idle)
    del pool
    gc.collect()
    assert idle.closed
    assert q.closed


def test_pool_keeps_its_connections_in_a_connection_queue():
    class CustomQueue(LifoQueue):
        pass

    class CustomPool(HTTPConnectionPool):
        QueueCls = CustomQueue

    pool = CustomPool("example.com", maxsize=4, block=True)
    assert isinstance(pool.pool, ConnectionQueue)
    assert pool.pool.maxsize == 4
    assert isinstance(pool.pool._queue, CustomQueue)
    assert pool.block is True
    pool.block = False
    assert pool.pool.block is False


def test_pool_stays_a_closed_queue_after_close(make_conn):
    pool = HTTPConnectionPool("example.com", maxsize=1)
    pool.close()
    assert isinstance(pool.pool, ConnectionQueue)
    assert pool.pool.closed


def test_pool_counters_come_from_the_queue(server, pool):
    server.add("/", body=b"x")
    pool.request("GET", "/")
    pool.request("GET", "/")
    assert (pool.num_connections, pool.num_requests) == (1, 2)
    assert (pool.pool.num_connections, pool.pool.num_requests) == (1, 2)
    with pytest.raises(AttributeError):
        pool.num_connections = 0
    with pytest.raises(AttributeError):
        pool.num_requests = 0


def test_https_pool_counts_new_connections():
    pool = HTTPSConnectionPool("example.com", maxsize=1)
    conn = pool._new_conn()
    assert conn is not None
    assert pool.num_connections == 1
    assert pool.pool.num_connections == 1
