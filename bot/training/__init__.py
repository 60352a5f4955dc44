"""Retraining: the worker process that trains and scores a candidate, and its protocol."""
