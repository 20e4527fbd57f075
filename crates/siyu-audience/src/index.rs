//! The audience index: bitmaps, bit-sliced indexes and sparse columns over dense slots.

use std::hash::{BuildHasher, Hash};
use std::mem::size_of;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use roaring::RoaringBitmap;
use siyu_domain::activity::{self, ACTIVE_MS, DORMANT_MS};
use siyu_domain::segment::{ActivityState, Expr, Pred, RfmCell, Touch, Window};

use crate::bsi::{add, Bsi, Scope};
use crate::latest::Latest;
use crate::records::Records;
use crate::{check_resolved, window_start_minute, EvalError, Facts, MINUTE_MS};

/// Four years in milliseconds: how far below the first time stored a time column's base lies.
const MARGIN_MS: i64 = 4 * 365 * 86_400_000;
/// The same in minutes.
const MARGIN_MINUTES: i64 = MARGIN_MS / MINUTE_MS;

/// A string interner: dense ids for names.
#[derive(Debug, Clone, Default)]
struct Names {
    ids: HashMap<String, usize>,
    names: Vec<String>,
}

impl Names {
    fn id(&self, name: &str) -> Option<usize> {
        self.ids.get(name).copied()
    }

    /// The id of `name`, and whether it is new.
    fn intern(&mut self, name: &str) -> (usize, bool) {
        if let Some(id) = self.ids.get(name) {
            return (*id, false);
        }
        let id = self.names.len();
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        (id, true)
    }

    fn heap_bytes(&self) -> usize {
        let strings: usize = self.names.iter().map(|n| 2 * n.capacity()).sum();
        strings
            + self.names.capacity() * size_of::<String>()
            + self.ids.capacity() * (size_of::<(String, usize)>() + 1)
    }
}

/// What a posting id (an entry of a slot's forward list) stands for.
#[derive(Debug, Clone, Copy)]
enum Posting {
    Tag(usize),
    Province(usize),
    /// Province id, city id within it.
    City(usize, usize),
    First(usize),
    Last(usize),
    Category(usize),
    Pair(usize),
}

/// Interned names with one bitmap of slots each, and, when the family is tracked in the
/// slots' forward lists, the posting id of each.
#[derive(Debug, Clone, Default)]
struct Family {
    names: Names,
    bits: Vec<RoaringBitmap>,
    postings: Vec<u32>,
}

impl Family {
    fn get(&self, name: &str) -> Option<&RoaringBitmap> {
        self.names.id(name).map(|id| &self.bits[id])
    }

    /// Adds `slot` under `name`; its id.
    fn insert(&mut self, name: &str, slot: u32) -> usize {
        let (id, new) = self.names.intern(name);
        if new {
            self.bits.push(RoaringBitmap::new());
        }
        add(&mut self.bits[id], slot);
        id
    }

    /// Adds `slot` under `name`, registering a posting id for a new name; the posting id.
    fn insert_tracked(
        &mut self,
        name: &str,
        slot: u32,
        postings: &mut Vec<Posting>,
        posting: impl FnOnce(usize) -> Posting,
    ) -> (usize, u32) {
        let id = self.insert(name, slot);
        if self.postings.len() <= id {
            self.postings.push(register(postings, posting(id)));
        }
        (id, self.postings[id])
    }

    /// Takes `slot` out of every bitmap (for small vocabularies that are not tracked).
    fn remove_slot(&mut self, slot: u32) {
        for bits in &mut self.bits {
            bits.remove(slot);
        }
    }

    fn knows(&self, name: &str) -> bool {
        self.get(name).is_some_and(|b| !b.is_empty())
    }

    fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + self.postings.capacity() * size_of::<u32>()
            + self.bits.capacity() * size_of::<RoaringBitmap>()
            + self
                .bits
                .iter()
                .map(RoaringBitmap::serialized_size)
                .sum::<usize>()
    }
}

/// A new posting id for `posting`.
fn register(postings: &mut Vec<Posting>, posting: Posting) -> u32 {
    // Posting ids count distinct names, far below u32::MAX.
    let id = u32::try_from(postings.len()).unwrap_or(u32::MAX);
    postings.push(posting);
    id
}

/// Purchases of one sku with one category (or none).
#[derive(Debug, Clone)]
struct Pair {
    category: Option<usize>,
    /// Latest purchase minute by slot.
    latest: Latest,
    posting: u32,
}

/// The RFM score boundaries of [`activity::rfm`], found by searching it (each score is
/// monotonic in its input), so the index follows the domain rule exactly.
#[derive(Debug, Clone, Copy)]
struct RfmCuts {
    /// R ≥ 3 iff `max(now - last_order, 0) < recent_ms`.
    recent_ms: i64,
    /// F ≥ 3 iff `orders >= frequent` (never when `None`).
    frequent: Option<i64>,
    /// M ≥ 3 iff `spend_fen >= monetary` (never when `None`).
    monetary: Option<i64>,
}

/// The smallest `x` in `lo..=hi` for which `pred` holds, given that it is false then true.
fn first_true(lo: i64, hi: i64, pred: impl Fn(i64) -> bool) -> Option<i64> {
    if !pred(hi) {
        return None;
    }
    let (mut lo, mut hi) = (i128::from(lo), i128::from(hi));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        // `mid` lies between two i64 values.
        let m = i64::try_from(mid).unwrap_or(i64::MAX);
        if pred(m) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    i64::try_from(lo).ok()
}

