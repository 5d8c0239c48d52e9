"""Synthetic worlds: seeded schemas of one domain each, typed SQL over them, translated and
verified into SQL<->Ibis pairs with a question rendered from each query's structure."""
