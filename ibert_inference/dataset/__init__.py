"""The dataset's contract: what one stored example is (:mod:`.record`)."""
