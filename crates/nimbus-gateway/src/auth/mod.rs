//! Who signed a request, and whether the signature holds: SigV4 parsing
//! ([`sigv4`]), opt-in verification of SigV4 and S3-style SigV2 ([`verify`],
//! [`sigv2`]), presigned URLs' expiry ([`presign`]), and the account and
//! region the caller acts in ([`caller`]).

pub mod caller;
pub mod presign;
pub mod sigv2;
pub mod sigv4;
pub mod verify;

/// Bytes as spaced hex pairs, as signature-mismatch errors show them
/// (`StringToSignBytes`).
pub(crate) fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
