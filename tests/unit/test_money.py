from hypothesis import given
from hypothesis import strategies as st

from services.domain.money import basis_points_of, div_half_even, format_minor, is_currency, take_pro_rata


def test_half_even_rounds_ties_to_even():
    assert div_half_even(5, 2) == 2  # 2.5 -> 2
    assert div_half_even(7, 2) == 4  # 3.5 -> 4
    assert div_half_even(-5, 2) == -2
    assert div_half_even(10, 4) == 2  # 2.5 -> 2
    assert div_half_even(11, 4) == 3  # 2.75 -> 3


@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_half_even_is_within_half_of_the_exact_quotient(n, d):
    q = div_half_even(n, d)
    assert abs(q * d - n) * 2 <= d


def test_withholding_of_the_seed_example_is_exact():
    assert basis_points_of(16000, 250) == 400


def test_format_minor_uses_the_currency_exponent():
    assert format_minor(123456, "BRL") == "BRL 1,234.56"
    assert format_minor(-5, "USD") == "USD -0.05"
    assert format_minor(1200, "JPY") == "JPY 1,200"
    assert format_minor(1, "KWD") == "KWD 0.001"


def test_only_iso_4217_codes_are_currencies():
    assert is_currency("BRL") and is_currency("JPY")
    assert not is_currency("XYZ") and not is_currency("brl") and not is_currency("")


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=8).filter(lambda xs: sum(xs) > 0), st.data())
def test_take_pro_rata_takes_exactly_the_amount_and_no_part_beyond_what_it_holds(lefts, data):
    amount = data.draw(st.integers(0, sum(lefts)))
    takes = take_pro_rata(amount, lefts)
    assert sum(takes) == amount
    assert all(0 <= t <= x for t, x in zip(takes, lefts))
    if amount == sum(lefts):
        assert takes == lefts  # all that is left takes every part whole


def test_take_pro_rata_rounds_half_even_and_settles_the_remainder_in_order():
    assert take_pro_rata(5000, [15600, 400, 2000, 2000]) == [3900, 100, 500, 500]
    assert take_pro_rata(3, [1, 1, 1, 1, 1, 1]) == [1, 1, 1, 0, 0, 0]  # 0.5 each rounds to 0; the rest in order
