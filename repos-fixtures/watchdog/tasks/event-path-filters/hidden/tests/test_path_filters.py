"""Hidden tests: PathFilter, PatternFilter, RegexFilter and event_paths
(watchdog.utils.patterns), FilteringEventHandler (watchdog.events) and watchmedo's
parse_patterns() on top of PatternFilter.from_spec()."""

import re

import pytest

from watchdog.events import (
    DirCreatedEvent,
    FileCreatedEvent,
    FileMovedEvent,
    FileModifiedEvent,
    FileSystemEventHandler,
    FilteringEventHandler,
    PatternMatchingEventHandler,
    RegexMatchingEventHandler,
)
from watchdog.utils.patterns import PathFilter, PatternFilter, RegexFilter, event_paths


class Recorder:
    def __init__(self):
        self.events = []

    def on_any_event(self, event):
        self.events.append(event)


class RecordingFilteringHandler(FilteringEventHandler):
    def __init__(self, path_filter, ignore_directories=False):
        super().__init__(path_filter, ignore_directories=ignore_directories)
        self.seen = []

    def on_any_event(self, event):
        self.seen.append(event)


def test_event_paths_lists_destination_then_source_as_str():
    assert event_paths(FileMovedEvent("/a/old.py", "/a/new.txt")) == ["/a/new.txt", "/a/old.py"]
    assert event_paths(FileCreatedEvent("/a/b.py")) == ["/a/b.py"]
    assert event_paths(FileCreatedEvent(b"/a/bytes.py")) == ["/a/bytes.py"]
    assert event_paths(FileCreatedEvent("")) == []


def test_path_filter_is_an_interface():
    with pytest.raises(NotImplementedError):
        PathFilter().matches_paths(["/a"])

    class OnlyTmp(PathFilter):
        def matches_paths(self, paths):
            return any(p.startswith("/tmp/") for p in paths)

    assert OnlyTmp().matches_event(FileMovedEvent("/home/x", "/tmp/x"))
    assert not OnlyTmp().matches_event(FileCreatedEvent("/home/x"))


def test_pattern_filter_defaults_and_properties():
    everything = PatternFilter()
    assert everything.patterns is None
    assert everything.ignore_patterns is None
    assert everything.case_sensitive is False
    assert everything.matches_paths(["/any/file.bin"])
    assert not everything.matches_paths([])


def test_pattern_filter_matches_any_path_included_and_not_ignored():
    f = PatternFilter(["*.py", "*.txt"], ["*/build/*"])
    assert f.matches_event(FileCreatedEvent("/src/a.py"))
    assert not f.matches_event(FileCreatedEvent("/src/a.pyc"))
    assert not f.matches_event(FileCreatedEvent("/x/build/a.py"))
    # a move is of interest when either side matches
    assert f.matches_event(FileMovedEvent("/src/a.tmp", "/src/a.py"))
    assert f.matches_event(FileMovedEvent("/src/a.py", "/src/a.tmp"))


def test_pattern_filter_case_sensitivity():
    assert PatternFilter(["*.PY"]).matches_paths(["/src/a.py"])
    assert not PatternFilter(["*.PY"], case_sensitive=True).matches_paths(["/src/a.py"])
    assert PatternFilter(["*.PY"], case_sensitive=True).case_sensitive is True


def test_pattern_filter_refuses_conflicting_patterns():
    with pytest.raises(ValueError):
        PatternFilter(["*.py"], ["*.py"]).matches_paths(["/a.py"])


def test_pattern_filter_from_spec():
    f = PatternFilter.from_spec("*.py;*.txt", "")
    assert f.patterns == ["*.py", "*.txt"]
    assert f.ignore_patterns == []
    g = PatternFilter.from_spec("*.py|*.rst", "*/docs/*|*.tmp", separator="|", case_sensitive=True)
    assert g.patterns == ["*.py", "*.rst"]
    assert g.ignore_patterns == ["*/docs/*", "*.tmp"]
    assert g.case_sensitive is True
    assert isinstance(g, PatternFilter)


