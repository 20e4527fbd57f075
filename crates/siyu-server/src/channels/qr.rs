//! QR images rendered locally: PNG at print sizes and SVG, with high error correction so a
//! logo or a smudge in the middle still scans.

use qrcode::{EcLevel, QrCode};

use crate::error::ApiError;

fn code(content: &str) -> Result<QrCode, ApiError> {
    QrCode::with_error_correction_level(content.as_bytes(), EcLevel::H)
        .map_err(|e| ApiError::invalid("content", format!("cannot be put in a QR code: {e}")))
}

/// A grayscale PNG of about `size` pixels square (quiet zone included).
pub fn png(content: &str, size: u32) -> Result<Vec<u8>, ApiError> {
    let code = code(content)?;
    let modules = u32::try_from(code.width()).map_err(|_| ApiError::Internal)?;
    let quiet = 4;
    let total = modules + 2 * quiet;
    let scale = (size / total).max(1);
    let side = total * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..modules {
        for x in 0..modules {
            if colors[(y * modules + x) as usize] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * side;
                    let start = (row + (x + quiet) * scale) as usize;
                    pixels[start..start + scale as usize].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|_| ApiError::Internal)?;
        w.write_image_data(&pixels)
            .map_err(|_| ApiError::Internal)?;
    }
    Ok(out)
}

/// An SVG (scales to any print size).
pub fn svg(content: &str) -> Result<String, ApiError> {
    Ok(code(content)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// Pixel sizes offered for print: table tents, posters, packaging.
pub fn clamp_size(requested: Option<u32>) -> Result<u32, ApiError> {
    match requested.unwrap_or(512) {
        s @ 64..=4096 => Ok(s),
        _ => Err(ApiError::invalid(
            "size",
            "must be between 64 and 4096 pixels",
        )),
    }
}
