//! QR images rendered locally: PNG at print sizes and SVG. A plain code uses error-correction
//! level M (smaller modules, easier to scan from afar); a code with a centre logo uses level H,
//! so the modules the badge covers (at most 20% of the code's area) are restored on scanning.

use qrcode::{EcLevel, QrCode};

use crate::error::ApiError;

/// The brand green of the centre badge's mark (`#07c160`).
pub const BRAND_GREEN: Rgb = Rgb(0x07, 0xc1, 0x60);
/// White.
pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
/// Black.
pub const BLACK: Rgb = Rgb(0, 0, 0);

/// Quiet zone around a code, in modules (the QR specification's four).
pub const QUIET: u32 = 4;

/// A colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rrggbb` (hex digits in either case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance (0 black … 1 white).
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// This colour if it is dark enough for modules on white (contrast ≥ 4.5), else black.
    pub fn or_black_on_white(self) -> Rgb {
        if 1.05 / (self.luminance() + 0.05) >= 4.5 {
            self
        } else {
            BLACK
        }
    }
}

/// The square badge in the middle of a code with a logo, in modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Badge {
    /// First module row and column it covers.
    pub start: u32,
    /// Its side, in modules (odd, so it is centred exactly).
    pub side: u32,
}

/// A code's modules, ready to draw on any surface.
#[derive(Debug, Clone)]
pub struct Modules {
    width: u32,
    dark: Vec<bool>,
    badge: Option<Badge>,
}

impl Modules {
    /// Encodes `content`: level H with a centre badge when `logo`, level M without.
    pub fn new(content: &str, logo: bool) -> Result<Modules, ApiError> {
        let level = if logo { EcLevel::H } else { EcLevel::M };
        let code = QrCode::with_error_correction_level(content.as_bytes(), level).map_err(|e| {
            ApiError::invalid("content", format!("cannot be put in a QR code: {e}"))
        })?;
        let width = u32::try_from(code.width()).map_err(|_| ApiError::Internal)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        let badge = logo.then(|| badge_for(width));
        Ok(Modules { width, dark, badge })
    }

    /// Modules per side (quiet zone excluded).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark.
    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.width && self.dark[(y * self.width + x) as usize]
    }

    /// The centre badge, when the code has a logo.
    pub fn badge(&self) -> Option<Badge> {
        self.badge
    }

    /// Horizontal runs of dark modules: `(x, y, length)`, row by row. Surfaces that draw
    /// rectangles (SVG paths, PDF `re`) draw one per run instead of one per module.
    pub fn runs(&self) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    out.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }
}

/// A badge of about a third of the code's side: ≤ 13% of its area for every version, well
/// inside the 30% of codewords level H restores, and clear of the finder patterns.
fn badge_for(width: u32) -> Badge {
    let mut side = (width * 36 + 50) / 100;
    if side.is_multiple_of(2) {
        side -= 1;
    }
    let side = side.max(5);
    Badge {
        start: (width - side) / 2,
        side,
    }
}

/// A raster to draw codes and posters on. It holds a palette of the few colours drawn (a
/// code, a badge and a poster use at most a handful), one byte per pixel, and is written as an
/// indexed PNG: a third of the memory and compression work of RGB.
#[derive(Debug, Clone)]
pub struct Canvas {
    width: u32,
    height: u32,
    palette: Vec<Rgb>,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        Canvas {
            width,
            height,
            palette: vec![background],
            pixels: vec![0; width as usize * height as usize],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The colour at a pixel (white outside the canvas).
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        if x >= self.width || y >= self.height {
            return WHITE;
        }
        let i = y as usize * self.width as usize + x as usize;
        self.palette[usize::from(self.pixels[i])]
    }

    /// The palette index of `c`, added when new (the nearest colour once 256 are in use).
    fn index(&mut self, c: Rgb) -> u8 {
        if let Some(i) = self.palette.iter().position(|p| *p == c) {
            return u8::try_from(i).unwrap_or(u8::MAX);
        }
        if self.palette.len() < 256 {
            self.palette.push(c);
            return u8::try_from(self.palette.len() - 1).unwrap_or(u8::MAX);
        }
        let d = |p: &Rgb| {
            let e = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
            e(p.0, c.0) + e(p.1, c.1) + e(p.2, c.2)
        };
        let nearest = (0..self.palette.len())
            .min_by_key(|&i| d(&self.palette[i]))
            .unwrap_or(0);
        u8::try_from(nearest).unwrap_or(u8::MAX)
    }

