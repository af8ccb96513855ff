"""``python -m gatecc`` runs the command line."""

from .cli import main

raise SystemExit(main())