impl RfmCuts {
    fn search() -> Self {
        const FAR: i64 = 1 << 50;
        let high = |last: i64, orders: i64, fen: i64| {
            activity::rfm(Some(last), orders, fen, 0)
                .map_or((false, false, false), |r| (r.r >= 3, r.f >= 3, r.m >= 3))
        };
        // Ages (ms before now = 0) at which R is no longer high.
        let recent_ms = first_true(0, FAR, |age| !high(-age, 1, 0).0).unwrap_or(i64::MAX);
        let frequent = first_true(1, FAR, |n| high(0, n, 0).1);
        let monetary = first_true(-FAR, FAR, |fen| high(0, 1, fen).2);
        RfmCuts {
            recent_ms,
            frequent,
            monetary,
        }
    }
}

/// An in-memory audience index over the live profiles of one tenant, keyed by `K` (customer
/// ids in practice).
///
/// Each profile gets a dense `u32` slot (freed slots are reused). Every categorical value has
/// a Roaring bitmap of slots; numbers and times have bit-sliced indexes (BSI: a bitmap per
/// bit); the latest purchase time per sku and per category is a sparse sorted column. So
/// [`Index::evaluate`] answers a segment with bitmap algebra and range queries, never visiting
/// all profiles one by one.
///
/// Costs: [`Index::upsert`] of a new key sets a few hundred bits, appending when slots grow;
/// replacing or removing a profile clears exactly the bitmaps its forward list (16 bytes a
/// slot) names, plus every slice of the number and time columns and every bitmap of the small
/// vocabularies (levels, identity kinds, consents). On ten million synthetic profiles
/// (`examples/audience_bench.rs`) the index takes about 1 GiB, a five-predicate segment
/// evaluates in a few milliseconds and replacing a profile takes about 50 µs.
pub struct Index<K> {
    /// Slot numbers, hashed by their keys.
    slots: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Key by slot; a freed slot keeps its old key until reused.
    keys: Vec<K>,
    free: Vec<u32>,
    live: RoaringBitmap,
    /// What each posting id stands for.
    postings: Vec<Posting>,
    records: Records,
    tags: Family,
    provinces: Family,
    /// Cities by province id.
    cities: Vec<Family>,
    first_channel: Family,
    last_channel: Family,
    levels: Family,
    kinds: Family,
    consents: Family,
    following: RoaringBitmap,
    ever_followed: RoaringBitmap,
    /// Minutes.
    followed_at: Bsi,
    /// Milliseconds.
    last_interaction_at: Bsi,
    /// Milliseconds.
    last_order_at: Bsi,
    points: Bsi,
    orders: Bsi,
    spend: Bsi,
    /// Minute of the latest purchase of anything.
    bought_any: Bsi,
    category_names: Names,
    /// Minute of the latest purchase in each category, with its posting id, by category id.
    bought_category: Vec<(Latest, u32)>,
    sku_names: Names,
    /// Purchases of each sku by sku id: indexes into `pairs`.
    sku_pairs: Vec<Vec<usize>>,
    pairs: Vec<Pair>,
    rfm: RfmCuts,
    /// Scratch for posting ids.
    scratch: Vec<u32>,
}

