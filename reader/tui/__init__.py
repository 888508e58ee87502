"""The Textual app (imported only when the app opens; the core never imports Textual)."""