    /// Fills a rectangle (clipped to the canvas).
    pub fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32, c: Rgb) {
        let x1 = x.saturating_add(w).min(self.width);
        let y1 = y.saturating_add(h).min(self.height);
        if x >= x1 {
            return;
        }
        let v = self.index(c);
        for row in y.min(self.height)..y1 {
            let base = row as usize * self.width as usize;
            self.pixels[base + x as usize..base + x1 as usize].fill(v);
        }
    }

    /// Fills the pixels whose centres satisfy `inside(dx, dy)`, with `dx`/`dy` relative to the
    /// box's top-left corner, within the box.
    fn fill_where(
        &mut self,
        x: u32,
        y: u32,
        w: u32,
        h: u32,
        c: Rgb,
        inside: impl Fn(f64, f64) -> bool,
    ) {
        let v = self.index(c);
        for py in y..y.saturating_add(h).min(self.height) {
            for px in x..x.saturating_add(w).min(self.width) {
                let (dx, dy) = (f64::from(px - x) + 0.5, f64::from(py - y) + 0.5);
                if inside(dx, dy) {
                    self.pixels[py as usize * self.width as usize + px as usize] = v;
                }
            }
        }
    }

    /// Fills a rectangle with rounded corners of radius `r`.
    pub fn fill_rounded_rect(&mut self, x: u32, y: u32, w: u32, h: u32, r: u32, c: Rgb) {
        let (wf, hf, rf) = (
            f64::from(w),
            f64::from(h),
            f64::from(r.min(w / 2).min(h / 2)),
        );
        self.fill_where(x, y, w, h, c, |dx, dy| {
            let cx = dx.clamp(rf, wf - rf);
            let cy = dy.clamp(rf, hf - rf);
            (dx - cx).powi(2) + (dy - cy).powi(2) <= rf * rf
        });
    }

    /// Fills a circle centred at `(cx, cy)`.
    pub fn fill_circle(&mut self, cx: f64, cy: f64, r: f64, c: Rgb) {
        let x0 = (cx - r).floor().max(0.0) as u32;
        let y0 = (cy - r).floor().max(0.0) as u32;
        let side = (2.0 * r).ceil() as u32 + 2;
        let (ox, oy) = (cx - f64::from(x0), cy - f64::from(y0));
        self.fill_where(x0, y0, side, side, c, |dx, dy| {
            (dx - ox).powi(2) + (dy - oy).powi(2) <= r * r
        });
    }

    /// Draws a code's modules (and its badge) with its top-left module at `(x, y)`, each
    /// module `scale` pixels; the quiet zone is the caller's to leave light.
    pub fn draw_code(&mut self, m: &Modules, x: u32, y: u32, scale: u32, dark: Rgb) {
        for (mx, my, len) in m.runs() {
            self.fill_rect(x + mx * scale, y + my * scale, len * scale, scale, dark);
        }
        if let Some(b) = m.badge() {
            let side = b.side * scale;
            let (bx, by) = (x + b.start * scale, y + b.start * scale);
            self.fill_rounded_rect(bx, by, side, side, side / 5, WHITE);
            let (cx, cy) = (
                f64::from(bx) + f64::from(side) / 2.0,
                f64::from(by) + f64::from(side) / 2.0,
            );
            self.fill_circle(cx, cy, f64::from(side) * 0.36, BRAND_GREEN);
            self.fill_circle(cx, cy, f64::from(side) * 0.14, WHITE);
        }
    }

    /// The canvas as an indexed-colour PNG.
    pub fn png(&self) -> Result<Vec<u8>, ApiError> {
        let palette: Vec<u8> = self.palette.iter().flat_map(|c| [c.0, c.1, c.2]).collect();
        encode_png(
            &self.pixels,
            self.width,
            self.height,
            png::ColorType::Indexed,
            Some(palette),
        )
    }
}

fn encode_png(
    pixels: &[u8],
    w: u32,
    h: u32,
    color: png::ColorType,
    palette: Option<Vec<u8>>,
) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        if let Some(p) = palette {
            enc.set_palette(p);
        }
        let mut wr = enc.write_header().map_err(|_| ApiError::Internal)?;
        wr.write_image_data(pixels)
            .map_err(|_| ApiError::Internal)?;
    }
    Ok(out)
}

fn scale_for(m: &Modules, size: u32) -> (u32, u32) {
    let total = m.width() + 2 * QUIET;
    let scale = (size / total).max(1);
    (scale, total * scale)
}

/// A grayscale PNG of about `size` pixels square (quiet zone included), level M.
pub fn png(content: &str, size: u32) -> Result<Vec<u8>, ApiError> {
    let m = Modules::new(content, false)?;
    let (scale, side) = scale_for(&m, size);
    let mut pixels = vec![255u8; (side * side) as usize];
    for (x, y, len) in m.runs() {
        for dy in 0..scale {
            let row = ((y + QUIET) * scale + dy) * side;
            let start = (row + (x + QUIET) * scale) as usize;
            pixels[start..start + (len * scale) as usize].fill(0);
        }
    }
    encode_png(&pixels, side, side, png::ColorType::Grayscale, None)
}

