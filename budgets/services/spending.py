"""The old home of the finance-file reader, kept for the expert library's import in ``reviews``
(``from budgets.services.spending import read_table``) until it imports
``budgets.services.finance_files`` itself. Nothing in ``budgets`` imports this module.

Spending now lives in ``finance_files`` (reading CSV/Excel, with ``UnreadableFile`` for a
table it cannot read), ``spending_import``, ``execution``, ``final_accounts`` (B7) and
``balances`` (B9).
"""

from budgets.services.finance_files import UnreadableFile, read_table

__all__ = ["UnreadableFile", "read_table"]
