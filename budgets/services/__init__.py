"""Every change to a budget book, one module per stage: ``book`` (the application),
``review`` (the agency's budget review), ``adjustments`` (调剂); then the money spent:
``finance_files`` (reading the units' CSV and Excel exports), ``spending_import`` (a year's
spending, all rows or none), ``execution`` (execution rates), ``final_accounts`` (B7) and
``balances`` (B9). ``spending`` only re-exports the file reader for ``reviews``."""
