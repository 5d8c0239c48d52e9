"""The model side of the tasks: one language model loaded lazily, its prompts, demonstrations
drawn from the training data, retrieval over documentation, a time budget per request and a
progress line on the terminal.

Importing this package loads neither torch nor transformers.
"""