impl<K> std::fmt::Debug for Index<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("len", &self.slots.len())
            .field("slots", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl<K: Clone + Eq + Hash> Default for Index<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// Cost class and size estimate of a sub-expression, for ordering `and`.
type Cost = (u8, u64);

impl<K: Clone + Eq + Hash> Index<K> {
    /// An empty index.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty index with room for `n` profiles before its key table and slot vectors grow.
    pub fn with_capacity(n: usize) -> Self {
        Index {
            slots: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
            keys: Vec::with_capacity(n),
            free: Vec::new(),
            live: RoaringBitmap::new(),
            postings: Vec::new(),
            records: Records::with_capacity(n),
            tags: Family::default(),
            provinces: Family::default(),
            cities: Vec::new(),
            first_channel: Family::default(),
            last_channel: Family::default(),
            levels: Family::default(),
            kinds: Family::default(),
            consents: Family::default(),
            following: RoaringBitmap::new(),
            ever_followed: RoaringBitmap::new(),
            followed_at: Bsi::with_margin(MARGIN_MINUTES),
            last_interaction_at: Bsi::with_margin(MARGIN_MS),
            last_order_at: Bsi::with_margin(MARGIN_MS),
            points: Bsi::with_base(0),
            orders: Bsi::with_base(0),
            spend: Bsi::with_base(0),
            bought_any: Bsi::with_margin(MARGIN_MINUTES),
            category_names: Names::default(),
            bought_category: Vec::new(),
            sku_names: Names::default(),
            sku_pairs: Vec::new(),
            pairs: Vec::new(),
            rfm: RfmCuts::search(),
            scratch: Vec::new(),
        }
    }

    /// Number of live profiles.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no profile is live.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The slot of a live key.
    pub fn slot(&self, key: &K) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        let keys = &self.keys;
        self.slots
            .find(hash, |s| keys.get(*s as usize) == Some(key))
            .copied()
    }

    /// The key in a live slot.
    pub fn key(&self, slot: u32) -> Option<&K> {
        if self.live.contains(slot) {
            self.keys.get(slot as usize)
        } else {
            None
        }
    }

    /// Inserts the profile of `key`, or replaces it (clearing every bit of its slot first);
    /// returns its slot.
    ///
    /// # Panics
    ///
    /// When more than `u32::MAX` slots would be needed.
    pub fn upsert(&mut self, key: K, facts: &Facts) -> u32 {
        let slot = match self.slot(&key) {
            Some(slot) => {
                self.clear(slot);
                slot
            }
            None => {
                let hash = self.hasher.hash_one(&key);
                let slot = match self.free.pop() {
                    Some(slot) => {
                        if let Some(k) = self.keys.get_mut(slot as usize) {
                            *k = key;
                        }
                        slot
                    }
                    None => {
                        let slot = u32::try_from(self.keys.len())
                            .ok()
                            .filter(|s| *s < u32::MAX)
                            .unwrap_or_else(|| panic!("audience index is full"));
                        self.keys.push(key);
                        slot
                    }
                };
                let (keys, hasher) = (&self.keys, &self.hasher);
                self.slots.insert_unique(hash, slot, |s| {
                    keys.get(*s as usize).map_or(0, |k| hasher.hash_one(k))
                });
                slot
            }
        };
        self.set(slot, facts);
        slot
    }

    /// Removes the profile of `key`; whether it was there. Its slot is reused later (the key
    /// value itself stays in the slot, unreachable, until then).
    pub fn remove(&mut self, key: &K) -> bool {
        let hash = self.hasher.hash_one(key);
        let keys = &self.keys;
        let Ok(entry) = self
            .slots
            .find_entry(hash, |s| keys.get(*s as usize) == Some(key))
        else {
            return false;
        };
        let (slot, _) = entry.remove();
        self.clear(slot);
        self.free.push(slot);
        true
    }

    fn set(&mut self, slot: u32, f: &Facts) {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        let postings = &mut self.postings;
        add(&mut self.live, slot);
        for tag in &f.tags {
            ids.push(
                self.tags
                    .insert_tracked(tag, slot, postings, Posting::Tag)
                    .1,
            );
        }
        if let Some(province) = &f.province {
            let (p, posting) =
                self.provinces
                    .insert_tracked(province, slot, postings, Posting::Province);
            ids.push(posting);
            if let Some(city) = &f.city {
                if self.cities.len() <= p {
                    self.cities.resize_with(p + 1, Family::default);
                }
                let city =
                    self.cities[p].insert_tracked(city, slot, postings, |c| Posting::City(p, c));
                ids.push(city.1);
            }
        }
        if let Some(c) = &f.first_channel {
            ids.push(
                self.first_channel
                    .insert_tracked(c, slot, postings, Posting::First)
                    .1,
            );
        }
        if let Some(c) = &f.last_channel {
            ids.push(
                self.last_channel
                    .insert_tracked(c, slot, postings, Posting::Last)
                    .1,
            );
        }
        if f.following {
            add(&mut self.following, slot);
        }
        if f.ever_followed {
            add(&mut self.ever_followed, slot);
        }
        if let Some(at) = f.followed_at {
            self.followed_at.insert(slot, at.div_euclid(MINUTE_MS));
        }
        if let Some(at) = f.last_interaction_at {
            self.last_interaction_at.insert(slot, at);
        }
        if let Some(at) = f.last_order_at {
            self.last_order_at.insert(slot, at);
        }
        if let Some(level) = &f.level {
            self.levels.insert(level, slot);
        }
        self.points.insert(slot, f.points);
        self.orders.insert(slot, f.orders);
        self.spend.insert(slot, f.spend_fen);
        for kind in &f.identity_kinds {
            self.kinds.insert(kind, slot);
        }
        for purpose in &f.consents {
            self.consents.insert(purpose, slot);
        }
        self.set_purchases(slot, f, &mut ids);
        self.records.set(slot, &mut ids);
        self.scratch = ids;
    }

    fn set_purchases(&mut self, slot: u32, f: &Facts, ids: &mut Vec<u32>) {
        let Some(any) = f.purchases.iter().map(|p| p.at.div_euclid(MINUTE_MS)).max() else {
            return;
        };
        self.bought_any.insert(slot, any);
        // Latest minute per category and per (sku, category); purchases are few.
        let mut categories: Vec<(usize, i64)> = Vec::new();
        let mut pairs: Vec<(usize, i64)> = Vec::new();
        for p in &f.purchases {
            let minute = p.at.div_euclid(MINUTE_MS);
            let category = p.category.as_deref().map(|c| self.category(c));
            if let Some(c) = category {
                match categories.iter_mut().find(|(id, _)| *id == c) {
                    Some((_, m)) => *m = (*m).max(minute),
                    None => categories.push((c, minute)),
                }
            }
            if let Some(sku) = p.sku.as_deref() {
                let pair = self.pair(sku, category);
                match pairs.iter_mut().find(|(id, _)| *id == pair) {
                    Some((_, m)) => *m = (*m).max(minute),
                    None => pairs.push((pair, minute)),
                }
            }
        }
        // A pair's posting also stands for its category, so only categories bought without a
        // sku need their own.
        let implied: Vec<usize> = pairs
            .iter()
            .filter_map(|(p, _)| self.pairs.get(*p).and_then(|pair| pair.category))
            .collect();
        for (c, minute) in categories {
            if let Some((latest, posting)) = self.bought_category.get_mut(c) {
                latest.insert(slot, minute);
                if !implied.contains(&c) {
                    ids.push(*posting);
                }
            }
        }
        for (pair, minute) in pairs {
            if let Some(pair) = self.pairs.get_mut(pair) {
                pair.latest.insert(slot, minute);
                ids.push(pair.posting);
            }
        }
    }

    /// The id of a category, registered if new.
    fn category(&mut self, name: &str) -> usize {
        let (id, new) = self.category_names.intern(name);
        if new {
            let posting = register(&mut self.postings, Posting::Category(id));
            self.bought_category.push((Latest::default(), posting));
        }
        id
    }

    /// The index in `pairs` of a sku with a category (or none), registered if new.
    fn pair(&mut self, sku: &str, category: Option<usize>) -> usize {
        let (sku, new) = self.sku_names.intern(sku);
        if new {
            self.sku_pairs.push(Vec::new());
        }
        let Some(of_sku) = self.sku_pairs.get_mut(sku) else {
            return usize::MAX;
        };
        if let Some(p) = of_sku.iter().find(|p| self.pairs[**p].category == category) {
            return *p;
        }
        let p = self.pairs.len();
        of_sku.push(p);
        let posting = register(&mut self.postings, Posting::Pair(p));
        self.pairs.push(Pair {
            category,
            latest: Latest::default(),
            posting,
        });
        p
    }

    /// Clears `slot` from every bitmap and column.
    fn clear(&mut self, slot: u32) {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        self.records.take(slot, &mut ids);
        for id in &ids {
            let Some(posting) = self.postings.get(*id as usize) else {
                continue;
            };
            let bits = match *posting {
                Posting::Tag(i) => self.tags.bits.get_mut(i),
                Posting::Province(i) => self.provinces.bits.get_mut(i),
                Posting::City(p, c) => self.cities.get_mut(p).and_then(|f| f.bits.get_mut(c)),
                Posting::First(i) => self.first_channel.bits.get_mut(i),
                Posting::Last(i) => self.last_channel.bits.get_mut(i),
                Posting::Category(c) => {
                    if let Some((latest, _)) = self.bought_category.get_mut(c) {
                        latest.remove(slot);
                    }
                    None
                }
                Posting::Pair(p) => {
                    if let Some(pair) = self.pairs.get_mut(p) {
                        pair.latest.remove(slot);
                        let category = pair.category.and_then(|c| self.bought_category.get_mut(c));
                        if let Some((latest, _)) = category {
                            latest.remove(slot);
                        }
                    }
                    None
                }
            };
            if let Some(bits) = bits {
                bits.remove(slot);
            }
        }
        self.scratch = ids;
        self.live.remove(slot);
        self.following.remove(slot);
        self.ever_followed.remove(slot);
        self.followed_at.remove(slot);
        self.last_interaction_at.remove(slot);
        self.last_order_at.remove(slot);
        self.levels.remove_slot(slot);
        self.points.remove(slot);
        self.orders.remove(slot);
        self.spend.remove(slot);
        self.kinds.remove_slot(slot);
        self.consents.remove_slot(slot);
        self.bought_any.remove(slot);
    }

    /// The slots of the live profiles in the segment `expr` at `now_ms`; the same answer as
    /// [`crate::matches()`] on each profile (see there, and the crate docs for the time rule).
    ///
    /// # Errors
    ///
    /// [`EvalError::Unresolved`] when the expression mentions `segment(…)` anywhere.
    pub fn evaluate(&self, expr: &Expr, now_ms: i64) -> Result<RoaringBitmap, EvalError> {
        check_resolved(expr)?;
        Ok(self.eval(expr, Scope::All, now_ms))
    }

    /// How many live profiles are in the segment (see [`Index::evaluate`]).
    ///
    /// # Errors
    ///
    /// As [`Index::evaluate`].
    pub fn count(&self, expr: &Expr, now_ms: i64) -> Result<u64, EvalError> {
        self.evaluate(expr, now_ms).map(|bits| bits.len())
    }

    /// The keys of the live slots in `bits`, in slot order.
    pub fn keys(&self, bits: &RoaringBitmap) -> Vec<K> {
        let live = bits & &self.live;
        live.iter()
            .filter_map(|slot| self.keys.get(slot as usize).cloned())
            .collect()
    }

    /// Whether some live profile has this tag. (Names stay interned once seen, but a name
    /// whose every holder has gone is no longer known.)
    pub fn knows_tag(&self, name: &str) -> bool {
        self.tags.knows(name)
    }

    /// Whether some live profile came through this channel (first or last touch).
    pub fn knows_channel(&self, name: &str) -> bool {
        self.first_channel.knows(name) || self.last_channel.knows(name)
    }

    /// Whether some live profile holds a card of this level.
    pub fn knows_level(&self, name: &str) -> bool {
        self.levels.knows(name)
    }

    /// Whether some live profile bought this sku.
    pub fn knows_sku(&self, name: &str) -> bool {
        self.sku_names
            .id(name)
            .and_then(|id| self.sku_pairs.get(id))
            .is_some_and(|pairs| {
                pairs.iter().any(|p| {
                    self.pairs
                        .get(*p)
                        .is_some_and(|pair| !pair.latest.exists().is_empty())
                })
            })
    }

    /// Whether some live profile bought in this category.
    pub fn knows_category(&self, name: &str) -> bool {
        self.category_names
            .id(name)
            .and_then(|id| self.bought_category.get(id))
            .is_some_and(|(latest, _)| !latest.exists().is_empty())
    }

    /// Whether some live profile lives in this province (and city, when given).
    pub fn knows_region(&self, province: &str, city: Option<&str>) -> bool {
        match city {
            None => self.provinces.knows(province),
            Some(city) => self
                .provinces
                .names
                .id(province)
                .and_then(|id| self.cities.get(id))
                .is_some_and(|cities| cities.knows(city)),
        }
    }

    /// The tags live profiles carry, with how many carry each, most common first (then by
    /// name).
    pub fn tags(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .tags
            .names
            .names
            .iter()
            .zip(&self.tags.bits)
            .map(|(name, bits)| (name.clone(), bits.len()))
            .filter(|(_, n)| *n > 0)
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// An estimate of the heap bytes the index holds: bitmaps at their serialized size, plus
    /// vectors and hash tables at capacity (keys counted by `size_of::<K>()`, not what they
    /// own). The sum of [`Index::memory_by_part`].
    pub fn memory_bytes(&self) -> usize {
        self.memory_by_part().iter().map(|(_, n)| n).sum()
    }

    /// [`Index::memory_bytes`] by part: keys and slots, categorical bitmaps, number and time
    /// columns, purchases.
    pub fn memory_by_part(&self) -> Vec<(&'static str, usize)> {
        let families = [
            &self.tags,
            &self.provinces,
            &self.first_channel,
            &self.last_channel,
            &self.levels,
            &self.kinds,
            &self.consents,
        ];
        let columns = [
            &self.followed_at,
            &self.last_interaction_at,
            &self.last_order_at,
            &self.points,
            &self.orders,
            &self.spend,
        ];
        // hashbrown keeps capacity at 7/8 of its buckets, each a slot and a control byte.
        let table = self.slots.capacity() * 8 / 7 * (size_of::<u32>() + 1);
        let keys =
            table + self.keys.capacity() * size_of::<K>() + self.free.capacity() * size_of::<u32>();
        let categorical = self.live.serialized_size()
            + self.following.serialized_size()
            + self.ever_followed.serialized_size()
            + families.iter().map(|f| f.heap_bytes()).sum::<usize>()
            + self.cities.capacity() * size_of::<Family>()
            + self.cities.iter().map(Family::heap_bytes).sum::<usize>();
        let (inline, spilled) = self.records.heap_bytes();
        let forward = inline + self.postings.capacity() * size_of::<Posting>();
        let numeric = columns.iter().map(|b| b.heap_bytes()).sum::<usize>();
        let by_category = self.bought_any.heap_bytes()
            + self.category_names.heap_bytes()
            + self.bought_category.capacity() * size_of::<(Latest, u32)>()
            + self
                .bought_category
                .iter()
                .map(|(l, _)| l.heap_bytes())
                .sum::<usize>();
        let by_sku = self.sku_names.heap_bytes()
            + self.sku_pairs.capacity() * size_of::<Vec<usize>>()
            + self
                .sku_pairs
                .iter()
                .map(|p| p.capacity() * size_of::<usize>())
                .sum::<usize>()
            + self.pairs.capacity() * size_of::<Pair>()
            + self
                .pairs
                .iter()
                .map(|p| p.latest.heap_bytes())
                .sum::<usize>();
        vec![
            ("keys and slots", keys),
            ("forward lists", forward),
            ("forward lists, spilled", spilled),
            ("categorical bitmaps", categorical),
            ("number and time columns", numeric),
            ("purchases: any and by category", by_category),
            ("purchases: by sku", by_sku),
        ]
    }

    /// Every live slot within the scope.
    fn universe(&self, scope: Scope<'_>) -> RoaringBitmap {
        match scope {
            Scope::All => self.live.clone(),
            Scope::In(s) => s.clone(),
        }
    }

    fn eval(&self, expr: &Expr, scope: Scope<'_>, now: i64) -> RoaringBitmap {
        match expr {
            Expr::Pred(p) => self.pred(p, scope, now),
            Expr::Not(inner) => {
                let hit = self.eval(inner, scope, now);
                let mut out = self.universe(scope);
                out -= &hit;
                out
            }
            Expr::And(children) => {
                // Cheap and selective first; later children only look within what is left.
                let mut order: Vec<&Expr> = children.iter().collect();
                order.sort_by_cached_key(|e| self.cost(e));
                let mut acc: Option<RoaringBitmap> = None;
                for child in order {
                    let within = acc.as_ref().map_or(scope, Scope::In);
                    let hit = self.eval(child, within, now);
                    let done = hit.is_empty();
                    acc = Some(hit);
                    if done {
                        break;
                    }
                }
                acc.unwrap_or_else(|| self.universe(scope))
            }
            Expr::Or(children) => {
                let mut out = RoaringBitmap::new();
                for child in children {
                    out |= self.eval(child, scope, now);
                }
                out
            }
        }
    }

    /// Orders `and` children: bitmap look-ups (smallest first), then negations and unions,
    /// then range queries, then composites.
    fn cost(&self, expr: &Expr) -> Cost {
        let card = |b: Option<&RoaringBitmap>| b.map_or(0, RoaringBitmap::len);
        match expr {
            Expr::Pred(p) => match p {
                Pred::Tag(n) => (0, card(self.tags.get(n))),
                Pred::Region { province, city } => match city {
                    None => (0, card(self.provinces.get(province))),
                    Some(c) => (0, card(self.city(province, c))),
                },
                Pred::Channel { name, touch } => match touch {
                    Touch::First => (0, card(self.first_channel.get(name))),
                    Touch::Last => (0, card(self.last_channel.get(name))),
                    Touch::Any => (
                        1,
                        card(self.first_channel.get(name)) + card(self.last_channel.get(name)),
                    ),
                },
                Pred::Level(n) => (0, card(self.levels.get(n))),
                Pred::Has(n) => (0, card(self.kinds.get(n))),
                Pred::Consent(n) => (0, card(self.consents.get(n))),
                Pred::Following => (0, self.following.len()),
                Pred::Bought { window: None, .. } => (1, 0),
                Pred::Followed(_)
                | Pred::Active(_)
                | Pred::Points(_)
                | Pred::Orders(_)
                | Pred::Spend(_)
                | Pred::Bought { .. } => (2, 0),
                Pred::Activity(_) | Pred::Rfm(_) => (3, 0),
                Pred::Segment(_) => (0, 0),
            },
            Expr::Not(inner) => {
                let (class, n) = self.cost(inner);
                (class.max(1), self.live.len().saturating_sub(n))
            }
            Expr::And(children) => children
                .iter()
                .map(|c| self.cost(c))
                .fold((0, u64::MAX), |(c, n), (c2, n2)| (c.max(c2), n.min(n2))),
            Expr::Or(children) => children
                .iter()
                .map(|c| self.cost(c))
                .fold((1, 0), |(c, n), (c2, n2)| (c.max(c2), n.saturating_add(n2))),
        }
    }

    fn city(&self, province: &str, city: &str) -> Option<&RoaringBitmap> {
        let id = self.provinces.names.id(province)?;
        self.cities.get(id)?.get(city)
    }

    fn look(bits: Option<&RoaringBitmap>, scope: Scope<'_>) -> RoaringBitmap {
        bits.map_or_else(RoaringBitmap::new, |b| scope.restrict(b))
    }

    fn pred(&self, pred: &Pred, scope: Scope<'_>, now: i64) -> RoaringBitmap {
        match pred {
            Pred::Tag(name) => Self::look(self.tags.get(name), scope),
            Pred::Region { province, city } => match city {
                None => Self::look(self.provinces.get(province), scope),
                Some(c) => Self::look(self.city(province, c), scope),
            },
            Pred::Channel { name, touch } => match touch {
                Touch::First => Self::look(self.first_channel.get(name), scope),
                Touch::Last => Self::look(self.last_channel.get(name), scope),
                Touch::Any => {
                    let mut out = Self::look(self.first_channel.get(name), scope);
                    out |= Self::look(self.last_channel.get(name), scope);
                    out
                }
            },
            Pred::Following => scope.restrict(&self.following),
            Pred::Followed(w) => self.followed_at.ge(scope, window_start_minute(*w, now)),
            Pred::Active(w) => self.last_interaction_at.ge(scope, window_start_ms(*w, now)),
            Pred::Activity(state) => self.activity(*state, scope, now),
            Pred::Rfm(cell) => self.rfm(*cell, scope, now),
            Pred::Level(name) => Self::look(self.levels.get(name), scope),
            Pred::Points(r) => self.points.range(scope, r.min, r.max),
            Pred::Orders(r) => self.orders.range(scope, r.min, r.max),
            Pred::Spend(r) => self.spend.range(scope, r.min, r.max),
            Pred::Bought {
                sku,
                category,
                window,
            } => self.bought(sku.as_deref(), category.as_deref(), *window, scope, now),
            Pred::Has(kind) => Self::look(self.kinds.get(kind), scope),
            Pred::Consent(purpose) => Self::look(self.consents.get(purpose), scope),
            // Rejected by `check_resolved` before evaluation.
            Pred::Segment(_) => RoaringBitmap::new(),
        }
    }

    /// [`activity::activity`] as set algebra: its state depends on following, ever followed and
    /// whether the last interaction is at least `now - 7d` or `now - 30d` (to the ms).
    fn activity(&self, state: ActivityState, scope: Scope<'_>, now: i64) -> RoaringBitmap {
        let li = &self.last_interaction_at;
        let since = |ms: i64| now.saturating_sub(ms);
        match state {
            ActivityState::Active => {
                let fans = scope.restrict(&self.following);
                li.ge(Scope::In(&fans), since(ACTIVE_MS))
            }
            ActivityState::Dormant => {
                let fans = scope.restrict(&self.following);
                let month = li.ge(Scope::In(&fans), since(DORMANT_MS));
                let week = li.ge(Scope::In(&month), since(ACTIVE_MS));
                month - week
            }
            ActivityState::Lost => {
                let fans = scope.restrict(&self.following);
                let month = li.ge(Scope::In(&fans), since(DORMANT_MS));
                fans - month
            }
            ActivityState::Unfollowed => scope.restrict(&self.ever_followed) - &self.following,
            ActivityState::NotAFan => {
                let mut out = self.universe(scope);
                out -= &self.following;
                out -= &self.ever_followed;
                out
            }
        }
    }

    /// [`activity::rfm`] as set algebra: buyers (a last order and at least one order) split by
    /// frequency, monetary and recency boundaries (cheapest column first, the 38-slice time
    /// column last, on what is left).
    fn rfm(&self, cell: RfmCell, scope: Scope<'_>, now: i64) -> RoaringBitmap {
        let (want_r, want_f, want_m) = cell.highs();
        let cuts = self.rfm;
        let with_order = self.last_order_at.scoped(scope);
        let buyers = self.orders.ge(Scope::In(&with_order), 1);
        let frequent = cuts.frequent.map_or_else(RoaringBitmap::new, |n| {
            self.orders.ge(Scope::In(&buyers), n)
        });
        let set = pick(buyers, frequent, want_f);
        let monetary = cuts.monetary.map_or_else(RoaringBitmap::new, |fen| {
            self.spend.ge(Scope::In(&set), fen)
        });
        let set = pick(set, monetary, want_m);
        // R high iff now - last < recent_ms, i.e. last >= now - recent_ms + 1.
        let recent = if cuts.recent_ms <= 0 {
            RoaringBitmap::new()
        } else {
            let min = i128::from(now) - i128::from(cuts.recent_ms) + 1;
            let min = i64::try_from(min.max(i128::from(i64::MIN))).unwrap_or(i64::MIN);
            self.last_order_at.ge(Scope::In(&set), min)
        };
        pick(set, recent, want_r)
    }

    fn bought(
        &self,
        sku: Option<&str>,
        category: Option<&str>,
        window: Option<Window>,
        scope: Scope<'_>,
        now: i64,
    ) -> RoaringBitmap {
        let start = window.map(|w| window_start_minute(w, now));
        let one = |latest: &Latest| match start {
            Some(minute) => latest.ge(scope, minute),
            None => latest.scoped(scope),
        };
        let category_id = category.map(|c| self.category_names.id(c));
        match (sku, category_id) {
            (_, Some(None)) => RoaringBitmap::new(),
            (None, None) => match start {
                Some(minute) => self.bought_any.ge(scope, minute),
                None => self.bought_any.scoped(scope),
            },
            (None, Some(Some(c))) => self
                .bought_category
                .get(c)
                .map_or_else(RoaringBitmap::new, |(latest, _)| one(latest)),
            (Some(sku), category) => {
                let pairs = self
                    .sku_names
                    .id(sku)
                    .and_then(|id| self.sku_pairs.get(id))
                    .map_or(&[][..], Vec::as_slice);
                let mut out = RoaringBitmap::new();
                for pair in pairs.iter().filter_map(|p| self.pairs.get(*p)) {
                    if category.is_none_or(|want| want == pair.category) {
                        out |= one(&pair.latest);
                    }
                }
                out
            }
        }
    }
}

/// `hit` (a subset of `set`) when `want`, else the rest of `set`.
fn pick(set: RoaringBitmap, hit: RoaringBitmap, want: bool) -> RoaringBitmap {
    if want {
        hit
    } else {
        set - hit
    }
}

/// The first millisecond of the window's first minute (see [`crate::within`]).
fn window_start_ms(window: Window, now: i64) -> i64 {
    let ms = i128::from(window_start_minute(window, now)) * i128::from(MINUTE_MS);
    i64::try_from(ms.max(i128::from(i64::MIN))).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{matches, Purchase};
    use siyu_domain::segment::Range;

    const NOW: i64 = 1_700_000_023_456;
    const DAY: i64 = 86_400_000;

    fn p(pred: Pred) -> Expr {
        Expr::Pred(pred)
    }

    fn tag(name: &str) -> Expr {
        p(Pred::Tag(name.into()))
    }

    fn sample() -> Facts {
        Facts {
            tags: vec!["咖啡控".into(), "甜品".into()],
            province: Some("安徽".into()),
            city: Some("合肥".into()),
            first_channel: Some("poster-2".into()),
            last_channel: Some("table-1".into()),
            following: true,
            ever_followed: true,
            followed_at: Some(NOW - 40 * DAY),
            last_interaction_at: Some(NOW - DAY),
            level: Some("金卡".into()),
            points: -20,
            orders: 4,
            spend_fen: 80_000,
            last_order_at: Some(NOW - 3 * DAY),
            purchases: vec![
                Purchase {
                    sku: Some("LATTE-L".into()),
                    category: Some("咖啡".into()),
                    at: NOW - 3 * DAY,
                },
                Purchase {
                    sku: Some("CAKE".into()),
                    category: Some("甜品".into()),
                    at: NOW - 100 * DAY,
                },
            ],
            identity_kinds: vec!["openid".into(), "phone".into()],
            consents: vec!["marketing".into()],
        }
    }

    fn every_pred() -> Vec<Expr> {
        let w = |hours| Window { hours };
        vec![
            tag("咖啡控"),
            tag("甜品"),
            p(Pred::Region {
                province: "安徽".into(),
                city: None,
            }),
            p(Pred::Region {
                province: "安徽".into(),
                city: Some("合肥".into()),
            }),
            p(Pred::Channel {
                name: "poster-2".into(),
                touch: Touch::First,
            }),
            p(Pred::Channel {
                name: "table-1".into(),
                touch: Touch::Last,
            }),
            p(Pred::Channel {
                name: "table-1".into(),
                touch: Touch::Any,
            }),
            p(Pred::Following),
            p(Pred::Followed(w(24 * 60))),
            p(Pred::Active(w(48))),
            p(Pred::Activity(ActivityState::Active)),
            p(Pred::Rfm(RfmCell::ImportantValue)),
            p(Pred::Level("金卡".into())),
            p(Pred::Points(Range {
                min: Some(-20),
                max: None,
            })),
            p(Pred::Orders(Range {
                min: Some(4),
                max: Some(4),
            })),
            p(Pred::Spend(Range {
                min: None,
                max: Some(80_000),
            })),
            p(Pred::Bought {
                sku: Some("LATTE-L".into()),
                category: Some("咖啡".into()),
                window: Some(w(24 * 7)),
            }),
            p(Pred::Bought {
                sku: None,
                category: Some("甜品".into()),
                window: None,
            }),
            p(Pred::Bought {
                sku: None,
                category: None,
                window: Some(w(24 * 4)),
            }),
            p(Pred::Has("phone".into())),
            p(Pred::Consent("marketing".into())),
        ]
    }

    #[test]
    fn every_predicate_hits_the_sample() {
        let mut index = Index::new();
        index.upsert(1u64, &sample());
        for e in every_pred() {
            assert_eq!(matches(&sample(), &e, NOW), Ok(true), "{e:?}");
            assert_eq!(index.count(&e, NOW), Ok(1), "{e:?}");
        }
    }

    #[test]
    fn removal_clears_every_bitmap() {
        let mut index = Index::new();
        index.upsert(1u64, &sample());
        index.upsert(2u64, &sample());
        assert_eq!(index.count(&tag("咖啡控"), NOW), Ok(2));
        assert!(index.remove(&1));
        assert!(!index.remove(&1));
        assert_eq!(index.len(), 1);
        assert_eq!(index.count(&tag("咖啡控"), NOW), Ok(1));
        assert!(index.remove(&2));
        assert!(index.is_empty());
        for e in every_pred() {
            assert_eq!(index.count(&e, NOW), Ok(0), "{e:?}");
        }
        // Nothing is left anywhere, not even below the predicates.
        assert!(index.live.is_empty());
        let families = [
            &index.tags,
            &index.provinces,
            &index.first_channel,
            &index.last_channel,
            &index.levels,
            &index.kinds,
            &index.consents,
        ];
        assert!(families.iter().all(|f| f.bits.iter().all(|b| b.is_empty())));
        assert!(index
            .cities
            .iter()
            .all(|f| f.bits.iter().all(|b| b.is_empty())));
        assert!(index.following.is_empty() && index.ever_followed.is_empty());
        let bsis = [
            &index.followed_at,
            &index.last_interaction_at,
            &index.last_order_at,
            &index.points,
            &index.orders,
            &index.spend,
            &index.bought_any,
        ];
        assert!(bsis.iter().all(|b| b.is_blank()));
        assert!(index.bought_category.iter().all(|(l, _)| l.is_blank()));
        assert!(index.pairs.iter().all(|p| p.latest.is_blank()));
        assert_eq!(index.records.spilled(), 0);
        assert!(!index.knows_tag("咖啡控"));
        assert!(!index.knows_sku("LATTE-L"));
        assert!(index.tags().is_empty());
        // The freed slot is reused.
        assert_eq!(index.upsert(3u64, &Facts::default()), 1);
    }

    #[test]
    fn upsert_replaces() {
        let mut index = Index::new();
        let slot = index.upsert("a".to_string(), &sample());
        let other = Facts {
            tags: vec!["新客".into()],
            province: Some("广东".into()),
            city: Some("深圳".into()),
            points: 7,
            ..Facts::default()
        };
        assert_eq!(index.upsert("a".to_string(), &other), slot);
        assert_eq!(index.len(), 1);
        assert_eq!(index.count(&tag("咖啡控"), NOW), Ok(0));
        assert_eq!(index.count(&tag("新客"), NOW), Ok(1));
        assert!(index.knows_region("广东", Some("深圳")));
        assert!(!index.knows_region("安徽", None));
        assert!(!index.knows_level("金卡"));
        assert_eq!(index.tags(), vec![("新客".to_string(), 1)]);
        let points = p(Pred::Points(Range {
            min: Some(7),
            max: Some(7),
        }));
        assert_eq!(index.count(&points, NOW), Ok(1));
        for e in every_pred() {
            assert_eq!(
                index.count(&e, NOW).map(|n| n == 1),
                matches(&other, &e, NOW),
                "{e:?}"
            );
        }
    }

    #[test]
    fn not_covers_live_slots_only() {
        let mut index = Index::new();
        for k in 0..10u32 {
            index.upsert(k, &Facts::default());
        }
        for k in 0..5u32 {
            index.remove(&k);
        }
        let none = Expr::Not(Box::new(tag("咖啡控")));
        let bits = index.evaluate(&none, NOW).unwrap();
        assert_eq!(bits.len(), 5);
        let mut keys = index.keys(&bits);
        keys.sort_unstable();
        assert_eq!(keys, vec![5, 6, 7, 8, 9]);
        let both = Expr::And(vec![none.clone(), Expr::Not(Box::new(none))]);
        assert_eq!(index.count(&both, NOW), Ok(0));
        assert_eq!(index.count(&Expr::And(vec![]), NOW), Ok(5));
        assert_eq!(index.count(&Expr::Or(vec![]), NOW), Ok(0));
        let lost = p(Pred::Activity(ActivityState::NotAFan));
        assert_eq!(index.count(&lost, NOW), Ok(5));
    }

    #[test]
    fn segments_must_be_inlined() {
        let mut index = Index::new();
        index.upsert(1u8, &sample());
        let e = Expr::Or(vec![tag("咖啡控"), p(Pred::Segment("高价值".into()))]);
        let err = EvalError::Unresolved("高价值".into());
        assert_eq!(index.evaluate(&e, NOW), Err(err.clone()));
        assert_eq!(index.count(&e, NOW), Err(err.clone()));
        assert_eq!(matches(&sample(), &e, NOW), Err(err));
    }

    #[test]
    fn rfm_cuts_match_the_domain() {
        let cuts = RfmCuts::search();
        assert_eq!(cuts.recent_ms, 181 * DAY);
        assert_eq!(cuts.frequent, Some(3));
        assert_eq!(cuts.monetary, Some(50_000));
    }

    #[test]
    fn name_checks() {
        let mut index = Index::new();
        index.upsert(1u64, &sample());
        assert!(index.knows_tag("咖啡控") && !index.knows_tag("茶"));
        assert!(index.knows_channel("poster-2") && index.knows_channel("table-1"));
        assert!(!index.knows_channel("poster-3"));
        assert!(index.knows_level("金卡") && !index.knows_level("钻石"));
        assert!(index.knows_sku("LATTE-L") && !index.knows_sku("MOCHA"));
        assert!(index.knows_category("咖啡") && !index.knows_category("茶饮"));
        assert!(
            index.knows_region("安徽", Some("合肥")) && !index.knows_region("安徽", Some("芜湖"))
        );
        assert_eq!(index.slot(&1), Some(0));
        assert_eq!(index.key(0), Some(&1));
        assert!(index.memory_bytes() > 0);
    }
}
