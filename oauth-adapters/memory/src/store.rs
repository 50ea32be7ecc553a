//! [`MemoryStore`]: every store trait of the core, in memory, for concurrent use.

use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, TryLockError};

use oauth_core::{
    AccessTokenRecord, Client, ClientRegistry, CodeRecord, CodeStore, GrantId, RefreshStore, RefreshTokenRecord,
    StoreError, TokenDigest, TokenState, TokenStore, UnixTime, User, UserDirectory, UserField, UserLookup, Write,
};

/// How many expiry-queue entries every mutating call (take, persist, revoke) examines at most
/// while purging: 4. A persist examines at most `max(4, 2 × records written)`. Every call adds at
/// most as many queue entries as it writes records (at most 2 for the core's machines), so the
/// purge outpaces the inserts and the backlog of expired entries cannot grow.
pub const PURGE_PER_CALL: usize = 4;

/// The shortest time a revoked grant's tombstone is kept, in seconds: 600. A tombstone lives
/// until the grant's newest credential would have expired, and at least this long, so that a
/// request that took a code or refresh token just before the revocation, and persists just
/// after it, still has its credentials discarded even when the grant had no other live
/// credential.
pub const MIN_TOMBSTONE_SECS: u64 = 600;

/// An in-memory implementation of every store trait of [`oauth_core`], shared between threads
/// behind an `Arc` (`MemoryStore` is `Send + Sync`).
///
/// # Data
/// - Clients by `client_id`, as `Arc<Client>`.
/// - One map from [`TokenDigest`] to credential (authorization code, access token or refresh
///   token), each with its record and, for codes and refresh tokens, a *used* flag. A taken code
///   and a rotated refresh token stay, as used, until their `expires_at`, so a replay is seen.
/// - An index from grant to the digests of its credentials, for [`TokenStore::revoke_grant`].
/// - Tombstones of revoked grants, each kept until the grant's newest credential would have
///   expired (at least [`MIN_TOMBSTONE_SECS`]); a later persist for the grant is discarded
///   (answered `Ok`, nothing written), so its credentials are born revoked.
/// - Expiry queues: min-heaps of (expiry, digest) and (expiry, revoked grant).
///
/// # Expiry and purge
/// A record is treated as absent from the second its `expires_at` is reached, whether or not it
/// has been purged. Every mutating call pops at most [`PURGE_PER_CALL`] due entries off the
/// expiry queues and removes the matching record when its stored expiry still equals the queued
/// one (entries already removed by a revocation are simply dropped). Under any steady load memory
/// therefore stays proportional to the credentials still alive, and no call ever sweeps the whole
/// store. [`MemoryStore::purge_expired`] runs the same purge with a caller-chosen budget, for a
/// periodic task on an otherwise idle server.
///
/// Rotated refresh tokens stay (as used) until the grant's absolute refresh expiry, as reuse
/// detection requires, so a grant refreshed often holds one small record per rotation until then.
///
/// # Locks
/// Two locks, each held only for the duration of one method call (a few map operations plus a
/// bounded purge), never across a flow:
/// - `clients`: an `RwLock` over the client map;
/// - `state`: a `Mutex` over credentials, grant index, tombstones and expiry queue. One lock for
///   all of them makes take, persist and revoke trivially atomic with respect to each other.
///
/// Lock order: no method holds both locks; a future method that needs both must take `clients`
/// before `state`.
///
/// # Poisoned locks
/// - `state` fails closed: if a thread panicked while holding it, a multi-record update (a
///   persist, a revocation) may be half done, so every later call answers
///   [`StoreError::Failed`] (the core answers `server_error` and issues nothing) rather than risk
///   handing out a code twice or keeping a revoked grant alive. The counters read through the
///   poison, as they change nothing.
/// - `clients` recovers the map (`PoisonError::into_inner`): each critical section is a single
///   map operation, so a panic cannot leave it half updated.
///
/// # Debug
/// `Debug` prints counts only, never a digest, record or client secret digest.
pub struct MemoryStore {
    clients: RwLock<HashMap<String, Arc<Client>>>,
    users: RwLock<Users>,
    state: Mutex<State>,
}

/// The user directory: users by `userId`, and the `userId` of each subject.
#[derive(Default)]
struct Users {
    by_id: HashMap<String, User>,
    by_subject: HashMap<Arc<str>, String>,
}

/// What a digest refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Code = 0,
    Access = 1,
    Refresh = 2,
}

