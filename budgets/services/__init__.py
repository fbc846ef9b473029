"""Every change to a budget book, one module per stage: ``book`` (the application),
``review`` (the agency's budget review), ``adjustments`` (调剂), ``spending`` (imports, final
accounts and balances)."""
