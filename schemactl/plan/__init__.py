"""Compare, order, and render plans."""
