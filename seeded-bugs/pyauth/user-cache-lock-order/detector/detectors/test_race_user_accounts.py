"""Race detector: account reads and account updates must not block each other.

Explores thread interleavings of the account repository with refbench_race
(PYTHONPATH must include harness/python).  Uses only the repository's public
API (UserRepository(db, clock), create, get, require, set_active,
update_profile), which a refactor of the API token flow keeps.  Every
schedule ends either with both threads done or, if all threads wait on each
other's locks, as a reported deadlock.
"""

import sys

from refbench_race import assert_no_race

from pyauth import db as db_module
from pyauth import users as users_module
from pyauth.clock import FakeClock
from pyauth.db import Database, create_schema
from pyauth.users import UserRepository

# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({users_module.__name__, UserRepository.__module__})
# The table store's locks must be cooperative too (they are created in setup()).
PATCH = [db_module]
# max_schedules covers the whole bounded space of the correct code (about 700 schedules).
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=1500, timeout=5.0,
               patch_modules=PATCH)


def _repository():
    db = create_schema(Database())
    clock = FakeClock(1_700_000_000.0)
    # Accounts are created through another repository over the same tables (as
    # another request thread would), so the repository under test starts cold.
    seeder = UserRepository(db, clock)
    alice = seeder.create("alice@example.com", "pbkdf2_sha256$1000$00$00", "Alice")
    bob = seeder.create("bob@example.com", "pbkdf2_sha256$1000$00$00", "Bob")
    return {"repo": UserRepository(db, clock), "alice": alice.id, "bob": bob.id, "seen": []}


def test_reading_one_account_while_another_is_deactivated():
    def setup():
        return _repository()

    def request_for_bob(state):
        state["seen"].append(state["repo"].get(state["bob"]))

    def deactivate_alice(state):
        state["repo"].set_active(state["alice"], False)

    def check(state):
        repo = state["repo"]
        assert repo.get(state["alice"]).active is False, "deactivation lost"
        assert [u.email for u in state["seen"]] == ["bob@example.com"], state["seen"]

    assert_no_race(setup, [("request", request_for_bob), ("admin", deactivate_alice)],
                   check, TARGETS, **OPTIONS)


def test_reading_one_account_while_another_renames_itself():
    def setup():
        return _repository()

    def request_for_alice(state):
        state["seen"].append(state["repo"].require(state["alice"]))

    def rename_bob(state):
        state["repo"].update_profile(state["bob"], "Robert")

    def check(state):
        repo = state["repo"]
        assert repo.get(state["bob"]).display_name == "Robert", "profile update lost"
        assert [u.display_name for u in state["seen"]] == ["Alice"], state["seen"]

    assert_no_race(setup, [("request", request_for_alice), ("profile", rename_bob)],
                   check, TARGETS, **OPTIONS)


def test_a_read_racing_with_an_update_never_leaves_a_stale_account():
    def setup():
        return _repository()

    def request_for_alice(state):
        state["seen"].append(state["repo"].get(state["alice"]))

    def deactivate_alice(state):
        state["repo"].set_active(state["alice"], False)

    def check(state):
        repo = state["repo"]
        assert repo.get(state["alice"]).active is False, "a stale copy of alice survived the update"
        assert repo.require(state["alice"]).active is False

    assert_no_race(setup, [("request", request_for_alice), ("admin", deactivate_alice)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
