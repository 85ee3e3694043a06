//! Service-level tests over an ephemeral store and a test clock.
