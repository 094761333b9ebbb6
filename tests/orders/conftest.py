"""Order tests use the shared `committed_db` fixture (tests/conftest.py) for real commits."""
