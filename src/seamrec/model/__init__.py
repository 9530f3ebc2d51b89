"""Values to shapes to bytes: classification, shapes and format classes, the compiled
conformance checks, the msgpack codec, call nesting. Imports no pytest."""
