//! Hooks that let end-to-end tests provoke failures nimbus must survive.
//! They exist only in debug builds and only when the gateway was started
//! with test hooks enabled (`NIMBUS_TEST_HOOKS=1`); release builds compile
//! them away.

use nimbus_protocol::HttpRequest;

/// The request header that makes the handler task panic.
pub const PANIC_HEADER: &str = "x-nimbus-test-panic";

/// Runs in the handler task, right before the service is called.
#[cfg(debug_assertions)]
pub fn before_handler(enabled: bool, request: &HttpRequest) {
    if enabled && request.headers.contains_key(PANIC_HEADER) {
        panic!("test hook: panic requested by the {PANIC_HEADER} header");
    }
}

#[cfg(not(debug_assertions))]
pub fn before_handler(_enabled: bool, _request: &HttpRequest) {}
