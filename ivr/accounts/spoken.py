"""What option 4 reads out, from the shared :mod:`ivr.spoken` helpers.

The account node speaks the last digits of a personal number, balances in fen,
months contributed, the last contribution month and the minutes left of a
lock; all of it is generic and lives in :mod:`ivr.spoken`, re-exported here
for the account node.
"""

from ivr.spoken import digits, is_chinese, minutes, money, month, months

__all__ = ["digits", "is_chinese", "minutes", "money", "month", "months"]
