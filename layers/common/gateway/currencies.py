"""The currencies the gateway takes, each with its minor-unit exponent (ISO 4217): amounts are
integers in the minor unit, so 50000 INR is ₹500.00. A currency joins this table only when the rest
of the gateway (the simulated bank, settlement, the dashboard's formatting) handles its exponent."""

from __future__ import annotations

MINOR_UNIT_EXPONENTS: dict[str, int] = {
    "INR": 2,  # paise
}

SUPPORTED = tuple(sorted(MINOR_UNIT_EXPONENTS))


def check_supported(code: str) -> str:
    """The code if the gateway takes it; ValueError naming the ones it does take otherwise."""
    if code not in MINOR_UNIT_EXPONENTS:
        raise ValueError(f"unsupported currency; supported: {', '.join(SUPPORTED)}")
    return code
