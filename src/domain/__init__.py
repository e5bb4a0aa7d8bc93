"""The heart of the service: tasks and the rules they keep. Standard library only."""
