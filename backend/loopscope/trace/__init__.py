"""Tracing a learner's own training script, run unmodified in a child process."""
