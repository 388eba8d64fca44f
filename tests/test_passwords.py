from __future__ import annotations

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argoflow_gen.errors import SecretError
from argoflow_gen.passwords import BCRYPT_HASH, hash_password, verify_password

FAST = 4  # the lowest cost bcrypt accepts: keeps the suite fast

TOO_LONG = (
    "the password is {n} bytes in UTF-8 but bcrypt only uses the first 72; it is never silently "
    "truncated (choose a password of at most 72 bytes)"
)

# A published crypt_blowfish test vector (openwall): password "U*U", made by another implementation.
OPENWALL_HASH = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
OPENWALL_TAIL = OPENWALL_HASH[4:]


def _bcrypt_checks(password: str, hashed: str) -> bool:
    """Check with bcrypt itself, mapping Dex's $2y$ to bcrypt's own $2b$ (the same algorithm)."""
    assert hashed.startswith("$2y$")
    return bcrypt.checkpw(password.encode(), ("$2b$" + hashed[4:]).encode())


def test_hash_has_the_2y_prefix_and_cost_12_by_default() -> None:
    hashed = hash_password("s3cret!")
    assert hashed.startswith("$2y$12$")
    assert len(hashed) == 60
    assert BCRYPT_HASH.fullmatch(hashed)
    assert _bcrypt_checks("s3cret!", hashed)
    assert not _bcrypt_checks("s3cret?", hashed)


def test_two_hashes_of_one_password_differ_by_salt() -> None:
    first, second = hash_password("same", cost=FAST), hash_password("same", cost=FAST)
    assert first != second
    assert first[:7] == second[:7] == "$2y$04$"
    assert verify_password("same", first)
    assert verify_password("same", second)


@pytest.mark.parametrize("cost", [4, 5, 9, 10])
def test_cost_is_respected(cost: int) -> None:
    hashed = hash_password("pw", cost=cost)
    assert hashed.startswith(f"$2y${cost:02d}$")
    assert _bcrypt_checks("pw", hashed)


@pytest.mark.parametrize("cost", [-1, 0, 3, 32, 100])
def test_cost_outside_4_to_31_is_refused(cost: int) -> None:
    with pytest.raises(SecretError) as info:
        hash_password("pw", cost=cost)
    assert str(info.value) == (
        f"bcrypt cost {cost} is outside 4..31 (12 is the default; each step doubles the hashing time)"
    )
    assert info.value.exit_code == 2


def test_empty_password_is_refused() -> None:
    with pytest.raises(SecretError) as info:
        hash_password("")
    assert str(info.value) == "the password is empty (a Dex static user needs a non-empty password)"


@pytest.mark.parametrize(
    "password",
    [
        "a" * 72,
        "é" * 36,  # 2 bytes each
        "€" * 24,  # 3 bytes each
        "😀" * 18,  # 4 bytes each
        "x" + "é" * 35 + "y",
    ],
)
def test_72_bytes_is_accepted_and_every_byte_counts(password: str) -> None:
    assert len(password.encode()) == 72
    hashed = hash_password(password, cost=FAST)
    assert _bcrypt_checks(password, hashed)
    assert verify_password(password, hashed)
    # The last character matters: nothing was cut off.
    assert not verify_password(password[:-1] + "b", hashed)
    assert not verify_password(password[:-1], hashed)


@pytest.mark.parametrize(
    ("password", "size"),
    [
        ("a" * 73, 73),
        ("é" * 37, 74),  # 37 characters, 74 bytes
        ("😀" * 18 + "a", 73),  # 19 characters, 73 bytes
        ("€" * 25, 75),
        ("a" * 1000, 1000),
    ],
)
def test_over_72_bytes_is_refused_never_truncated(password: str, size: int) -> None:
    assert len(password.encode()) == size
    with pytest.raises(SecretError) as info:
        hash_password(password, cost=FAST)
    assert str(info.value) == TOO_LONG.format(n=size)
    # verify_password refuses too, rather than comparing a truncated password.
    hashed_prefix = hash_password(password.encode()[:72].decode(errors="ignore"), cost=FAST)
    with pytest.raises(SecretError) as info:
        verify_password(password, hashed_prefix)
    assert str(info.value) == TOO_LONG.format(n=size)


