"""``python -m hubspot_commprefs``: the ``hubspot-commprefs`` command."""

import sys

from hubspot_commprefs.cli import main

sys.exit(main())
