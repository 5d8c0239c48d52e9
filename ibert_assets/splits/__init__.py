"""Dedup, split assignment and decontamination for ``train_complete``."""