enum Record {
    Code(CodeRecord),
    Access(AccessTokenRecord),
    Refresh(RefreshTokenRecord),
}

impl Record {
    const fn kind(&self) -> Kind {
        match self {
            Self::Code(_) => Kind::Code,
            Self::Access(_) => Kind::Access,
            Self::Refresh(_) => Kind::Refresh,
        }
    }

    const fn grant_id(&self) -> &GrantId {
        match self {
            Self::Code(r) => &r.grant_id,
            Self::Access(r) => &r.grant_id,
            Self::Refresh(r) => &r.grant_id,
        }
    }

    const fn expires_at(&self) -> UnixTime {
        match self {
            Self::Code(r) => r.expires_at,
            Self::Access(r) => r.expires_at,
            Self::Refresh(r) => r.expires_at,
        }
    }

    fn client_id(&self) -> &str {
        match self {
            Self::Code(r) => &r.client_id,
            Self::Access(r) => &r.client_id,
            Self::Refresh(r) => &r.client_id,
        }
    }
}

struct Slot {
    record: Record,
    /// Taken (code) or rotated (refresh token); unused for access tokens.
    used: bool,
}

/// A fast, unkeyed hasher for the credential and grant maps (FxHash-style: one multiply per
/// 8 bytes). Safe here because every key that is *inserted* was generated by the server: token
/// digests are SHA-256 of 256-bit random tokens and grant ids are random, so nobody can fill a
/// bucket with colliding keys. Lookups of attacker-chosen digests only probe; they cannot
/// lengthen a probe sequence. Saves a SipHash per map operation (about 20 ns each).
#[derive(Default, Clone, Copy)]
struct FoldHasher(u64);

impl FoldHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    const fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weakest; hashbrown indexes buckets with them.
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;

/// The grant index key: a 64-bit hash of the grant id, so the index neither clones nor hashes
/// grant id strings on every write. Two grants may share a key; every use checks the record's
/// own grant id before acting on it.
pub(crate) fn grant_key(grant: &GrantId) -> u64 {
    let mut h = FoldHasher::default();
    h.write(grant.as_bytes());
    h.finish() & GRANT_KEY_MASK
}

/// Tests keep only 3 bits of the grant key, so that grants share index entries all the time and
/// the collision paths are exercised by every test.
#[cfg(test)]
const GRANT_KEY_MASK: u64 = 0x7;
#[cfg(not(test))]
const GRANT_KEY_MASK: u64 = u64::MAX;

/// The credentials of one grant (or of several grants whose [`grant_key`]s collide) still in the
/// map, live or used. Never empty: the entry is removed with its last credential. The first
/// digest is inline, so a grant with a single credential costs no allocation.
struct GrantEntry {
    first: TokenDigest,
    rest: Vec<TokenDigest>,
    /// The latest `expires_at` of any credential added here.
    newest: UnixTime,
}

#[cfg(test)]
impl GrantEntry {
    fn members(&self) -> impl Iterator<Item = &TokenDigest> {
        std::iter::once(&self.first).chain(&self.rest)
    }

    fn len(&self) -> usize {
        1 + self.rest.len()
    }
}

/// An expiry-queue entry, ordered by expiry only (ties in any order), earliest first: comparing
/// the payload as well would cost a 32-byte compare whenever two expiries are equal, which under
/// steady load is most of the time.
struct Queued<T> {
    at: UnixTime,
    what: T,
}

impl<T> PartialEq for Queued<T> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl<T> Eq for Queued<T> {}

impl<T> PartialOrd for Queued<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Queued<T> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest expiry first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.at.cmp(&self.at)
    }
}

#[derive(Default)]
struct State {
    credentials: FastMap<TokenDigest, Slot>,
    /// Number of codes, access tokens and refresh tokens in `credentials`, by [`Kind`].
    counts: [usize; 3],
    grants: FastMap<u64, GrantEntry>,
    /// Revoked grants and when their tombstone may be forgotten.
    revoked: FastMap<GrantId, UnixTime>,
    /// Expiry queue of credentials: (expires_at, digest), earliest first.
    queue: BinaryHeap<Queued<TokenDigest>>,
    /// Expiry queue of tombstones: (forget_at, grant), earliest first.
    tombstone_queue: BinaryHeap<Queued<GrantId>>,
}

