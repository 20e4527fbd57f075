//! `siyu bench channels`: rendering channel codes locally at print size. N distinct WeChat QR
//! URLs are rendered as 1024-pixel PNGs without and with the centre logo, and as SVG posters
//! (the baseline: text-only output, no raster or compression); then the same N codes go into
//! one printable PDF and one ZIP of the PNGs, as a batch download does. One thread, the time
//! of each kind in total and per image, and of encoding alone (what every kind pays first);
//! the last line is JSON.

use std::hint::black_box;
use std::time::Instant;

use serde_json::json;
use siyu_server::channels::{poster, print, qr};

/// Options of the bench.
pub struct Options {
    /// Codes rendered of each kind.
    pub codes: usize,
}

/// `http://weixin.qq.com/q/02` and 22 letters and digits, like WeChat's, distinct per `i`.
fn url(i: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d;
    let tail: String = (0..22)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALNUM[(x % ALNUM.len() as u64) as usize])
        })
        .collect();
    format!("http://weixin.qq.com/q/02{tail}")
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Runs the bench.
pub async fn run(o: Options) -> Result<(), String> {
    let n = o.codes.max(1);
    let urls: Vec<String> = (0..n).map(url).collect();
    let e = |e: siyu_server::error::ApiError| e.to_string();
    let size = 1024;
    println!("channels: {n} codes of each kind, {size} px PNGs, one thread");

    // What every kind pays first: encoding the content (mask choice included) at M and at H.
    let start = Instant::now();
    for u in &urls {
        black_box(qr::Modules::new(u, false).map_err(e)?);
    }
    let encode_ms = ms(start);
    let start = Instant::now();
    for u in &urls {
        black_box(qr::Modules::new(u, true).map_err(e)?);
    }
    let encode_h_ms = ms(start);

    let start = Instant::now();
    let mut pngs = Vec::with_capacity(n);
    for u in &urls {
        pngs.push(black_box(qr::png(u, size).map_err(e)?));
    }
    let png_ms = ms(start);
    let png_bytes: usize = pngs.iter().map(Vec::len).sum();

    let start = Instant::now();
    let mut logo_bytes = 0;
    for u in &urls {
        logo_bytes += black_box(qr::png_with_logo(u, size).map_err(e)?).len();
    }
    let png_logo_ms = ms(start);

    let p = poster::Poster::from_params("秋季新品", None, None, None, Some("#07c160"), true)
        .map_err(e)?;
    let start = Instant::now();
    let mut svg_bytes = 0;
    for u in &urls {
        svg_bytes += black_box(poster::svg(&p, u).map_err(e)?).len();
    }
    let poster_svg_ms = ms(start);

    let start = Instant::now();
    let mut zip = print::Zip::new(0);
    for (i, png) in pngs.iter().enumerate() {
        zip.add(&format!("桌{}.png", i + 1), png).map_err(e)?;
    }
    let zip_bytes = black_box(zip.finish().map_err(e)?).len();
    let zip_ms = ms(start);

    let named: Vec<(String, String)> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| (format!("桌{}", i + 1), u.clone()))
        .collect();
    let start = Instant::now();
    let pdf_bytes = black_box(print::codes_pdf(&named, "bench").map_err(e)?).len();
    let pdf_ms = ms(start);

    let per = |total: f64| round(total * 1e3 / n as f64);
    let kib = |b: usize| round(b as f64 / 1024.0 / n as f64);
    println!(
        "encode only (M / H):    {encode_ms:>9.1} ms / {encode_h_ms:.1} ms  {:>8.1} / {:.1} µs/code",
        per(encode_ms),
        per(encode_h_ms)
    );
    println!(
        "png (no logo, level M): {png_ms:>9.1} ms  {:>8.1} µs/image  {:>6.1} KiB/image",
        per(png_ms),
        kib(png_bytes)
    );
    println!(
        "png with logo (H):      {png_logo_ms:>9.1} ms  {:>8.1} µs/image  {:>6.1} KiB/image",
        per(png_logo_ms),
        kib(logo_bytes)
    );
    println!(
        "poster svg (baseline):  {poster_svg_ms:>9.1} ms  {:>8.1} µs/image  {:>6.1} KiB/image",
        per(poster_svg_ms),
        kib(svg_bytes)
    );
    println!("zip of the PNGs:        {zip_ms:>9.1} ms  {zip_bytes} bytes");
    println!(
        "pdf ({} A4 pages):   {pdf_ms:>9.1} ms  {pdf_bytes} bytes",
        n.div_ceil(print::PER_PAGE)
    );
    println!(
        "{}",
        json!({
            "bench": "channels", "codes": n, "png_px": size,
            "png_ms": round(png_ms), "png_logo_ms": round(png_logo_ms), "poster_svg_ms": round(poster_svg_ms),
            "png_us_per_image": per(png_ms), "png_logo_us_per_image": per(png_logo_ms),
            "poster_svg_us_per_image": per(poster_svg_ms),
            "png_vs_svg_ratio": round(png_ms / poster_svg_ms),
            "png_logo_vs_svg_ratio": round(png_logo_ms / poster_svg_ms),
            "png_kib_per_image": kib(png_bytes), "png_logo_kib_per_image": kib(logo_bytes),
            "poster_svg_kib_per_image": kib(svg_bytes),
            "zip_ms": round(zip_ms), "zip_bytes": zip_bytes,
            "encode_us_per_code": per(encode_ms), "encode_h_us_per_code": per(encode_h_ms),
            "pdf_ms": round(pdf_ms), "pdf_bytes": pdf_bytes, "pdf_pages": n.div_ceil(print::PER_PAGE),
        })
    );
    Ok(())
}
