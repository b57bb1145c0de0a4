"""`python -m bot` is the same program as `guidance-bot`."""

from bot.cli import main

raise SystemExit(main())
