"""Money is an integer count of minor units plus an ISO 4217 code. Never a float."""

from __future__ import annotations

# ISO 4217 active codes and their minor-unit exponents.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
        "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
        "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
        "LRD LSL MAD MDL MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB "
        "PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC "
        "SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG".split(),
        2,
    ),
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    "CLF": 4,
    "UYW": 4,
}


def is_currency(code: str) -> bool:
    return code in _EXPONENTS


def currencies() -> frozenset[str]:
    """The ISO 4217 codes is_currency knows."""
    return frozenset(_EXPONENTS)


def exponent(code: str) -> int:
    return _EXPONENTS[code]


def format_minor(amount_minor: int, currency: str) -> str:
    """12345, 'BRL' -> 'BRL 123.45' (grouped thousands, sign in front)."""
    exp = _EXPONENTS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**exp)
    body = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    return f"{currency} {sign}{body}"


def div_half_even(numerator: int, denominator: int) -> int:
    """Integer division rounded half to even (banker's rounding). denominator > 0."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2 == 1):
        q += 1
    return q


def basis_points_of(amount_minor: int, rate_bp: int) -> int:
    """amount * rate / 10_000, half-even: withholding and fee shares."""
    return div_half_even(amount_minor * rate_bp, 10_000)


def take_pro_rata(amount_minor: int, lefts: list[int]) -> list[int]:
    """Take amount out of parts holding lefts (each >= 0, amount <= their sum): each part
    its share, half-even; all that is left takes every part whole; the rounding remainder
    settles in the parts' order, each within what it holds. No part gives more than it
    holds, and the takes sum to amount exactly."""
    total = sum(lefts)
    if amount_minor > total or any(x < 0 for x in lefts):
        raise ValueError("cannot take more than the parts hold")
    if amount_minor == total:
        return list(lefts)
    takes = [div_half_even(amount_minor * x, total) for x in lefts]
    rest = amount_minor - sum(takes)
    for i, x in enumerate(lefts):
        step = max(-takes[i], min(rest, x - takes[i]))
        takes[i] += step
        rest -= step
    return takes