/// The digest and record a write stores, or `None` for a kind of write this store does not know.
fn record_of(write: Write) -> Option<(TokenDigest, Record)> {
    match write {
        Write::Code { key, record } => Some((key, Record::Code(record))),
        Write::AccessToken { key, record } => Some((key, Record::Access(record))),
        Write::RefreshToken { key, record } => Some((key, Record::Refresh(record))),
        _ => None,
    }
}

fn key_of(write: &Write) -> Option<&TokenDigest> {
    match write {
        Write::Code { key, .. } | Write::AccessToken { key, .. } | Write::RefreshToken { key, .. } => Some(key),
        _ => None,
    }
}

impl State {
    fn insert(&mut self, key: TokenDigest, record: Record) {
        let at = record.expires_at();
        match self.grants.entry(grant_key(record.grant_id())) {
            Entry::Occupied(mut g) => {
                let g = g.get_mut();
                g.rest.push(key);
                g.newest = g.newest.max(at);
            }
            Entry::Vacant(v) => {
                v.insert(GrantEntry { first: key, rest: Vec::new(), newest: at });
            }
        }
        self.counts[record.kind() as usize] += 1;
        self.queue.push(Queued { at, what: key });
        self.credentials.insert(key, Slot { record, used: false });
    }

    /// Removes the credential `key` from its grant's index entry.
    fn unlink(&mut self, grant: &GrantId, key: &TokenDigest) {
        let Entry::Occupied(mut entry) = self.grants.entry(grant_key(grant)) else { return };
        let g = entry.get_mut();
        if g.first == *key {
            match g.rest.pop() {
                Some(next) => g.first = next,
                None => {
                    entry.remove();
                }
            }
        } else if let Some(i) = g.rest.iter().position(|m| m == key) {
            g.rest.swap_remove(i);
        }
    }

    /// Pops at most `budget` due entries off the expiry queues, earliest first; returns how many
    /// records and tombstones were removed.
    fn purge(&mut self, now: UnixTime, budget: usize) -> usize {
        let mut removed = 0;
        for _ in 0..budget {
            let credential = self.queue.peek().map(|q| q.at).filter(|at| at.is_expired_at(now));
            let tombstone = self.tombstone_queue.peek().map(|q| q.at).filter(|at| at.is_expired_at(now));
            let done = match (credential, tombstone) {
                (None, None) => break,
                (Some(c), Some(t)) if t < c => self.pop_tombstone(),
                (Some(_), _) => self.pop_credential(),
                (None, Some(_)) => self.pop_tombstone(),
            };
            if done {
                removed += 1;
            }
        }
        removed
    }

    /// Removes the credential the first queue entry names, if it is still there with the same
    /// expiry (it is gone when its grant was revoked).
    fn pop_credential(&mut self) -> bool {
        let Some(Queued { at, what: key }) = self.queue.pop() else { return false };
        let Entry::Occupied(slot) = self.credentials.entry(key) else { return false };
        if slot.get().record.expires_at() != at {
            return false;
        }
        let record = slot.remove().record;
        self.counts[record.kind() as usize] -= 1;
        self.unlink(record.grant_id(), &key);
        true
    }

    /// Removes the tombstone the first tombstone-queue entry names, if its expiry still matches
    /// (a second revocation may have extended it).
    fn pop_tombstone(&mut self) -> bool {
        let Some(Queued { at, what: grant }) = self.tombstone_queue.pop() else { return false };
        let Entry::Occupied(t) = self.revoked.entry(grant) else { return false };
        if *t.get() != at {
            return false;
        }
        t.remove();
        true
    }

    fn revoke(&mut self, grant_id: &GrantId, now: UnixTime) {
        let mut until = now.plus(MIN_TOMBSTONE_SECS);
        let gk = grant_key(grant_id);
        if let Some(g) = self.grants.remove(&gk) {
            until = until.max(g.newest);
            // Credentials of another grant with the same index key stay, and are re-indexed.
            let mut kept = Vec::new();
            for key in std::iter::once(g.first).chain(g.rest) {
                let Entry::Occupied(slot) = self.credentials.entry(key) else { continue };
                if slot.get().record.grant_id() == grant_id {
                    let record = slot.remove().record;
                    self.counts[record.kind() as usize] -= 1;
                } else {
                    kept.push(key);
                }
            }
            if let Some((first, rest)) = kept.split_first() {
                let entry = GrantEntry { first: *first, rest: rest.to_vec(), newest: g.newest };
                self.grants.insert(gk, entry);
            }
        }
        let extended = match self.revoked.get_mut(grant_id) {
            Some(t) if *t >= until => false,
            Some(t) => {
                *t = until;
                true
            }
            None => {
                self.revoked.insert(*grant_id, until);
                true
            }
        };
        if extended {
            self.tombstone_queue.push(Queued { at: until, what: *grant_id });
        }
    }

