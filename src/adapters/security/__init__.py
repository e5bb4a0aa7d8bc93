"""Token signing and verification."""
