//! Printing many codes at once: a ZIP of named PNGs and one PDF of A4 pages with a grid of
//! codes. Both formats are written here by hand (a stored ZIP and a minimal PDF) rather than
//! through a dependency: what they need is small and fixed.
//!
//! The ZIP stores its entries uncompressed (PNG data is compressed already) with UTF-8 names
//! (general-purpose flag bit 11). The PDF draws each code's modules as filled rectangles
//! (vector, sharp at any printer resolution) and names in the non-embedded CID font
//! `STSong-Light` (Adobe-GB1), which every PDF viewer provides for Simplified Chinese.

use std::fmt::Write as _;

use super::qr::{self, Modules};
use crate::error::ApiError;

/// A file name for `name`: path separators, control characters and characters Windows
/// refuses become `_`.
pub fn file_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "_".to_owned()
    } else {
        cleaned
    }
}

/// MS-DOS time and date of a Unix ms instant, in China Standard Time (UTC+8; ZIP times are
/// local).
fn dos_time(ms: i64) -> (u16, u16) {
    let siyu_domain::calendar::ChinaTime {
        year: y,
        month: m,
        day: d,
        hour,
        minute,
        second,
    } = siyu_domain::calendar::china_time(ms);
    if !(1980..=2107).contains(&y) {
        return (0, (1 << 5) | 1); // 1980-01-01 00:00, the earliest DOS date.
    }
    let time = (hour << 11) | (minute << 5) | (second / 2);
    let date = ((y - 1980) << 9) | (m << 5) | d;
    (
        u16::try_from(time).unwrap_or(0),
        u16::try_from(date).unwrap_or(0x21),
    )
}

/// A ZIP archive of stored (uncompressed) entries, built in memory.
#[derive(Debug, Default)]
pub struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
    time: (u16, u16),
}

const UTF8_NAMES: u16 = 1 << 11;

impl Zip {
    /// An empty archive whose entries are dated `modified_ms` (Unix ms).
    pub fn new(modified_ms: i64) -> Zip {
        Zip {
            time: dos_time(modified_ms),
            ..Zip::default()
        }
    }

    /// Adds a file. More than 65,535 entries or 4 GiB is refused (no ZIP64).
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ApiError> {
        let too_big = |_| ApiError::Internal;
        let offset = u32::try_from(self.out.len()).map_err(too_big)?;
        let size = u32::try_from(data.len()).map_err(too_big)?;
        let name_len = u16::try_from(name.len()).map_err(too_big)?;
        self.entries = self.entries.checked_add(1).ok_or(ApiError::Internal)?;
        let crc = crc32fast::hash(data);
        let (time, date) = self.time;
        // Local file header.
        let o = &mut self.out;
        o.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, UTF8_NAMES, 0, time, date] {
            o.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            o.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0] {
            o.extend_from_slice(&v.to_le_bytes());
        }
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(data);
        u32::try_from(o.len()).map_err(too_big)?;
        // Its central directory record: made by Unix (3) with ZIP 2.0, mode 0644.
        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [(3u16 << 8) | 20, 20, UTF8_NAMES, 0, time, date] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0o100_644u32 << 16, offset] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        c.extend_from_slice(name.as_bytes());
        Ok(())
    }

    /// The archive's bytes: the entries, the central directory and its end record.
    pub fn finish(mut self) -> Result<Vec<u8>, ApiError> {
        let cd_offset = u32::try_from(self.out.len()).map_err(|_| ApiError::Internal)?;
        let cd_size = u32::try_from(self.central.len()).map_err(|_| ApiError::Internal)?;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [cd_size, cd_offset] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.out)
    }
}

/// A ZIP of `{name}.png` files, each `size` pixels, one per `(name, content)`; a name already
/// used gets ` (2)`, ` (3)`… so no entry hides another.
pub fn codes_zip(
    codes: &[(String, String)],
    size: u32,
    modified_ms: i64,
) -> Result<Vec<u8>, ApiError> {
    let mut zip = Zip::new(modified_ms);
    let mut used = std::collections::HashSet::new();
    for (name, content) in codes {
        let base = file_name(name);
        let mut entry = format!("{base}.png");
        let mut n = 1;
        while !used.insert(entry.clone()) {
            n += 1;
            entry = format!("{base} ({n}).png");
        }
        zip.add(&entry, &qr::png(content, size)?)?;
    }
    zip.finish()
}

