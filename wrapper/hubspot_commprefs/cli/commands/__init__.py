"""The modules that run the sub-commands of ``hubspot-commprefs``, one per command (the lookups share one).

Their parsers are in ``hubspot_commprefs.cli._parsers`` (``runs="MODULE.FUNCTION"``); a module here is
imported only when its command runs, so it imports what it needs at its top.
"""
