//! The load generator: keep-alive connections, closed-loop and paced runs, per-request latency.

use super::*;

// ---------------------------------------------------------------------------------------
// The load generator: one keep-alive HTTP/1.1 connection per task.

pub(super) type Sender = SendRequest<Full<Bytes>>;

pub(super) async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

pub(super) async fn send(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, body.to_bytes()))
}

pub(super) fn post(
    addr: SocketAddr,
    uri: &str,
    content_type: &str,
    body: Bytes,
) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = hyper::Method::POST;
    if let Ok(u) = uri.parse() {
        *req.uri_mut() = u;
    }
    let h = req.headers_mut();
    if let Ok(v) = addr.to_string().parse() {
        h.insert(HOST, v);
    }
    if let Ok(v) = content_type.parse() {
        h.insert(CONTENT_TYPE, v);
    }
    req
}

/// How requests are issued: as fast as answers come back, or on a schedule at a rate (latency
/// then counts from the scheduled time, so a slow server cannot hide its queue).
#[derive(Clone, Copy)]
pub(super) enum Pace {
    Closed,
    Rate(u32),
}

/// What one connection saw.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) latencies: Vec<Duration>,
    pub(super) errors: usize,
    pub(super) first_error: Option<String>,
}

impl Tally {
    pub(super) fn fail(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

/// The shared state of one run's connections.
pub(super) struct Load {
    pub(super) addr: SocketAddr,
    pub(super) reqs: Arc<Vec<Prepared>>,
    pub(super) next: AtomicUsize,
    pub(super) start: Instant,
    pub(super) pace: Pace,
    pub(super) check_replies: bool,
}

/// What a run measured.
pub(super) struct Run {
    pub(super) elapsed: Duration,
    pub(super) tally: Tally,
    pub(super) cpu: Option<CpuShare>,
}

/// One server under load: where it listens, the account's callback path, how many
/// connections, and whether replies are checked (siyu) or only statuses (the bare handler).
pub(super) struct Target<'a> {
    pub(super) addr: SocketAddr,
    pub(super) path: &'a str,
    pub(super) concurrency: usize,
    pub(super) check_replies: bool,
}

impl Target<'_> {
    /// Sends `deliveries` as fast as answers come back over every connection.
    pub(super) async fn closed(&self, what: &str, d: &[Delivery]) -> Result<Summary, String> {
        summarize(what, drive(self, d, self.concurrency, Pace::Closed).await?)
    }

    /// Sends `deliveries` one at a time.
    pub(super) async fn serial(&self, what: &str, d: &[Delivery]) -> Result<Summary, String> {
        summarize(what, drive(self, d, 1, Pace::Closed).await?)
    }

    /// Sends `deliveries` on a schedule at `rate` per second.
    pub(super) async fn paced(
        &self,
        what: &str,
        d: &[Delivery],
        rate: u32,
    ) -> Result<Summary, String> {
        summarize(
            what,
            drive(self, d, self.concurrency, Pace::Rate(rate)).await?,
        )
    }
}

/// Sends every delivery, encoded just before the clock starts, over `concurrency` connections.
pub(super) async fn drive(
    t: &Target<'_>,
    d: &[Delivery],
    concurrency: usize,
    pace: Pace,
) -> Result<Run, String> {
    let reqs = encode(d, t.path)?;
    let addr = t.addr;
    let mut senders = Vec::new();
    for _ in 0..concurrency.clamp(1, reqs.len().max(1)) {
        senders.push(connect(addr).await?);
    }
    let cpu_before = CpuSample::now();
    let load = Arc::new(Load {
        addr,
        reqs,
        next: AtomicUsize::new(0),
        start: Instant::now(),
        pace,
        check_replies: t.check_replies,
    });
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|s| tokio::spawn(connection(s, load.clone())))
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        let t = t.await.map_err(|e| e.to_string())?;
        tally.latencies.extend(t.latencies);
        tally.errors += t.errors;
        tally.first_error = tally.first_error.or(t.first_error);
    }
    let elapsed = load.start.elapsed();
    let cpu = cpu_before.zip(CpuSample::now()).map(|(a, b)| a.share(&b));
    Ok(Run {
        elapsed,
        tally,
        cpu,
    })
}

pub(super) async fn connection(mut sender: Sender, load: Arc<Load>) -> Tally {
    let mut tally = Tally {
        latencies: Vec::with_capacity(load.reqs.len() / 8),
        ..Tally::default()
    };
    loop {
        let i = load.next.fetch_add(1, Ordering::Relaxed);
        let Some(p) = load.reqs.get(i) else {
            return tally;
        };
        let began = match load.pace {
            Pace::Closed => Instant::now(),
            Pace::Rate(r) => {
                let at = load.start + Duration::from_secs_f64(i as f64 / f64::from(r));
                tokio::time::sleep_until(at.into()).await;
                at
            }
        };
        let req = post(load.addr, &p.uri, "text/xml", p.body.clone());
        let outcome = send(&mut sender, req).await;
        tally.latencies.push(began.elapsed());
        if let Err(e) = outcome.and_then(|(s, b)| check(s, &b, p, load.check_replies)) {
            tally.fail(e);
        }
        if sender.is_closed() {
            match connect(load.addr).await {
                Ok(s) => sender = s,
                Err(e) => {
                    tally.fail(e);
                    return tally;
                }
            }
        }
    }
}

/// A 200, and with `replies` the reply WeChat expects: an encrypted welcome for a subscribe,
/// `success` for a text.
pub(super) fn check(
    status: StatusCode,
    body: &[u8],
    p: &Prepared,
    replies: bool,
) -> Result<(), String> {
    let text = || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    if status != StatusCode::OK {
        return Err(format!("HTTP {status}: {}", text()));
    }
    let ok = match (replies, p.subscribe) {
        (false, _) => true,
        (true, true) => body.windows(9).any(|w| w == b"<Encrypt>"),
        (true, false) => body == b"success",
    };
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected reply: {}", text()))
    }
}
