//! Posters: a channel's code composed on an A6-proportioned page (1050 × 1480) with a coloured
//! header band holding the title, the code on a white card with the centre logo, and a caption.
//!
//! The SVG is the printable poster: its text is SVG `<text>` in the viewer's CJK font (a
//! font-family list of the usual Chinese system fonts). The PNG is the same layout rasterised
//! *without* the title and caption: siyu ships no font files and draws no glyphs, so the PNG is
//! a background for a designer or a preview, not a finished poster.

use std::fmt::Write as _;

use super::qr::{self, Canvas, Modules, Rgb};
use crate::error::ApiError;

/// Poster width in SVG user units (pixels in the PNG).
pub const WIDTH: u32 = 1050;
/// Poster height in SVG user units (pixels in the PNG).
pub const HEIGHT: u32 = 1480;
/// Longest title, in characters.
pub const TITLE_MAX: usize = 30;
/// Longest caption, in characters.
pub const CAPTION_MAX: usize = 60;
/// The caption when none is given.
pub const DEFAULT_CAPTION: &str = "扫码关注";

const BAND: u32 = 300;
const CARD_X: u32 = 165;
const CARD_Y: u32 = 390;
const CARD: u32 = 720;
const CAPTION_Y: u32 = 1250;
const FOOTER: u32 = 40;
const FONTS: &str = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif";

/// What a poster says and its colours.
#[derive(Debug, Clone)]
pub struct Poster {
    /// The title in the header band.
    pub title: String,
    /// The line under the code.
    pub caption: String,
    /// Page colour (and the title's).
    pub background: Rgb,
    /// Header band, footer and caption colour; the code's modules too when dark enough.
    pub foreground: Rgb,
    /// Whether the code carries the centre logo.
    pub logo: bool,
}

fn text_field(
    field: &str,
    given: Option<&str>,
    default: &str,
    max: usize,
) -> Result<String, ApiError> {
    let t: String = given
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned();
    let t = if t.is_empty() { default.to_owned() } else { t };
    if t.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(t)
}

fn colour(field: &str, given: Option<&str>, default: Rgb) -> Result<Rgb, ApiError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => Rgb::parse(s)
            .ok_or_else(|| ApiError::invalid(field, "must be a colour like #07c160 (#rrggbb)")),
    }
}

