//! The `query` and `ec2` protocols: form-encoded `Action=` requests, XML responses.