/// A4 in points.
const PAGE_W: f64 = 595.28;
const PAGE_H: f64 = 841.89;
const MARGIN: f64 = 36.0;
/// Codes per row and rows per page.
pub const COLUMNS: usize = 3;
/// Rows of codes per page.
pub const ROWS: usize = 4;
/// Codes per A4 page.
pub const PER_PAGE: usize = COLUMNS * ROWS;
/// Side of each printed code (quiet zone excluded), in points: about 4.9 cm.
const CODE_PT: f64 = 140.0;
const NAME_PT: f64 = 12.0;

/// A PDF string of UCS-2 (big-endian) hex for the `UniGB-UCS2-H` encoding; characters beyond
/// the Basic Multilingual Plane become `?`.
fn ucs2_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 4 + 2);
    out.push('<');
    for c in s.chars() {
        let u = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
        let _ = write!(out, "{u:04X}");
    }
    out.push('>');
    out
}

/// Width of `s` in the font at `size`: ASCII half width (CIDs 1–95 are 500/1000), the rest
/// full width.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
        .sum::<f64>()
        * size
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The content stream of one page: cut lines, then each code and its name.
fn page_content(codes: &[(String, Modules)], footer: &str) -> String {
    let cell_w = (PAGE_W - 2.0 * MARGIN) / COLUMNS as f64;
    let cell_h = (PAGE_H - 2.0 * MARGIN) / ROWS as f64;
    let mut s = String::with_capacity(codes.len() * 6 * 1024);
    s.push_str("0.75 G 0.5 w [4 3] 0 d\n");
    for (i, _) in codes.iter().enumerate() {
        let (col, row) = (i % COLUMNS, i / COLUMNS);
        let x = MARGIN + col as f64 * cell_w;
        let y = PAGE_H - MARGIN - (row + 1) as f64 * cell_h;
        let _ = writeln!(
            s,
            "{} {} {} {} re S",
            fmt(x),
            fmt(y),
            fmt(cell_w),
            fmt(cell_h)
        );
    }
    s.push_str("[] 0 d 0 g\n");
    for (i, (name, m)) in codes.iter().enumerate() {
        let (col, row) = (i % COLUMNS, i / COLUMNS);
        let cell_x = MARGIN + col as f64 * cell_w;
        let cell_top = PAGE_H - MARGIN - row as f64 * cell_h;
        let unit = CODE_PT / f64::from(m.width());
        let qx = cell_x + (cell_w - CODE_PT) / 2.0;
        let q_top = cell_top - 14.0;
        // Module (x, y) from the top-left is the unit square at (x, width - 1 - y) from the
        // code's bottom-left corner.
        let _ = writeln!(
            s,
            "q {} 0 0 {} {} {} cm",
            fmt(unit),
            fmt(unit),
            fmt(qx),
            fmt(q_top - CODE_PT)
        );
        let w = m.width();
        for (x, y, len) in m.runs() {
            let _ = writeln!(s, "{x} {} {len} 1 re", w - 1 - y);
        }
        s.push_str("f Q\n");
        let tx = cell_x + (cell_w - text_width(name, NAME_PT)) / 2.0;
        let ty = q_top - CODE_PT - 22.0;
        let _ = writeln!(
            s,
            "BT /F1 {} Tf {} {} Td {} Tj ET",
            fmt(NAME_PT),
            fmt(tx),
            fmt(ty),
            ucs2_hex(name)
        );
    }
    if !footer.is_empty() {
        let _ = writeln!(
            s,
            "0.4 g BT /F1 8 Tf {} 20 Td {} Tj ET",
            fmt(MARGIN),
            ucs2_hex(footer)
        );
    }
    s
}

/// A minimal PDF: objects numbered from 1, written in order, with a cross-reference table.
struct Pdf {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Pdf {
    fn new() -> Pdf {
        let mut out = b"%PDF-1.4\n%".to_vec();
        out.extend_from_slice(&[0xe2, 0xe3, 0xcf, 0xd3, b'\n']);
        Pdf {
            out,
            offsets: Vec::new(),
        }
    }

