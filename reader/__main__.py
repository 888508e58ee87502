"""`python -m reader` runs the same entry point as the `reader` script."""

from reader.cli import main

raise SystemExit(main())
