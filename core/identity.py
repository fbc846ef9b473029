"""Identity numbers as the portal compares them."""


def normal_id(number: str) -> str:
    """An ID number as compared (限项 P2, recusal V1, expert fees B4): trimmed, upper case — a
    resident ID's final X is often typed in lower case."""
    return (number or "").strip().upper()
