"""Resource quantities (apimachinery resource.Quantity) and durations (Go syntax in, kubectl AGE out)."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubetui.engine.durations import format_duration, parse_duration
from kubetui.engine.quantity import cpu_millis, format_bytes, format_cpu, parse_quantity, to_bytes

FORMAT_ERROR = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@pytest.mark.parametrize("text, value", [
    ("0", 0),
    ("1", 1),
    ("0.5", Fraction(1, 2)),
    (".5", Fraction(1, 2)),
    ("1.", 1),
    ("250m", Fraction(1, 4)),
    ("100m", Fraction(1, 10)),
    ("1500m", Fraction(3, 2)),
    ("10n", Fraction(1, 10 ** 8)),
    ("5u", Fraction(5, 10 ** 6)),
    ("2k", 2000),
    ("3M", 3 * 10 ** 6),
    ("4G", 4 * 10 ** 9),
    ("1T", 10 ** 12),
    ("1P", 10 ** 15),
    ("1E", 10 ** 18),
    ("1Ki", 1024),
    ("100Mi", 100 * 2 ** 20),
    ("128Mi", 128 * 2 ** 20),
    ("1.5Gi", 3 * 2 ** 29),
    ("1Ti", 2 ** 40),
    ("1Pi", 2 ** 50),
    ("1Ei", 2 ** 60),
    ("1e3", 1000),
    ("1.5E2", 150),
    ("1e-3", Fraction(1, 1000)),
    ("+2", 2),
    ("-2", -2),
    ("-250m", Fraction(-1, 4)),
    ("0.1n", Fraction(1, 10 ** 9)),  # below a nano-unit rounds up
    ("1.0000000001", 1 + Fraction(1, 10 ** 9)),
])
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


def test_numbers_are_accepted():
    assert parse_quantity(2) == 2
    assert parse_quantity(0.5) == Fraction(1, 2)
    assert parse_quantity(1e-05) == Fraction(1, 100000)


@pytest.mark.parametrize("text", ["", "abc", "1 ", " 1", "1.5.5", "1e3k", "12%", "1KiB", "0x10"])
def test_malformed_quantities(text):
    with pytest.raises(ValueError) as info:
        parse_quantity(text)
    assert str(info.value) == FORMAT_ERROR


@pytest.mark.parametrize("text", ["1K", "1e", "1mi", "1Ki2", "1ki", "1Mm", "--1"])
def test_unknown_suffixes(text):
    with pytest.raises(ValueError, match="unable to parse quantity's suffix"):
        parse_quantity(text)


@pytest.mark.parametrize("bad", [True, None, float("inf"), float("nan"), [1]])
def test_non_quantities(bad):
    with pytest.raises(ValueError):
        parse_quantity(bad)


def test_cpu_millis_rounds_up():
    assert cpu_millis("250m") == 250
    assert cpu_millis("1") == 1000
    assert cpu_millis("0.5") == 500
    assert cpu_millis("1.5") == 1500
    assert cpu_millis("100u") == 1  # MilliValue rounds up
    assert cpu_millis(2) == 2000
    assert cpu_millis("-100u") == -1  # away from zero


def test_to_bytes_rounds_up():
    assert to_bytes("128Mi") == 134217728
    assert to_bytes("1.5Gi") == 1610612736
    assert to_bytes("1G") == 10 ** 9
    assert to_bytes("1e3") == 1000
    assert to_bytes("500m") == 1
    assert to_bytes(Fraction(3, 2)) == 2


def test_format_cpu():
    assert format_cpu(250) == "250m"
    assert format_cpu(2000) == "2"
    assert format_cpu(1500) == "1500m"
    assert format_cpu(0) == "0"


def test_format_bytes():
    assert format_bytes(512 * 2 ** 20) == "512Mi"
    assert format_bytes(8 * 2 ** 30) == "8Gi"
    assert format_bytes(1610612736) == "1536Mi"
    assert format_bytes(1024) == "1Ki"
    assert format_bytes(1000) == "1000"
    assert format_bytes(0) == "0"
    assert format_bytes(2 ** 60) == "1Ei"


@given(st.integers(min_value=-(10 ** 12), max_value=10 ** 12))
def test_cpu_round_trip(millis):
    assert cpu_millis(format_cpu(millis)) == millis


@given(st.integers(min_value=-(2 ** 62), max_value=2 ** 62))
def test_bytes_round_trip(n):
    assert to_bytes(format_bytes(n)) == n
    assert parse_quantity(format_bytes(n)) == n


@given(st.integers(0, 10 ** 6), st.integers(0, 999), st.sampled_from(["", "m", "k", "M", "Ki", "Mi", "Gi"]))
def test_decimal_text_parses_exactly(whole, frac, suffix):
    text = f"{whole}.{frac:03d}{suffix}"
    scale = {"": 1, "m": Fraction(1, 1000), "k": 1000, "M": 10 ** 6, "Ki": 1024, "Mi": 2 ** 20, "Gi": 2 ** 30}[suffix]
    assert parse_quantity(text) == (whole + Fraction(frac, 1000)) * scale


# -- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize("value, seconds", [
    ("90s", 90), ("5m", 300), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25), ("2h45m10s", 9910),
    ("100us", 1e-4), ("100µs", 1e-4), ("3ns", 3e-9), ("0", 0), ("0s", 0), ("+5s", 5), (".5m", 30),
    ("45", 45), ("2.5", 2.5), (" 10s ", 10), ("1e3", 1000), (30, 30), (1.5, 1.5),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["5x", "soon", "", "1h 30m", "h", "1d", "5s5"])
def test_malformed_durations(value):
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == f'invalid duration "{value}": use forms like 90s, 5m, 1h30m'


@pytest.mark.parametrize("value", ["-5s", "-1h30m", -1, "-3", -0.5])
def test_negative_durations(value):
    with pytest.raises(ValueError, match="must not be negative"):
        parse_duration(value)


@pytest.mark.parametrize("bad", [True, None, float("nan"), float("inf"), "inf"])
def test_non_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("seconds, text", [
    (-5, "<invalid>"), (-1.5, "0s"), (0, "0s"), (0.9, "0s"), (45, "45s"), (119, "119s"),
    (120, "2m"), (200, "3m20s"), (599, "9m59s"), (600, "10m"), (720, "12m"), (179 * 60 + 59, "179m"),
    (3 * 3600, "3h"), (5 * 3600 + 3 * 60, "5h3m"), (8 * 3600, "8h"), (47 * 3600 + 59 * 60, "47h"),
    (48 * 3600, "2d"), (3 * 86400 + 4 * 3600, "3d4h"), (7 * 86400 + 23 * 3600, "7d23h"),
    (8 * 86400, "8d"), (45 * 86400, "45d"), (729 * 86400, "729d"), (730 * 86400, "2y"),
    (2 * 365 * 86400 + 30 * 86400, "2y30d"), (8 * 365 * 86400, "8y"), (10 * 365 * 86400 + 100 * 86400, "10y"),
])
def test_format_duration_matches_human_duration(seconds, text):
    assert format_duration(seconds) == text


@given(st.floats(min_value=0, max_value=1e9))
def test_format_duration_of_parsed_seconds(seconds):
    text = format_duration(seconds)
    assert text and text != "<invalid>"
    if seconds < 120:
        assert parse_duration(text) == int(seconds)
