"""reader: triage research-paper listings in the terminal.

The core (sources, models, merge, store, state, query, text, cli) never imports Textual;
the app lives in `reader.tui`.
"""

__version__ = "0.1.0"
