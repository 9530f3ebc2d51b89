"""Cassette files: the versioned msgpack format and its atomic store, secret detection and
redaction of what is written."""
