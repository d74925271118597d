"""Hidden tests: observer back ends by name (watchdog.observers.backends) and watchmedo's
--debug-force-* dispatch through observer_class_from_args()."""

import argparse
import warnings

import pytest

from watchdog import observers
from watchdog.observers import backends
from watchdog.observers.inotify import InotifyObserver
from watchdog.observers.polling import PollingObserver


def test_backend_names_are_sorted_and_complete():
    assert backends.backend_names() == ["fsevents", "inotify", "kqueue", "polling", "winapi"]


def test_load_backend_returns_the_observer_classes():
    assert backends.load_backend("polling") is PollingObserver
    assert backends.load_backend("inotify") is InotifyObserver


def test_unknown_backend_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError) as excinfo:
        backends.load_backend("epoll")
    message = str(excinfo.value)
    assert "epoll" in message
    for name in ("fsevents", "inotify", "kqueue", "polling", "winapi"):
        assert name in message


def test_a_backend_that_cannot_load_here_raises_its_own_error():
    # Linux has no kqueue(2) and no Windows API: importing those back ends fails.
    with pytest.raises(Exception) as excinfo:
        backends.load_backend("winapi")
    assert not isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(
    "platform_name, expected",
    [
        ("linux", ("inotify", "polling")),
        ("darwin", ("fsevents", "kqueue", "polling")),
        ("bsd", ("kqueue",)),
        ("windows", ("winapi", "polling")),
        ("unknown", ("polling",)),
    ],
)
def test_preferred_backends_per_platform(platform_name, expected):
    assert tuple(backends.preferred_backends(platform_name)) == expected


def test_preferred_backends_default_to_this_platform():
    assert tuple(backends.preferred_backends()) == ("inotify", "polling")


def test_select_returns_the_first_backend_that_loads():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backends.select_observer_class(["polling", "inotify"]) is PollingObserver
        assert backends.select_observer_class() is InotifyObserver


def test_select_falls_back_with_a_warning_naming_both_backends():
    with pytest.warns(UserWarning) as record:
        chosen = backends.select_observer_class(["winapi", "kqueue", "polling"])
    assert chosen is PollingObserver
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "winapi" in messages[0] and "kqueue" in messages[0]
    assert "kqueue" in messages[1] and "polling" in messages[1]


def test_select_raises_import_error_when_nothing_loads():
    with pytest.warns(UserWarning):
        with pytest.raises(ImportError) as excinfo:
            backends.select_observer_class(["winapi", "kqueue"])
    assert "winapi" in str(excinfo.value) and "kqueue" in str(excinfo.value)
    assert excinfo.value.__cause__ is not None


def test_select_refuses_unknown_names_before_loading_anything():
    with pytest.raises(ValueError):
        backends.select_observer_class(["polling", "epoll"])


def test_default_observer_is_chosen_through_the_registry():
    assert observers.Observer is backends.select_observer_class()
    assert observers.__all__ == ["Observer"]


def test_watchmedo_honours_debug_force_flags_in_order():
    from watchdog import watchmedo

    assert watchmedo.DEBUG_FORCE_BACKENDS == ("polling", "kqueue", "winapi", "inotify", "fsevents")
    forced = argparse.Namespace(debug_force_polling=True, debug_force_inotify=True)
    assert watchmedo.observer_class_from_args(forced) is PollingObserver
    inotify = argparse.Namespace(debug_force_polling=False, debug_force_inotify=True)
    assert watchmedo.observer_class_from_args(inotify) is InotifyObserver


def test_watchmedo_uses_the_default_observer_without_flags():
    from watchdog import watchmedo

    assert watchmedo.observer_class_from_args(argparse.Namespace()) is observers.Observer
    assert (
        watchmedo.observer_class_from_args(argparse.Namespace(debug_force_polling=False))
        is observers.Observer
    )


def test_watchmedo_commands_parse_their_flags_into_the_same_choice():
    from watchdog import watchmedo

    args = watchmedo.cli.parse_args(["log", "--debug-force-polling", "."])
    assert watchmedo.observer_class_from_args(args) is PollingObserver
    args = watchmedo.cli.parse_args(["shell-command", "--debug-force-polling", "."])
    assert watchmedo.observer_class_from_args(args) is PollingObserver
    args = watchmedo.cli.parse_args(["auto-restart", "--debug-force-polling", "true"])
    assert watchmedo.observer_class_from_args(args) is PollingObserver
    args = watchmedo.cli.parse_args(["log", "."])
    assert watchmedo.observer_class_from_args(args) is observers.Observer
