//! The service through its `Service` interface, over an in-memory store and a test clock.