    fn persist(&mut self, writes: Vec<Write>) -> Result<(), StoreError> {
        // Check everything before writing anything: all or nothing.
        if !self.revoked.is_empty() && writes.iter().any(|w| self.revoked.contains_key(w.grant_id())) {
            // The grant was revoked after its code or refresh token was taken (a concurrent
            // replay). Its credentials would be born revoked, so they are discarded: the request
            // that won the take still gets its response, and nothing it holds works.
            return Ok(());
        }
        for (i, w) in writes.iter().enumerate() {
            // An unknown kind of write, or a digest already stored or written twice (two equal
            // 256-bit tokens: a broken entropy source), is refused rather than overwriting a
            // record, which could make a used code active again.
            let Some(key) = key_of(w) else { return Err(StoreError::Failed) };
            if self.credentials.contains_key(key) || writes[..i].iter().any(|p| key_of(p) == Some(key)) {
                return Err(StoreError::Failed);
            }
        }
        for w in writes {
            // Every write passed `key_of` above, so `record_of` yields a record for each.
            if let Some((key, record)) = record_of(w) {
                self.insert(key, record);
            }
        }
        Ok(())
    }

    /// Takes (marks used) the credential `key`: `Missing` when absent, expired, or not of the
    /// kind `read` accepts (it returns `None` for other kinds); else the copy `read` makes, as
    /// `Used` when it was taken before and `Active` for the one caller that takes it now.
    fn take<T>(&mut self, key: &TokenDigest, now: UnixTime, read: impl FnOnce(&Record) -> Option<T>) -> TokenState<T> {
        let Some(slot) = self.credentials.get_mut(key) else { return TokenState::Missing };
        if slot.record.expires_at().is_expired_at(now) {
            return TokenState::Missing;
        }
        let Some(copy) = read(&slot.record) else { return TokenState::Missing };
        if slot.used {
            TokenState::Used(copy)
        } else {
            slot.used = true;
            TokenState::Active(copy)
        }
    }
}

fn code_of(r: &Record) -> Option<CodeRecord> {
    match r {
        Record::Code(c) => Some(c.clone()),
        _ => None,
    }
}

fn refresh_of(r: &Record) -> Option<RefreshTokenRecord> {
    match r {
        Record::Refresh(t) => Some(t.clone()),
        _ => None,
    }
}

/// A snapshot of the sizes, for `Debug` and the counters.
struct Counts {
    codes: usize,
    access_tokens: usize,
    refresh_tokens: usize,
    grants: usize,
    revoked_grants: usize,
    expiry_queue: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store: no clients, no credentials.
    #[must_use]
    pub fn new() -> Self {
        Self {
            clients: RwLock::new(HashMap::new()),
            users: RwLock::new(Users::default()),
            state: Mutex::new(State::default()),
        }
    }

    /// A store with `clients` registered (a later client replaces an earlier one with the same
    /// `client_id`).
    #[must_use]
    pub fn with_clients(clients: impl IntoIterator<Item = Client>) -> Self {
        let store = Self::new();
        for c in clients {
            store.insert_client(c);
        }
        store
    }

    /// Registers `client`, replacing any client with the same `client_id`; returns the replaced
    /// client. Requests already past their client lookup keep the client they looked up.
    pub fn insert_client(&self, client: Client) -> Option<Arc<Client>> {
        let id = client.client_id().to_owned();
        self.clients.write().unwrap_or_else(PoisonError::into_inner).insert(id, Arc::new(client))
    }

    /// Unregisters the client `client_id` (compared byte for byte) and revokes every grant
    /// issued to it, so its codes, access tokens and refresh tokens stop working at once;
    /// returns whether it existed. Takes time linear in the number of stored credentials.
    ///
    /// A token request that looked the client up before the removal may still persist its
    /// tokens afterwards; a resource server that must refuse those too checks that the token's
    /// client still exists.
    pub fn remove_client(&self, client_id: &str, now: UnixTime) -> bool {
        let existed = self.clients.write().unwrap_or_else(PoisonError::into_inner).remove(client_id).is_some();
        if let Ok(mut s) = self.state.lock() {
            let grants: std::collections::HashSet<GrantId> = s
                .credentials
                .values()
                .filter(|slot| slot.record.client_id() == client_id)
                .map(|slot| *slot.record.grant_id())
                .collect();
            for g in &grants {
                s.revoke(g, now);
            }
        }
        existed
    }

