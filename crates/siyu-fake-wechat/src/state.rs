//! The in-memory state of one fake (behind a `Mutex` in [`Shared`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;

use crate::api::tags::Tags;
use crate::config::FakeConfig;
use crate::errors::{fail, ApiError, INVALID_OPENID};
use crate::followers::{Follower, Followers};
use crate::records::{CallRecord, Records};
use crate::tokens::Tokens;

/// At most this many calls are kept in the call log (oldest dropped first).
pub(crate) const LOG_CAP: usize = 100_000;

/// A user's customer-service window: last interaction and messages sent since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interaction {
    pub(crate) last_secs: i64,
    pub(crate) sent_since: u32,
}

/// Everything one fake instance knows.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) config: FakeConfig,
    pub(crate) rng: StdRng,
    clock_offset_ms: i64,
    pub(crate) tokens: Tokens,
    pub(crate) followers: Followers,
    pub(crate) tags: Tags,
    pub(crate) menu: Option<Value>,
    pub(crate) interactions: HashMap<String, Interaction>,
    pub(crate) records: Records,
    /// Mass-send `clientmsgid` → `msg_id`.
    pub(crate) mass_client_ids: HashMap<String, u64>,
    /// Month key (`year * 12 + month`) of every accepted mass send.
    pub(crate) mass_months: Vec<i64>,
    /// Template `(touser, client_msg_id)` → (`msgid`, time in ms).
    pub(crate) template_client_ids: HashMap<(String, String), (u64, i64)>,
    /// Permanent QR scene key → index in `records.qrcodes`.
    pub(crate) permanent_qr: HashMap<String, usize>,
    pub(crate) calls: BTreeMap<String, usize>,
    pub(crate) log: VecDeque<CallRecord>,
    pub(crate) failures: HashMap<String, VecDeque<(i64, u32)>>,
    pub(crate) rate_windows: HashMap<String, VecDeque<i64>>,
}

fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl World {
    /// A fresh fake: followers seeded, tag 2 (星标组) present, no menu.
    pub(crate) fn new(config: FakeConfig) -> Self {
        let followers = Followers::generate(config.followers, config.seed);
        World {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            clock_offset_ms: 0,
            tokens: Tokens::default(),
            followers,
            tags: Tags::default(),
            menu: None,
            interactions: HashMap::new(),
            records: Records::default(),
            mass_client_ids: HashMap::new(),
            mass_months: Vec::new(),
            template_client_ids: HashMap::new(),
            permanent_qr: HashMap::new(),
            calls: BTreeMap::new(),
            log: VecDeque::new(),
            failures: HashMap::new(),
            rate_windows: HashMap::new(),
        }
    }

    /// The fake clock: wall-clock time plus [`advance`](Self::advance) offsets (unix ms).
    pub(crate) fn now_ms(&self) -> i64 {
        system_now_ms().saturating_add(self.clock_offset_ms)
    }

    /// The fake clock in unix seconds.
    pub(crate) fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves the fake clock forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.clock_offset_ms = self.clock_offset_ms.saturating_add(ms);
    }

    /// 40003 for OpenIDs that are not seeded followers (any OpenID passes when none are).
    pub(crate) fn require_known(&self, openid: &str) -> Result<(), ApiError> {
        if openid.is_empty() || (self.followers.is_seeded() && self.followers.get(openid).is_none())
        {
            return fail(INVALID_OPENID);
        }
        Ok(())
    }

    /// The follower's profile (synthesized in unseeded mode).
    pub(crate) fn follower(&self, openid: &str) -> Result<Cow<'_, Follower>, ApiError> {
        self.require_known(openid)?;
        Ok(match self.followers.get(openid) {
            Some(f) => Cow::Borrowed(f),
            None => Cow::Owned(Follower::synthesize(openid, self.config.seed)),
        })
    }
}

/// The state shared by the server tasks and the [`FakeWechat`](crate::FakeWechat) handle.
#[derive(Debug)]
pub(crate) struct Shared {
    world: Mutex<World>,
    /// Copy of the configured latencies, readable without the lock.
    pub(crate) latency: HashMap<String, Duration>,
}

impl Shared {
    /// Shared state for `config`.
    pub(crate) fn new(config: FakeConfig) -> Self {
        let latency = config.latency.clone();
        Shared {
            world: Mutex::new(World::new(config)),
            latency,
        }
    }

    /// Locks the state (a poisoned lock is recovered: the state stays usable).
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}
