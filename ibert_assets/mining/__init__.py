"""Mining: repositories to snapshots, snapshots to verified examples and documentation examples."""
