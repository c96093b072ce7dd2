"""X-Loop-Signature: PHP-style JSON, base64 HMAC-SHA256, constant-time verification."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.loop.signature import loop_json, sign, verify, verify_any

# RFC-style HMAC-SHA256 test vector (key "key", the quick brown fox), as base64.
FOX = b"The quick brown fox jumps over the lazy dog"
FOX_HEX = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
FOX_B64 = base64.b64encode(bytes.fromhex(FOX_HEX)).decode()


def test_loop_json_is_what_php_json_encode_sends() -> None:
    body = loop_json({"url": "https://a.example/b", "name": "Zoë", "total": Decimal("48.81")})
    assert body == b'{"url":"https:\\/\\/a.example\\/b","name":"Zo\\u00eb","total":"48.81"}'
    assert json.loads(body) == {"url": "https://a.example/b", "name": "Zoë", "total": "48.81"}


def test_sign_matches_a_known_hmac_vector() -> None:
    assert sign(FOX, "key") == FOX_B64
    assert FOX_B64.endswith("=")  # standard base64 with padding, no prefix


def test_verify_accepts_the_signature_and_refuses_anything_else() -> None:
    body = loop_json({"topic": "return", "id": "1"})
    header = sign(body, "s3cret")
    assert verify(body, header, "s3cret")
    assert verify(body, f"  {header}\n", "s3cret")  # header whitespace is not the body
    assert not verify(body, header, "other")
    assert not verify(body + b" ", header, "s3cret")
    assert not verify(body, None, "s3cret")
    assert not verify(body, "", "s3cret")
    assert not verify(body, "garbage", "s3cret")
    assert not verify(body, "sha256=" + header, "s3cret")
    assert not verify(body, header.rstrip("="), "s3cret")
    assert not verify(body, "é" * 44, "s3cret")  # non-ASCII never raises
    assert not verify(body, header, "")


def test_verify_any_supports_rotation() -> None:
    body = b'{"topic":"label"}'
    old, new = "old-secret", "new-secret"
    assert verify_any(body, sign(body, old), [new, old])
    assert verify_any(body, sign(body, new), [new, old])
    assert not verify_any(body, sign(body, "third"), [new, old])
    assert not verify_any(body, sign(body, old), [])
    assert verify_any(body, sign(body, old), old)  # a lone string is one secret, not letters


@settings(database=None)
@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=40), flip=st.integers())
def test_any_change_to_the_body_breaks_the_signature(body: bytes, secret: str, flip: int) -> None:
    header = sign(body, secret)
    assert verify(body, header, secret)
    if body:
        at = flip % len(body)
        tampered = body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]
        assert not verify(tampered, header, secret)


@settings(database=None)
@given(
    obj=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_loop_json_round_trips_and_is_compact_ascii(obj: object) -> None:
    body = loop_json(obj)
    assert json.loads(body) == obj
    assert body.isascii()
    assert b"/" not in body.replace(b"\\/", b"")
