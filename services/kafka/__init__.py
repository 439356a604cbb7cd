"""Kafka adapter: topics, client configuration, message shape."""
