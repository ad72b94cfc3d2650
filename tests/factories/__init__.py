"""Test data, one module per domain: ``register`` (bureaus, agencies, the four record kinds),
``staff`` (accounts, signing in) and ``intake`` (tips, tip forms, evidence files)."""