def test_regex_filter_compiles_like_the_handler_did():
    f = RegexFilter()
    assert [r.pattern for r in f.regexes] == [".*"]
    assert f.ignore_regexes == []
    single = RegexFilter(r".*\.py")
    assert [r.pattern for r in single.regexes] == [r".*\.py"]
    insensitive = RegexFilter([r".*\.py"])
    assert insensitive.regexes[0].flags & re.IGNORECASE
    sensitive = RegexFilter([r".*\.py"], case_sensitive=True)
    assert not sensitive.regexes[0].flags & re.IGNORECASE
    assert sensitive.case_sensitive is True


def test_regex_filter_ignores_an_event_when_any_path_is_ignored():
    f = RegexFilter([r".*\.py"], [r".*\.pyc"])
    assert f.matches_event(FileCreatedEvent("/src/a.py"))
    assert f.matches_event(FileCreatedEvent("/src/A.PY"))
    assert not f.matches_event(FileCreatedEvent("/src/a.pyc"))
    assert not f.matches_event(FileCreatedEvent("/src/a.txt"))
    # the ignored destination vetoes a matching source (unlike patterns)
    assert not f.matches_event(FileMovedEvent("/src/a.py", "/src/a.pyc"))


def test_filtering_handler_dispatches_what_the_filter_accepts():
    handler = RecordingFilteringHandler(PatternFilter(["*.py"]))
    assert isinstance(handler, FileSystemEventHandler)
    handler.dispatch(FileCreatedEvent("/a.py"))
    handler.dispatch(FileCreatedEvent("/a.txt"))
    handler.dispatch(DirCreatedEvent("/pkg.py"))
    assert [e.src_path for e in handler.seen] == ["/a.py", "/pkg.py"]
    assert handler.ignore_directories is False
    assert handler.case_sensitive is False


def test_filtering_handler_ignores_directories_on_request():
    path_filter = RegexFilter([r".*"], case_sensitive=True)
    handler = RecordingFilteringHandler(path_filter, ignore_directories=True)
    handler.dispatch(DirCreatedEvent("/dir"))
    handler.dispatch(FileModifiedEvent("/file"))
    assert [e.src_path for e in handler.seen] == ["/file"]
    assert handler.path_filter is path_filter
    assert handler.ignore_directories is True
    assert handler.case_sensitive is True


def test_matching_handlers_are_filtering_handlers_with_their_filters():
    patterns = PatternMatchingEventHandler(["*.py"], ["*.pyc"], True, True)
    assert isinstance(patterns, FilteringEventHandler)
    assert isinstance(patterns.path_filter, PatternFilter)
    assert patterns.path_filter.patterns == ["*.py"]
    assert patterns.patterns == ["*.py"] and patterns.ignore_patterns == ["*.pyc"]
    assert patterns.ignore_directories is True and patterns.case_sensitive is True

    regexes = RegexMatchingEventHandler([r".*\.py"], [r".*\.pyc"], False, False)
    assert isinstance(regexes, FilteringEventHandler)
    assert isinstance(regexes.path_filter, RegexFilter)
    assert regexes.regexes is regexes.path_filter.regexes
    assert [r.pattern for r in regexes.ignore_regexes] == [r".*\.pyc"]


def test_matching_handlers_share_one_dispatch():
    assert "dispatch" not in PatternMatchingEventHandler.__dict__
    assert "dispatch" not in RegexMatchingEventHandler.__dict__


def test_watchmedo_parse_patterns_keeps_its_contract():
    from watchdog import watchmedo

    assert watchmedo.parse_patterns("*.py;*.txt", "") == (["*.py", "*.txt"], [])
    assert watchmedo.parse_patterns("*", "*.o,*.a", separator=",") == (["*"], ["*.o", "*.a"])
