"""The modules that run the sub-commands of ``hubspot-commprefs``, one per command (the lookups share one),
each imported only when its command runs (``runs="MODULE.FUNCTION"`` in ``hubspot_commprefs.cli._parsers``).
"""
