//! The QR code of a device's `otpauth://` URI, as the PNG IAM returns in
//! QRCodePNG: black modules on white, four pixels a module, the standard
//! four-module quiet zone.

use png::{BitDepth, ColorType, Encoder};
use qrcodegen::{QrCode, QrCodeEcc};

const SCALE: usize = 4;
const QUIET_ZONE: i32 = 4;

/// The PNG of `text`'s QR code (empty if the text cannot be encoded, which
/// an otpauth URI of IAM's lengths always can).
pub fn png(text: &str) -> Vec<u8> {
    let Ok(code) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return Vec::new();
    };
    let modules = code.size() + 2 * QUIET_ZONE;
    let side = usize::try_from(modules).unwrap_or_default() * SCALE;
    let mut pixels = Vec::with_capacity(side * side);
    for y in 0..side {
        for x in 0..side {
            let module = |p: usize| i32::try_from(p / SCALE).unwrap_or_default() - QUIET_ZONE;
            let dark = code.get_module(module(x), module(y));
            pixels.push(if dark { 0 } else { 255 });
        }
    }
    let mut out = Vec::new();
    let width = u32::try_from(side).unwrap_or_default();
    let mut encoder = Encoder::new(&mut out, width, width);
    encoder.set_color(ColorType::Grayscale);
    encoder.set_depth(BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    if written.is_err() {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_uri_becomes_a_png() {
        let png = super::png("otpauth://totp/Amazon%20Web%20Services:dev@000000000000?secret=ABC");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{:?}",
            &png[..8.min(png.len())]
        );
    }
}
