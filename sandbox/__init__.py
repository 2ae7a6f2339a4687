"""Local stand-ins for the outside world: the demo's default peers and the tests' peers."""
