//! Checks a decoded input value against its shape: required members, enums,
//! lengths and ranges. Codecs call it after decoding; the error is the
//! protocol-neutral description, which each protocol words as its service does.
