from pyauth.passwords import hash_password, legacy_hash, needs_rehash, verify_password


def test_roundtrip():
    encoded = hash_password("s3cret-password", iterations=1_000)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert verify_password("s3cret-password", encoded)
    assert not verify_password("s3cret-passwore", encoded)


def test_salts_differ():
    assert hash_password("same", iterations=1_000) != hash_password("same", iterations=1_000)


def test_legacy_hashes_verify_and_need_rehash():
    encoded = legacy_hash("old password 1", "ab12")
    assert verify_password("old password 1", encoded)
    assert not verify_password("old password 2", encoded)
    assert needs_rehash(encoded, 1_000)


def test_weaker_iterations_need_rehash():
    encoded = hash_password("pw-pw-pw-pw", iterations=1_000)
    assert needs_rehash(encoded, 2_000)
    assert not needs_rehash(encoded, 1_000)


def test_malformed_hashes_never_match():
    for bad in ("", "plain", "pbkdf2_sha256$x$zz$00", "md5$a$b", None):
        assert not verify_password("anything", bad)