    /// Writes the next object (its number is its position, from 1).
    fn object(&mut self, body: &str) {
        self.offsets.push(self.out.len());
        let n = self.offsets.len();
        self.out
            .extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    fn stream(&mut self, content: &str) {
        self.object(&format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }

    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref = self.out.len();
        let size = self.offsets.len() + 1;
        let mut t = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for o in &self.offsets {
            let _ = writeln!(t, "{o:010} 00000 n ");
        }
        let _ = write!(
            t,
            "trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(t.as_bytes());
        self.out
    }
}

/// One PDF of A4 pages, [`PER_PAGE`] codes to a page (3 × 4), each with its name under it;
/// `title` goes into the document information and each page's footer.
pub fn codes_pdf(codes: &[(String, String)], title: &str) -> Result<Vec<u8>, ApiError> {
    let mut drawn = Vec::with_capacity(codes.len());
    for (name, content) in codes {
        drawn.push((name.clone(), Modules::new(content, false)?));
    }
    let pages: Vec<&[(String, Modules)]> = drawn.chunks(PER_PAGE).collect();
    let page_count = pages.len().max(1);
    let mut pdf = Pdf::new();
    // 1 catalog, 2 page tree, 3–5 font, 6 info, then a page and its content per page.
    let first_page = 7;
    let kids: Vec<String> = (0..page_count)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    pdf.object("<< /Type /Catalog /Pages 2 0 R >>");
    pdf.object(&format!(
        "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
        kids.join(" ")
    ));
    pdf.object("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>");
    pdf.object("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>");
    pdf.object("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>");
    let mut utf16_title = String::from("<FEFF");
    for u in title.encode_utf16() {
        let _ = write!(utf16_title, "{u:04X}");
    }
    utf16_title.push('>');
    pdf.object(&format!("<< /Title {utf16_title} /Producer (siyu) >>"));
    for i in 0..page_count {
        let codes = pages.get(i).copied().unwrap_or(&[]);
        let footer = format!("{title}  {}/{page_count}", i + 1);
        pdf.object(&format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            fmt(PAGE_W),
            fmt(PAGE_H),
            first_page + 2 * i + 1
        ));
        pdf.stream(&page_content(codes, &footer));
    }
    Ok(pdf.finish(1, 6))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn u16_at(b: &[u8], i: usize) -> usize {
        usize::from(u16::from_le_bytes([b[i], b[i + 1]]))
    }

    fn u32_at(b: &[u8], i: usize) -> usize {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize
    }

    /// Reads an archive back through its central directory: `(name, flags, data)`.
    fn read_zip(z: &[u8]) -> Vec<(String, usize, Vec<u8>)> {
        let end = z.len() - 22;
        assert_eq!(u32_at(z, end), 0x0605_4b50, "end of central directory");
        let (count, cd) = (u16_at(z, end + 10), u32_at(z, end + 16));
        let mut at = cd;
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(z, at), 0x0201_4b50);
            let flags = u16_at(z, at + 8);
            let (crc, size) = (u32_at(z, at + 16), u32_at(z, at + 24));
            let name_len = u16_at(z, at + 28);
            let local = u32_at(z, at + 42);
            let name = String::from_utf8(z[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(z, local), 0x0403_4b50, "local header of {name}");
            assert_eq!(u16_at(z, local + 26), name_len);
            let data_at = local + 30 + name_len + u16_at(z, local + 28);
            let data = z[data_at..data_at + size].to_vec();
            assert_eq!(crc32fast::hash(&data) as usize, crc, "CRC of {name}");
            out.push((name, flags, data));
            at += 46 + name_len + u16_at(z, at + 30) + u16_at(z, at + 32);
        }
        out
    }

