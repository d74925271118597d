import gzip
import io
import zlib

import pytest

import urllib3
from urllib3.exceptions import DecodeError
from urllib3.response import HTTPResponse
from urllib3.util import DEFAULT_DECODERS, DecoderRegistry, make_headers
from urllib3.util import decoders as decoders_module

try:
    import brotli  # noqa: F401

    HAS_BROTLI = True
except ImportError:
    try:
        import brotlicffi  # noqa: F401

        HAS_BROTLI = True
    except ImportError:
        HAS_BROTLI = False


class Reverser(object):
    """A made-up 'x-reverse' coding: the body is sent reversed."""

    def __init__(self):
        self._data = b""

    def decompress(self, data):
        self._data += data
        return b""

    def flush(self):
        data, self._data = self._data, b""
        return data[::-1]


class Xor(object):
    """A made-up streaming 'x-xor' coding: every byte is sent XOR 0x5A."""

    def decompress(self, data):
        return bytes(b ^ 0x5A for b in bytearray(data))

    def flush(self):
        return b""


class BadData(Exception):
    pass


class Refuser(object):
    def decompress(self, data):
        if data:
            raise BadData("refused")
        return b""

    def flush(self):
        return b""


def _response(body, encoding, **kw):
    return HTTPResponse(
        io.BytesIO(body), headers={"content-encoding": encoding}, preload_content=False, **kw
    )


def test_default_registry_knows_gzip_deflate_and_brotli_when_installed():
    expected = ["gzip", "deflate"] + (["br"] if HAS_BROTLI else [])
    assert DEFAULT_DECODERS.names() == expected
    assert DEFAULT_DECODERS.accept_encoding() == ",".join(expected)
    assert isinstance(DEFAULT_DECODERS, DecoderRegistry)
    assert decoders_module.DEFAULT_DECODERS is DEFAULT_DECODERS
    assert "GZIP" in DEFAULT_DECODERS and "x-reverse" not in DEFAULT_DECODERS


def test_decoders_moved_out_of_the_response_module_keep_their_old_names():
    import urllib3.response as response_module

    assert response_module.GzipDecoder is decoders_module.GzipDecoder
    assert response_module.DeflateDecoder is decoders_module.DeflateDecoder
    assert response_module.MultiDecoder is decoders_module.MultiDecoder
    assert HTTPResponse.CONTENT_DECODERS == DEFAULT_DECODERS.names()
    assert zlib.error in HTTPResponse.DECODER_ERROR_CLASSES


def test_accept_encoding_comes_from_the_registry():
    assert make_headers(accept_encoding=True) == {
        "accept-encoding": DEFAULT_DECODERS.accept_encoding()
    }
    registry = DecoderRegistry()
    registry.register("x-reverse", Reverser)
    registry.register("gzip", decoders_module.GzipDecoder, (zlib.error,))
    assert make_headers(accept_encoding=True, decoders=registry) == {
        "accept-encoding": "x-reverse,gzip"
    }
    assert urllib3.util.request.ACCEPT_ENCODING == DEFAULT_DECODERS.accept_encoding()


def test_registry_names_are_case_insensitive_and_ordered():
    registry = DecoderRegistry()
    registry.register("X-Reverse", Reverser)
    registry.register("deflate", decoders_module.DeflateDecoder, (zlib.error,))
    registry.register("x-reverse", Reverser)
    assert registry.names() == ["x-reverse", "deflate"]
    registry.unregister("X-REVERSE")
    assert registry.names() == ["deflate"]
    with pytest.raises(KeyError):
        registry.unregister("x-reverse")
    with pytest.raises(ValueError):
        registry.register("a,b", Reverser)


def test_supports_and_get_decoder():
    registry = DecoderRegistry()
    registry.register("x-reverse", Reverser)
    registry.register("gzip", decoders_module.GzipDecoder, (zlib.error,))
    assert registry.supports("X-Reverse")
    assert registry.supports("gzip, x-reverse")
    assert not registry.supports("gzip, br-unknown")
    assert not registry.supports("")
    assert isinstance(registry.get_decoder("x-reverse"), Reverser)
    multi = registry.get_decoder("x-reverse, gzip")
    assert isinstance(multi, decoders_module.MultiDecoder)
    with pytest.raises(KeyError):
        registry.get_decoder("deflate")


def test_copy_is_independent():
    registry = DEFAULT_DECODERS.copy()
    registry.register("x-reverse", Reverser)
    assert "x-reverse" in registry
    assert "x-reverse" not in DEFAULT_DECODERS
    assert registry.names()[: len(DEFAULT_DECODERS.names())] == DEFAULT_DECODERS.names()


def test_response_decodes_with_its_registry():
    registry = DecoderRegistry()
    registry.register("x-reverse", Reverser)
    response = _response(b"olleh", "x-reverse", decoders=registry)
    assert response.decoders is registry
    assert response.read() == b"hello"
    # The default registry does not know the coding: the body comes back as sent.
    assert _response(b"olleh", "x-reverse").read() == b"olleh"
    assert HTTPResponse(b"x").decoders is DEFAULT_DECODERS


def test_response_leaves_codings_its_registry_lacks_alone():
    registry = DecoderRegistry()
    registry.register("x-reverse", Reverser)
    zipped = gzip.compress(b"zipped")
    assert _response(zipped, "gzip", decoders=registry).read() == zipped


def test_listed_codings_are_decoded_in_reverse_order():
    registry = DEFAULT_DECODERS.copy()
    registry.register("x-xor", Xor)
    body = Xor().decompress(gzip.compress(b"payload"))
    response = _response(body, "gzip, x-xor", decoders=registry)
    assert response.read() == b"payload"


def test_a_list_with_an_unknown_coding_is_not_decoded():
    body = gzip.compress(b"payload")
    response = _response(body, "gzip, x-unknown")
    with pytest.raises(DecodeError):
        response.read()


def test_registered_error_classes_become_decode_errors():
    registry = DecoderRegistry()
    registry.register("x-refuse", Refuser, (BadData,))
    assert BadData in registry.error_classes
    with pytest.raises(DecodeError):
        _response(b"data", "x-refuse", decoders=registry).read()


def test_pools_and_managers_pass_the_registry_to_their_responses(server):
    server.add("/r", headers={"Content-Encoding": "x-reverse"}, body=b"dlrow")
    registry = DecoderRegistry()
    registry.register("x-reverse", Reverser)
    pool = server.pool_class()("example.com", 80, retries=False)
    response = pool.urlopen("GET", "/r", decoders=registry)
    assert response.data == b"world"
    assert pool.urlopen("GET", "/r").data == b"dlrow"
    manager = urllib3.PoolManager()
    manager.pool_classes_by_scheme = {"http": server.pool_class()}
    assert manager.request("GET", "http://example.com/r", decoders=registry).data == b"world"
