# Amounts in yuan as finance offices write them: 1,234,567.89 (Django's zh_Hans groups by
# 4 without a separator).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
