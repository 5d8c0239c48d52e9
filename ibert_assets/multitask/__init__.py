"""Per-task examples built from verified pairs: completion, error resolution, Q&A, documentation."""
