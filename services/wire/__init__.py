"""Adapters for the wire format: Avro single-object encoding."""
