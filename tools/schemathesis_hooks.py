"""Schemathesis hooks for Kith's API (tools/schemathesis.sh): POST /v1/events takes NDJSON."""
import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    # The spec says the body is a string; send its text as it is (bytes unchanged).
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")
