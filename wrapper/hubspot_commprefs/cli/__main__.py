"""``python -m hubspot_commprefs.cli``: the same as the ``hubspot-commprefs`` command."""

import sys

from hubspot_commprefs.cli import main

sys.exit(main())