    /// Whether the client `client_id` is registered.
    #[must_use]
    pub fn has_client(&self, client_id: &str) -> bool {
        self.clients.read().unwrap_or_else(PoisonError::into_inner).contains_key(client_id)
    }

    /// Adds `user` to the user directory under `user_id` (its `userId`), replacing any user with
    /// the same `userId`; the impersonation grant finds it by `userId` or by
    /// [`User::subject`]. Returns `false`, changing nothing, when another user already has that
    /// subject.
    pub fn insert_user(&self, user_id: &str, user: User) -> bool {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        if users.by_subject.get(&user.subject).is_some_and(|id| id != user_id) {
            return false;
        }
        if let Some(old) = users.by_id.remove(user_id) {
            users.by_subject.remove(&old.subject);
        }
        users.by_subject.insert(Arc::clone(&user.subject), user_id.to_owned());
        users.by_id.insert(user_id.to_owned(), user);
        true
    }

    /// Removes the user `user_id` from the directory; returns whether it existed. Tokens already
    /// issued for the user are not revoked.
    pub fn remove_user(&self, user_id: &str) -> bool {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        match users.by_id.remove(user_id) {
            Some(u) => {
                users.by_subject.remove(&u.subject);
                true
            }
            None => false,
        }
    }

    /// Every registered client, sorted by `client_id`.
    #[must_use]
    pub fn clients(&self) -> Vec<Arc<Client>> {
        let mut all: Vec<Arc<Client>> =
            self.clients.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        all.sort_by(|a, b| a.client_id().cmp(b.client_id()));
        all
    }

    /// Removes records and tombstones that expired at `now`, examining at most `budget` expiry
    /// queue entries (stale entries of records already revoked count towards the budget); returns
    /// how many records and tombstones were removed. Mutating calls already purge
    /// [`PURGE_PER_CALL`] entries each; call this from a periodic task to reclaim memory on a
    /// server that has gone quiet. Returns 0 when the store is poisoned (see the type's docs).
    pub fn purge_expired(&self, now: UnixTime, budget: usize) -> usize {
        self.state.lock().map_or(0, |mut s| s.purge(now, budget))
    }

    /// Number of authorization codes held (unused, used, and expired but not yet purged).
    #[must_use]
    pub fn code_count(&self) -> usize {
        self.counts().codes
    }

    /// Number of access tokens held (including expired ones not yet purged).
    #[must_use]
    pub fn access_token_count(&self) -> usize {
        self.counts().access_tokens
    }

    /// Number of refresh tokens held (active, rotated, and expired but not yet purged).
    #[must_use]
    pub fn refresh_token_count(&self) -> usize {
        self.counts().refresh_tokens
    }

    /// Number of grants that have at least one credential held (grants whose ids share a 64-bit
    /// index hash count once; with random grant ids that practically never happens).
    #[must_use]
    pub fn grant_count(&self) -> usize {
        self.counts().grants
    }

    /// Number of revoked-grant tombstones held.
    #[must_use]
    pub fn revoked_grant_count(&self) -> usize {
        self.counts().revoked_grants
    }

    /// Number of entries in the expiry queue (one per credential written or tombstone extended,
    /// until it is due and purged).
    #[must_use]
    pub fn expiry_queue_len(&self) -> usize {
        self.counts().expiry_queue
    }

    /// Number of registered clients.
    #[must_use]
    pub fn client_count(&self) -> usize {
        self.clients.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn counts(&self) -> Counts {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        Self::counts_of(&s)
    }

    fn counts_of(s: &State) -> Counts {
        Counts {
            codes: s.counts[Kind::Code as usize],
            access_tokens: s.counts[Kind::Access as usize],
            refresh_tokens: s.counts[Kind::Refresh as usize],
            grants: s.grants.len(),
            revoked_grants: s.revoked.len(),
            expiry_queue: s.queue.len() + s.tombstone_queue.len(),
        }
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state.lock().map_err(|_| StoreError::Failed)
    }

    /// Checks the incremental counters and the grant index against a full scan (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut counts = [0usize; 3];
        for (key, slot) in &s.credentials {
            counts[slot.record.kind() as usize] += 1;
            let g = s.grants.get(&grant_key(slot.record.grant_id())).expect("invariant: every credential is indexed");
            assert!(g.members().any(|m| m == key), "invariant: every credential is in its grant's entry");
            assert!(!s.revoked.contains_key(slot.record.grant_id()), "invariant: no credential of a revoked grant");
        }
        assert_eq!(counts, s.counts, "invariant: counters match the map");
        let members: usize = s.grants.values().map(GrantEntry::len).sum();
        assert_eq!(members, s.credentials.len(), "invariant: the grant index lists each credential once");
    }