impl Poster {
    /// A poster from request parameters: title defaults to the channel's name, caption to
    /// `扫码关注`, background to white and foreground to black; a colour that is not
    /// `#rrggbb` or a text over its length is a validation error.
    pub fn from_params(
        channel_name: &str,
        title: Option<&str>,
        caption: Option<&str>,
        background: Option<&str>,
        foreground: Option<&str>,
        logo: bool,
    ) -> Result<Poster, ApiError> {
        Ok(Poster {
            title: text_field("title", title, channel_name, TITLE_MAX)?,
            caption: text_field("caption", caption, DEFAULT_CAPTION, CAPTION_MAX)?,
            background: colour("bg", background, qr::WHITE)?,
            foreground: colour("fg", foreground, qr::BLACK)?,
            logo,
        })
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A font size that fits `text` in `width` units: CJK characters are about 1 em wide,
/// ASCII about 0.55 em.
fn fit(text: &str, width: f64, max: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum();
    (width / ems.max(1.0)).clamp(24.0, max).floor()
}

/// The poster as SVG (printable at any size).
pub fn svg(p: &Poster, content: &str) -> Result<String, ApiError> {
    let m = Modules::new(content, p.logo)?;
    let (bg, fg) = (p.background.hex(), p.foreground.hex());
    let title = escape_xml(&p.title);
    let caption = escape_xml(&p.caption);
    let title_size = fit(&p.title, 940.0, 96.0);
    let caption_size = fit(&p.caption, 940.0, 64.0);
    let scale = f64::from(CARD) / f64::from(m.width() + 2 * qr::QUIET);
    let inset = scale * f64::from(qr::QUIET);
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"105mm\" height=\"148mm\" viewBox=\"0 0 {WIDTH} {HEIGHT}\">\
         <title>{title}</title>\
         <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"{bg}\"/>\
         <rect width=\"{WIDTH}\" height=\"{BAND}\" fill=\"{fg}\"/>\
         <text x=\"{cx}\" y=\"{ty:.0}\" text-anchor=\"middle\" font-family=\"{FONTS}\" font-size=\"{title_size}\" font-weight=\"bold\" fill=\"{bg}\">{title}</text>\
         <rect x=\"{CARD_X}\" y=\"{CARD_Y}\" width=\"{CARD}\" height=\"{CARD}\" rx=\"28\" fill=\"#ffffff\" stroke=\"#e5e5e5\" stroke-width=\"2\"/>\
         <g transform=\"translate({gx:.3} {gy:.3}) scale({scale:.5})\">{code}</g>\
         <text x=\"{cx}\" y=\"{CAPTION_Y}\" text-anchor=\"middle\" font-family=\"{FONTS}\" font-size=\"{caption_size}\" fill=\"{fg}\">{caption}</text>\
         <rect y=\"{fy}\" width=\"{WIDTH}\" height=\"{FOOTER}\" fill=\"{fg}\"/>\
         </svg>\n",
        cx = WIDTH / 2,
        ty = f64::from(BAND) / 2.0 + title_size * 0.35,
        gx = f64::from(CARD_X) + inset,
        gy = f64::from(CARD_Y) + inset,
        code = qr::svg_elements(&m, p.foreground.or_black_on_white()),
        fy = HEIGHT - FOOTER,
    );
    Ok(out)
}

/// The poster's layout as a PNG of 1050 × 1480 pixels *without its title and caption* (no
/// font to draw them with): background, header band, the code on its card, footer band.
pub fn png(p: &Poster, content: &str) -> Result<Vec<u8>, ApiError> {
    raster(p, content)?.png()
}

/// The poster's layout rasterised (see [`png`]).
pub fn raster(p: &Poster, content: &str) -> Result<Canvas, ApiError> {
    let m = Modules::new(content, p.logo)?;
    let mut c = Canvas::new(WIDTH, HEIGHT, p.background);
    c.fill_rect(0, 0, WIDTH, BAND, p.foreground);
    c.fill_rect(0, HEIGHT - FOOTER, WIDTH, FOOTER, p.foreground);
    c.fill_rounded_rect(
        CARD_X - 2,
        CARD_Y - 2,
        CARD + 4,
        CARD + 4,
        30,
        Rgb(0xe5, 0xe5, 0xe5),
    );
    c.fill_rounded_rect(CARD_X, CARD_Y, CARD, CARD, 28, qr::WHITE);
    let (x, y, scale) = code_origin(&m);
    c.draw_code(&m, x, y, scale, p.foreground.or_black_on_white());
    Ok(c)
}

/// Where the raster draws the code's first module, and its module size in pixels.
fn code_origin(m: &Modules) -> (u32, u32, u32) {
    let scale = CARD / (m.width() + 2 * qr::QUIET);
    let offset = (CARD - m.width() * scale) / 2;
    (CARD_X + offset, CARD_Y + offset, scale)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const URL: &str = "http://weixin.qq.com/q/02abcdefghijklmnopqrstuv";

    #[test]
    fn texts_default_are_capped_and_colours_checked() {
        let p =
            Poster::from_params("12 号桌", None, Some("  "), None, Some("#07C160"), true).unwrap();
        assert_eq!(
            (p.title.as_str(), p.caption.as_str()),
            ("12 号桌", "扫码关注")
        );
        assert_eq!(p.foreground, qr::BRAND_GREEN);
        let long = "长".repeat(TITLE_MAX + 1);
        for (t, bg, field) in [
            (Some(long.as_str()), None, "title"),
            (None, Some("white"), "bg"),
            (None, Some("#12345"), "bg"),
        ] {
            match Poster::from_params("x", t, None, bg, None, false) {
                Err(ApiError::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_svg_escapes_its_text_and_draws_the_code() {
        let p = Poster::from_params("x", Some("<b>咖啡 & 茶</b>"), None, None, None, true).unwrap();
        let svg = svg(&p, URL).unwrap();
        assert!(svg.contains("&lt;b&gt;咖啡 &amp; 茶&lt;/b&gt;"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("viewBox=\"0 0 1050 1480\"") && svg.contains("<path d=\"M"));
        assert!(svg.contains("#07c160"), "the logo's mark");
    }

    #[test]
    fn the_png_layout_has_the_band_and_the_code() {
        let p =
            Poster::from_params("x", None, None, Some("#fff8e1"), Some("#b71c1c"), true).unwrap();
        let c = raster(&p, URL).unwrap();
        assert_eq!((c.width(), c.height()), (WIDTH, HEIGHT));
        assert_eq!(c.pixel(10, 10), Rgb(0xb7, 0x1c, 0x1c), "header band");
        assert_eq!(c.pixel(10, 350), Rgb(0xff, 0xf8, 0xe1), "background");
        let (x, y, _) = code_origin(&Modules::new(URL, true).unwrap());
        assert_eq!(
            c.pixel(x + 1, y + 1),
            Rgb(0xb7, 0x1c, 0x1c),
            "the finder pattern in the (dark enough) foreground"
        );
    }
}
