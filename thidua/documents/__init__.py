"""The documents of the end of a campaign (docs/documents.md), each a generator of its own fed by a frozen snapshot."""