    /// Poisons the state lock, as a panic inside a critical section would (tests only).
    #[cfg(test)]
    pub(crate) fn poison_state(self: &Arc<Self>) {
        let store = Arc::clone(self);
        let _ = std::thread::spawn(move || {
            let _guard = store.state.lock();
            panic!("poisoning the state lock on purpose");
        })
        .join();
    }

    /// Poisons the clients lock (tests only).
    #[cfg(test)]
    pub(crate) fn poison_clients(self: &Arc<Self>) {
        let store = Arc::clone(self);
        let _ = std::thread::spawn(move || {
            let _guard = store.clients.write();
            panic!("poisoning the clients lock on purpose");
        })
        .join();
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients = match self.clients.try_read() {
            Ok(c) => Some(c.len()),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner().len()),
            Err(TryLockError::WouldBlock) => None,
        };
        let counts = match self.state.try_lock() {
            Ok(s) => Some(Self::counts_of(&s)),
            Err(TryLockError::Poisoned(p)) => Some(Self::counts_of(&p.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        };
        let mut d = f.debug_struct("MemoryStore");
        match clients {
            Some(n) => d.field("clients", &n),
            None => d.field("clients", &"<locked>"),
        };
        match counts {
            Some(c) => d
                .field("codes", &c.codes)
                .field("access_tokens", &c.access_tokens)
                .field("refresh_tokens", &c.refresh_tokens)
                .field("grants", &c.grants)
                .field("revoked_grants", &c.revoked_grants)
                .field("expiry_queue", &c.expiry_queue),
            None => d.field("credentials", &"<locked>"),
        };
        d.finish()
    }
}

impl ClientRegistry for MemoryStore {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self.clients.read().unwrap_or_else(PoisonError::into_inner).get(client_id).cloned())
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        Ok(self.clients.read().unwrap_or_else(PoisonError::into_inner).values().any(|c| c.allows_origin(origin)))
    }
}

impl UserDirectory for MemoryStore {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        let id = match lookup.field {
            UserField::Subject => match users.by_subject.get(lookup.value.as_str()) {
                Some(id) => id.as_str(),
                None => return Ok(None),
            },
            _ => lookup.value.as_str(),
        };
        Ok(users.by_id.get(id).cloned())
    }
}

impl CodeStore for MemoryStore {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        let mut s = self.state()?;
        // A code of another client reads as Missing and is not marked used.
        let answer = s.take(key, now, |r| code_of(r).filter(|c| *c.client_id == *client_id));
        s.purge(now, PURGE_PER_CALL);
        Ok(answer)
    }
}

impl RefreshStore for MemoryStore {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        let s = self.state()?;
        Ok(match s.credentials.get(key) {
            Some(Slot { record: Record::Refresh(r), used }) if !r.expires_at.is_expired_at(now) => {
                if *used {
                    TokenState::Used(r.clone())
                } else {
                    TokenState::Active(r.clone())
                }
            }
            _ => TokenState::Missing,
        })
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        let mut s = self.state()?;
        let answer = s.take(key, now, refresh_of);
        s.purge(now, PURGE_PER_CALL);
        Ok(answer)
    }
}

impl TokenStore for MemoryStore {
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError> {
        let mut s = self.state()?;
        let budget = PURGE_PER_CALL.max(2 * writes.len());
        let result = s.persist(writes);
        s.purge(now, budget);
        result
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        let mut s = self.state()?;
        s.revoke(grant_id, now);
        s.purge(now, PURGE_PER_CALL);
        Ok(())
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        let s = self.state()?;
        // A revoked grant has no credential left in the map (revocation removes them and persist
        // discards later ones), so presence and expiry decide.
        Ok(match s.credentials.get(key) {
            Some(Slot { record: Record::Access(r), .. }) if !r.expires_at.is_expired_at(now) => Some(r.clone()),
            _ => None,
        })
    }
}