def test_unencodable_password_is_refused() -> None:
    with pytest.raises(SecretError) as info:
        hash_password("pw\ud800", cost=FAST)
    assert str(info.value) == (
        "the password cannot be encoded as UTF-8: it holds an unpaired surrogate "
        "(check for \\uD800-\\uDFFF escapes in the profile)"
    )


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_verify_accepts_all_three_prefixes(prefix: str) -> None:
    assert verify_password("U*U", prefix + OPENWALL_TAIL)
    assert not verify_password("U*V", prefix + OPENWALL_TAIL)
    assert not verify_password("", prefix + OPENWALL_TAIL)


def test_verify_reads_a_hash_made_by_bcrypt_directly() -> None:
    native = bcrypt.hashpw(b"from-bcrypt", bcrypt.gensalt(rounds=FAST)).decode()
    assert native.startswith("$2b$04$")
    assert verify_password("from-bcrypt", native)
    assert verify_password("from-bcrypt", "$2y$" + native[4:])
    assert not verify_password("from-bcrypT", native)


@pytest.mark.parametrize("hashed", ["", "plain-text", "$2x$" + OPENWALL_TAIL, OPENWALL_HASH + "\n"])
def test_verify_refuses_a_malformed_hash(hashed: str) -> None:
    with pytest.raises(SecretError) as info:
        verify_password("U*U", hashed)
    assert str(info.value) == (
        "not a bcrypt hash (expected $2a$, $2b$ or $2y$, a cost from 04 to 31, '$' and 53 characters "
        "of [./A-Za-z0-9])"
    )


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
@pytest.mark.parametrize("cost", ["04", "10", "12", "31"])
def test_bcrypt_hash_pattern_accepts(prefix: str, cost: str) -> None:
    hashed = f"{prefix}{cost}${OPENWALL_HASH[7:]}"
    assert BCRYPT_HASH.match(hashed)
    assert BCRYPT_HASH.fullmatch(hashed)


def test_bcrypt_hash_pattern_accepts_generated_hashes() -> None:
    assert BCRYPT_HASH.fullmatch(hash_password("pw", cost=FAST))
    assert BCRYPT_HASH.fullmatch(bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=FAST)).decode())


BODY = OPENWALL_HASH[7:]  # 53 characters: 22 of salt, 31 of digest


@pytest.mark.parametrize(
    "near_miss",
    [
        pytest.param("", id="empty"),
        pytest.param(f"$2x$12${BODY}", id="prefix-2x"),
        pytest.param(f"$2$12${BODY}", id="prefix-2"),
        pytest.param(f"$2B$12${BODY}", id="prefix-upper"),
        pytest.param(f"$3b$12${BODY}", id="prefix-3b"),
        pytest.param(f"2y$12${BODY}", id="no-leading-dollar"),
        pytest.param(f"$2y$4${BODY}", id="one-digit-cost"),
        pytest.param(f"$2y$012${BODY}", id="three-digit-cost"),
        pytest.param(f"$2y$03${BODY}", id="cost-03"),
        pytest.param(f"$2y$32${BODY}", id="cost-32"),
        pytest.param(f"$2y$99${BODY}", id="cost-99"),
        pytest.param(f"$2y$1a${BODY}", id="cost-not-digits"),
        pytest.param(f"$2y$12{BODY}", id="no-dollar-after-cost"),
        pytest.param(f"$2y$12${BODY[:-1]}", id="52-chars"),
        pytest.param(f"$2y$12${BODY}A", id="54-chars"),
        pytest.param(f"$2y$12${BODY[:-1]}+", id="plus-is-not-bcrypt-base64"),
        pytest.param(f"$2y$12${BODY[:-1]}=", id="padding"),
        pytest.param(f"$2y$12${BODY[:-1]}$", id="dollar-in-body"),
        pytest.param(f"$2y$12${BODY}\n", id="trailing-newline"),
        pytest.param(f"$2y$12${BODY} ", id="trailing-space"),
        pytest.param(f" $2y$12${BODY}", id="leading-space"),
    ],
)
def test_bcrypt_hash_pattern_rejects_near_misses(near_miss: str) -> None:
    assert not BCRYPT_HASH.match(near_miss)
    assert not BCRYPT_HASH.fullmatch(near_miss)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1).filter(lambda text: len(text.encode()) <= 72))
def test_any_password_up_to_72_bytes_round_trips(password: str) -> None:
    hashed = hash_password(password, cost=FAST)
    assert BCRYPT_HASH.fullmatch(hashed)
    assert _bcrypt_checks(password, hashed)
    assert verify_password(password, hashed)
