"""``python -m stt_toolkit`` runs the command-line interface."""

from .cli import main

raise SystemExit(main())
