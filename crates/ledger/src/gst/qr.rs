//! The e-invoice QR code as a PNG: the IRP's signed QR token itself, as
//! the rules ask to be printed, black on white with a four-module quiet
//! zone.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module.
const SCALE: usize = 4;
/// Modules of white around the code.
const QUIET: usize = 4;

/// `text` as a QR code PNG, or `None` when it is too long for one.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let n = code.width();
    let side = (n + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == Color::Dark {
                for dy in 0..SCALE {
                    let row = ((y + QUIET) * SCALE + dy) * side;
                    let from = row + (x + QUIET) * SCALE;
                    pixels[from..from + SCALE].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).ok()?;
    let mut enc = png::Encoder::new(&mut out, side32, side32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().ok()?;
    w.write_image_data(&pixels).ok()?;
    w.finish().ok()?;
    Some(out)
}
