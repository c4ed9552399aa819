"""An example third-party morphospace plugin (see docs/plugin-guide.md)."""
