"""Delivery: the outbox, message building, senders and the worker that sends exactly once."""