    #[test]
    fn a_zip_reads_back_with_utf8_names() {
        let codes: Vec<(String, String)> = (1..=3)
            .map(|i| {
                (
                    format!("桌{i}"),
                    format!("http://weixin.qq.com/q/02table{i}"),
                )
            })
            .chain([
                ("桌1".to_owned(), "dup".to_owned()),
                ("a/b".to_owned(), "x".to_owned()),
            ])
            .collect();
        let z = codes_zip(&codes, 128, 1_795_000_000_000).unwrap();
        let entries = read_zip(&z);
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            ["桌1.png", "桌2.png", "桌3.png", "桌1 (2).png", "a_b.png"]
        );
        for (name, flags, data) in &entries {
            assert_eq!(flags & 0x0800, 0x0800, "{name} has the UTF-8 flag");
            assert!(data.starts_with(b"\x89PNG"), "{name}");
        }
        // Python's zipfile, when there is a Python, as an independent reader.
        let path = std::env::temp_dir().join(format!("siyu-zip-{}.zip", std::process::id()));
        std::fs::write(&path, &z).unwrap();
        if let Ok(out) = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('|'.join(z.namelist()))")
            .arg(&path)
            .output()
        {
            if out.status.success() {
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    "桌1.png|桌2.png|桌3.png|桌1 (2).png|a_b.png"
                );
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn dos_times_are_china_local() {
        // 2026-11-23 10:30:08 +08:00.
        let (time, date) = dos_time(1_795_401_008_000);
        assert_eq!((time >> 11, (time >> 5) & 63, (time & 31) * 2), (10, 30, 8));
        assert_eq!(
            (1980 + (date >> 9), (date >> 5) & 15, date & 31),
            (2026, 11, 23)
        );
        assert_eq!(dos_time(0), (0, 0x21), "before 1980: the earliest DOS date");
    }

    /// The PDF's cross-reference offsets, checked to point at `n 0 obj`.
    fn check_xref(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[start..].starts_with(b"xref\n0 "));
        let table = String::from_utf8_lossy(&pdf[start..]);
        let mut lines = table.lines().skip(1);
        let size: usize = lines.next().unwrap()[2..].parse().unwrap();
        for (n, line) in lines.skip(1).take(size - 1).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            let head = format!("{} 0 obj", n + 1);
            assert!(pdf[off..].starts_with(head.as_bytes()), "object {}", n + 1);
        }
        size
    }

    /// Rasterises the first code drawn on page 1 from its `re` operators and decodes it.
    fn decode_first_code(pdf: &[u8]) -> String {
        let text = String::from_utf8_lossy(pdf);
        let q = text.find(" cm\n").unwrap();
        let body = &text[q + 4..q + 4 + text[q + 4..].find("f Q").unwrap()];
        let rects: Vec<Vec<u32>> = body
            .lines()
            .map(|l| l.split(' ').take(4).map(|v| v.parse().unwrap()).collect())
            .collect();
        let width = rects.iter().map(|r| r[1] + 1).max().unwrap() as usize;
        let (scale, quiet) = (8, 4);
        let side = (width + 2 * quiet) * scale;
        let mut img = vec![255u8; side * side];
        for r in &rects {
            let (x, y_up, len) = (r[0] as usize, r[1] as usize, r[2] as usize);
            let y = width - 1 - y_up;
            for py in (y + quiet) * scale..(y + quiet + 1) * scale {
                for px in (x + quiet) * scale..(x + len + quiet) * scale {
                    img[py * side + px] = 0;
                }
            }
        }
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| img[y * side + x]);
        let grids = prepared.detect_grids();
        grids[0].decode().unwrap().1
    }

    #[test]
    fn a_pdf_has_a_page_per_twelve_codes_and_a_sound_xref() {
        let codes: Vec<(String, String)> = (1..=25)
            .map(|i| {
                (
                    format!("桌 {i}"),
                    format!("http://weixin.qq.com/q/02code{i:03}"),
                )
            })
            .collect();
        let pdf = codes_pdf(&codes, "桌 1–桌 25").unwrap();
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(
            text.matches("/Type /Page ").count(),
            3,
            "25 codes on three pages"
        );
        assert!(text.contains("/Count 3"));
        assert_eq!(check_xref(&pdf), 7 + 2 * 3);
        assert!(text.contains("/Encoding /UniGB-UCS2-H") && text.contains("/Ordering (GB1)"));
        assert!(text.contains("<684C00200031> Tj"), "桌 1 in UCS-2");
        assert_eq!(decode_first_code(&pdf), "http://weixin.qq.com/q/02code001");
        assert!(text.trim_end().ends_with("%%EOF"));
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("桌 12"), "桌 12");
        assert_eq!(file_name("../a\\b:c"), ".._a_b_c");
        assert_eq!(file_name(".."), "_");
        assert_eq!(file_name(" "), "_");
    }
}
