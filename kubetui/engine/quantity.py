"""Kubernetes resource quantities (`250m`, `1.5Gi`, `1e3`): exact parsing and canonical formatting."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

_FORMAT_ERROR = ("quantities must match the regular expression "
                 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
_SUFFIX_ERROR = "unable to parse quantity's suffix"

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_NANO = 10 ** 9
_MAX_BINARY = (1 << 63) - 1
# Far beyond any real quantity; bounds the work an exponent like `1e999999999` could cause.
_MAX_EXPONENT = 1000


def parse_quantity(value: str | int | float | Fraction) -> Fraction:
    """The exact value of a quantity, as apimachinery's ParseQuantity reads it.

    Values finer than a nano-unit round up (away from zero); an invalid quantity is a ValueError."""
    if isinstance(value, bool):
        raise ValueError(_FORMAT_ERROR)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_FORMAT_ERROR)
        return _parse(repr(value))
    if not isinstance(value, str):
        raise ValueError(_FORMAT_ERROR)
    return _parse(value)


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> Fraction:
    if not text:
        raise ValueError(_FORMAT_ERROR)
    pos, end = 0, len(text)
    negative = text[0] == "-"
    if text[0] in "+-":
        pos = 1
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    whole = text[start:pos]
    fraction = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        fraction = text[start:pos]
    suffix = text[pos:]
    # The suffix must look like [eEinumkKMGTP]*[-+]?[0-9]*.
    i = pos
    while i < end and text[i] in _SUFFIX_CHARS:
        i += 1
    if i < end and text[i] in "+-":
        i += 1
    while i < end and text[i] in _DIGITS:
        i += 1
    if i != end:
        raise ValueError(_FORMAT_ERROR)

    binary = False
    if suffix in _DECIMAL:
        multiplier = Fraction(10) ** _DECIMAL[suffix]
    elif suffix in _BINARY:
        multiplier = Fraction(1 << _BINARY[suffix])
        binary = True
    elif len(suffix) > 1 and suffix[0] in "eE" and _is_int(suffix[1:]) and abs(int(suffix[1:])) <= _MAX_EXPONENT:
        multiplier = Fraction(10) ** int(suffix[1:])
    else:
        raise ValueError(_SUFFIX_ERROR)

    amount = Fraction(int(whole + fraction or "0"), 10 ** len(fraction)) * multiplier
    if amount.denominator != 1 and _NANO % amount.denominator:
        amount = Fraction(math.ceil(amount * _NANO), _NANO)
    if binary and amount > _MAX_BINARY:
        amount = Fraction(_MAX_BINARY)
    return -amount if negative else amount


def _is_int(text: str) -> bool:
    digits = text[1:] if text[:1] in ("+", "-") else text
    return bool(digits) and all(c in _DIGITS for c in digits)


def _ceil_away_from_zero(amount: Fraction) -> int:
    return math.ceil(amount) if amount >= 0 else -math.ceil(-amount)


def cpu_millis(q: str | int | float | Fraction) -> int:
    """A quantity in milli-units, rounded up like MilliValue (`"250m"` → 250, `"1"` → 1000)."""
    if type(q) is str:
        return _text_millis(q)
    return _ceil_away_from_zero(parse_quantity(q) * 1000)


def to_bytes(q: str | int | float | Fraction) -> int:
    """A quantity as a whole number, rounded up like Value() (`"1Ki"` → 1024)."""
    if type(q) is str:
        return _text_units(q)
    return _ceil_away_from_zero(parse_quantity(q))


@functools.lru_cache(maxsize=8192)
def _text_millis(text: str) -> int:
    return _ceil_away_from_zero(_parse(text) * 1000)


@functools.lru_cache(maxsize=8192)
def _text_units(text: str) -> int:
    return _ceil_away_from_zero(_parse(text))


def format_cpu(millis: int) -> str:
    """Canonical CPU text: whole cores as `2`, otherwise milli-cores as `250m`."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


_DECIMAL_SUFFIXES = ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k"), (0, ""))


def format_decimal_millis(millis: int) -> str:
    """Canonical decimal-SI text of a milli-value, as resource.NewMilliQuantity(v, DecimalSI).String() prints
    it: the largest exact power-of-1000 suffix (`64M`, `2`, `1500`), else milli-units (`333m`)."""
    if millis % 1000:
        return f"{millis}m"
    units = millis // 1000
    for exponent, suffix in _DECIMAL_SUFFIXES:
        if units and units % 10 ** exponent == 0:
            return f"{units // 10 ** exponent}{suffix}"
    return "0"


_BINARY_DESCENDING = sorted(_BINARY.items(), key=lambda kv: -kv[1])


def format_bytes(n: int) -> str:
    """Canonical binary-SI text: the largest exact binary suffix (`512Mi`, `8Gi`), else a plain number."""
    if n:
        for suffix, shift in _BINARY_DESCENDING:
            if n % (1 << shift) == 0:
                return f"{n >> shift}{suffix}"
    return str(n)