/// A PNG (indexed colour) of about `size` pixels square with the centre badge (a white rounded square
/// with a green mark), level H.
pub fn png_with_logo(content: &str, size: u32) -> Result<Vec<u8>, ApiError> {
    let m = Modules::new(content, true)?;
    let (scale, side) = scale_for(&m, size);
    let mut canvas = Canvas::new(side, side, WHITE);
    canvas.draw_code(&m, QUIET * scale, QUIET * scale, scale, BLACK);
    canvas.png()
}

/// SVG elements drawing `m` in module units (origin at its top-left module): one path for the
/// dark modules, then the badge. Callers place it with a `transform`.
pub fn svg_elements(m: &Modules, dark: Rgb) -> String {
    use std::fmt::Write as _;
    let mut d = String::with_capacity(m.runs().len() * 16);
    for (x, y, len) in m.runs() {
        let _ = write!(d, "M{x} {y}h{len}v1h-{len}z");
    }
    let mut out = format!(
        "<path d=\"{d}\" fill=\"{}\" shape-rendering=\"crispEdges\"/>",
        dark.hex()
    );
    if let Some(b) = m.badge() {
        let side = f64::from(b.side);
        let c = f64::from(b.start) + side / 2.0;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{side}\" height=\"{side}\" rx=\"{}\" fill=\"#ffffff\"/>\
             <circle cx=\"{c}\" cy=\"{c}\" r=\"{}\" fill=\"{}\"/><circle cx=\"{c}\" cy=\"{c}\" r=\"{}\" fill=\"#ffffff\"/>",
            b.start,
            b.start,
            side / 5.0,
            side * 0.36,
            BRAND_GREEN.hex(),
            side * 0.14
        );
    }
    out
}

/// An SVG (scales to any print size), level M.
pub fn svg(content: &str) -> Result<String, ApiError> {
    let m = Modules::new(content, false)?;
    let total = m.width() + 2 * QUIET;
    Ok(format!(
        "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
         width=\"{px}\" height=\"{px}\" viewBox=\"0 0 {total} {total}\"><rect width=\"{total}\" height=\"{total}\" fill=\"#ffffff\"/>\
         <g transform=\"translate({QUIET} {QUIET})\">{}</g></svg>",
        svg_elements(&m, BLACK),
        px = total * 256_u32.div_ceil(total),
    ))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rgb(png: &[u8]) -> (Vec<u8>, ::png::OutputInfo) {
        let mut d = ::png::Decoder::new(png);
        d.set_transformations(::png::Transformations::EXPAND);
        let mut reader = d.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        (buf, info)
    }

    fn decode(png: &[u8]) -> String {
        let (buf, info) = rgb(png);
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = info.color_type.samples();
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let i = (y * w + x) * channels;
            let s: u32 = buf[i..i + channels.min(3)]
                .iter()
                .map(|&v| u32::from(v))
                .sum();
            (s / channels.min(3) as u32) as u8
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn colours_parse_as_rrggbb_only() {
        assert_eq!(Rgb::parse("#07C160"), Some(BRAND_GREEN));
        for bad in ["07c160", "#07c16", "#07c1600", "#07c16g", "red", "#fff"] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
        assert_eq!(Rgb(0xff, 0xee, 0x00).or_black_on_white(), BLACK);
        assert_eq!(
            Rgb(0x12, 0x34, 0x56).or_black_on_white(),
            Rgb(0x12, 0x34, 0x56)
        );
    }

    #[test]
    fn codes_with_a_logo_still_decode_at_every_length() {
        for len in [10, 25, 44, 60, 90, 140] {
            let content = format!("http://weixin.qq.com/q/02{}", "x7Ab".repeat(len / 4 + 1));
            let content = &content[..len.max(25)];
            let m = Modules::new(content, true).unwrap();
            let b = m.badge().unwrap();
            assert!(
                f64::from(b.side * b.side) <= 0.2 * f64::from(m.width() * m.width()),
                "the badge covers at most 20% of the modules"
            );
            assert_eq!(
                decode(&png_with_logo(content, 600).unwrap()),
                content,
                "{len}"
            );
            assert_eq!(decode(&png(content, 600).unwrap()), content, "{len}");
        }
    }

    #[test]
    fn the_logo_is_drawn_in_the_middle() {
        let png = png_with_logo("http://weixin.qq.com/q/02abcdefghijklmnopqrstuv", 400).unwrap();
        let (buf, info) = rgb(&png);
        assert_eq!(info.color_type, ::png::ColorType::Rgb);
        let mid = ((info.height / 2 * info.width + info.width / 2) * 3) as usize;
        assert_eq!(&buf[mid..mid + 3], &[0xff, 0xff, 0xff], "white inner dot");
        let ring = mid + ((info.width / 12) * 3) as usize;
        assert_eq!(&buf[ring..ring + 3], &[0x07, 0xc1, 0x60], "green circle");
    }
}
