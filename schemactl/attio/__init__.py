"""Knowledge of, and (later) access to, the real Attio API."""
