"""Model evaluation over the test split."""
