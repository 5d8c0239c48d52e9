"""Template datasets: SQL<->Ibis families expanded from YAML, and their verified variants."""
