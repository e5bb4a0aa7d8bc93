"""The outside world's ways in: the HTTP API, the CLI, and the container that wires them."""
