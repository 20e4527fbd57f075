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
    /// Fans in the live-event burst (follows through one table code).
    pub scans: usize,
}

const BURST_TOKEN: &str = "siyuBurstToken2026";
const BURST_CONCURRENCY: usize = 256;

/// A live event: `scans` fans scan one code at once. siyu serves on a fresh SQLite file with
/// the fake WeChat (for the code), the follows arrive as signed callbacks over HTTP from
/// [`BURST_CONCURRENCY`] keep-alive connections, and the clock runs until the last is answered;
/// then the channel's figures must count every one. Returns `(wall ms, new follows counted,
/// scans counted)`.
async fn scan_burst(scans: usize) -> Result<(f64, i64, i64), String> {
    use siyu_server::services::{self, Actor};
    use std::collections::HashMap;
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let fake = siyu_fake_wechat::spawn(siyu_fake_wechat::FakeConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("siyu-bench-channels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|x| e(&x))?;
    let env: HashMap<&str, String> = HashMap::from([
        (
            "SIYU_DATABASE_URL",
            format!("sqlite:{}", dir.join("burst.db").display()),
        ),
        ("SIYU_LISTEN", "127.0.0.1:0".to_owned()),
        (
            "SIYU_SECRET_KEY",
            "siyu-bench-secret-0123456789abcdef0123".to_owned(),
        ),
        ("SIYU_DATA_DIR", dir.display().to_string()),
        ("SIYU_RUN_JOBS", "false".to_owned()),
        ("SIYU_WECHAT_API_BASE", fake.base_url().to_owned()),
    ]);
    let config =
        siyu_server::Config::load_from(None, |k| env.get(k).cloned()).map_err(|x| e(&x))?;
    let app = siyu_server::Application::build(
        config,
        siyu_server::BuildOptions {
            migrate: true,
            ..Default::default()
        },
    )
    .await
    .map_err(|x| e(&x))?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let result = async {
        let (_, key) = services::create_tenant(&state.store, "Live event", &Actor::Cli, state.now())
            .await
            .map_err(|x| e(&x))?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(BURST_CONCURRENCY)
            .build()
            .map_err(|x| e(&x))?;
        let post = |path: &str, body: serde_json::Value| {
            http.post(format!("{base}{path}")).bearer_auth(&key.secret).json(&body).send()
        };
        let account: serde_json::Value = post("/api/v1/wechat/accounts", json!({"app_id": "wx00000000000000be", "app_secret": "0123456789abcdef0123456789abcdef", "token": BURST_TOKEN, "mode": "plain"}))
            .await.map_err(|x| e(&x))?.json().await.map_err(|x| e(&x))?;
        let channel: serde_json::Value = post("/api/v1/channels", json!({"name": "活动现场", "kind": "event"}))
            .await.map_err(|x| e(&x))?.json().await.map_err(|x| e(&x))?;
        let (account, channel, scene) = (
            account["id"].as_str().ok_or("no account")?.to_owned(),
            channel["id"].as_str().ok_or("no channel")?.to_owned(),
            channel["scene"].as_str().ok_or("no scene")?.to_owned(),
        );
        let ts = (state.now() / 1000).to_string();
        let sig = siyu_wechat::signature::url_signature(BURST_TOKEN, &ts, "burst");
        let url = format!("{base}/wechat/{account}?signature={sig}&timestamp={ts}&nonce=burst");
        let bodies: Vec<String> = (0..scans)
            .map(|i| format!("<xml><ToUserName>gh_event</ToUserName><FromUserName>oEvent{i:08}</FromUserName><CreateTime>{ts}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_{scene}</EventKey></xml>"))
            .collect();
        let bodies = std::sync::Arc::new(bodies);
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..BURST_CONCURRENCY {
            let (http, url, bodies, next) = (http.clone(), url.clone(), bodies.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { return Ok::<(), String>(()) };
                    let r = http.post(&url).body(body.clone()).send().await.map_err(|x| x.to_string())?;
                    if !r.status().is_success() {
                        return Err(format!("callback answered {}", r.status()));
                    }
                    let _ = r.bytes().await;
                }
            }));
        }
        for task in tasks {
            task.await.map_err(|x| e(&x))??;
        }
        let wall = ms(t);
        let stats: serde_json::Value = http
            .get(format!("{base}/api/v1/channels/{channel}/stats"))
            .bearer_auth(&key.secret)
            .send().await.map_err(|x| e(&x))?
            .json().await.map_err(|x| e(&x))?;
        Ok::<_, String>((wall, stats["new_follows"].as_i64().unwrap_or(-1), stats["scans"].as_i64().unwrap_or(-1)))
    }
    .await;
    let _ = stop.send(());
    let _ = server.await;
    fake.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
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
    let (burst_ms, burst_follows, burst_scans) = if o.scans > 0 {
        scan_burst(o.scans).await?
    } else {
        (0.0, 0, 0)
    };
    if o.scans > 0 {
        if burst_follows != o.scans as i64 || burst_scans != o.scans as i64 {
            return Err(format!(
                "the channel counted {burst_follows} follows and {burst_scans} scans of {} sent",
                o.scans
            ));
        }
        println!(
            "live event on SQLite:   {} follows through one code attributed in {burst_ms:.0} ms ({:.0}/s)",
            o.scans,
            o.scans as f64 / (burst_ms / 1e3)
        );
    }
    println!(
        "{}",
        json!({
            "bench": "channels", "codes": n, "png_px": size,
            "scans": o.scans, "scans_ms": round(burst_ms),
            "scans_per_s": if burst_ms > 0.0 { (o.scans as f64 / (burst_ms / 1e3)).round() } else { 0.0 },
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
