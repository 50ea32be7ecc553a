//! The security contracts of `oauth_core::store` as `MemoryStore` meets them: the details the
//! storage contract suite (`oauth-store-contract`, run by `tests/contract_suite.rs`) leaves to
//! each store (the error it answers, tombstones, purging, the grant index, lock poisoning).

use std::sync::Arc;

use oauth_core::{
    ClientRegistry, CodeStore, GrantId, RefreshStore, StoreError, TokenDigest, TokenState, TokenStore, UnixTime, Write,
};

use super::{access, code, digest, refresh, web_client};
use crate::{MIN_TOMBSTONE_SECS, MemoryStore};

const fn t(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn gid(s: &str) -> GrantId {
    GrantId::from_digest(&TokenDigest::of(s))
}

fn persisted(store: &MemoryStore, writes: &[Write], now: u64) {
    store.persist(writes.to_vec(), t(now)).expect("persist succeeds");
}

#[test]
fn memory_store_is_send_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<MemoryStore>();
    assert_send_sync::<Arc<MemoryStore>>();
}

#[test]
fn client_registry_exact_lookup_replace_remove() {
    let store = MemoryStore::with_clients([web_client("client-b", "sb"), web_client("client-a", "sa")]);
    assert_eq!(store.client("client-a").unwrap().unwrap().client_id(), "client-a");
    assert!(store.client("Client-A").unwrap().is_none(), "compared byte for byte");
    assert!(store.client("client-a ").unwrap().is_none());
    assert!(store.client("").unwrap().is_none());
    let ids: Vec<String> = store.clients().iter().map(|c| c.client_id().to_owned()).collect();
    assert_eq!(ids, ["client-a", "client-b"]);

    let old = store.client("client-a").unwrap().unwrap();
    let replaced = store.insert_client(web_client("client-a", "new-secret")).expect("replaced the old client");
    assert!(Arc::ptr_eq(&old, &replaced));
    let new = store.client("client-a").unwrap().unwrap();
    assert!(!Arc::ptr_eq(&old, &new));
    assert!(new.verify_secret(&oauth_core::Secret::new("new-secret".into())));
    assert_eq!(store.client_count(), 2);

    assert!(store.remove_client("client-a", UnixTime::from_secs(0)));
    assert!(!store.remove_client("client-a", UnixTime::from_secs(0)));
    assert!(store.client("client-a").unwrap().is_none());
    assert_eq!(store.client_count(), 1);
}

#[test]
fn an_expired_unused_code_is_missing() {
    let store = MemoryStore::new();
    persisted(&store, &[code(digest(1), "g1", 160)], 100);
    assert_eq!(store.take_code(&digest(1), "client-a", t(160)).unwrap(), TokenState::Missing);
    // The take at 160 also purged it.
    assert_eq!(store.code_count(), 0);
    assert_eq!(store.grant_count(), 0);
}

#[test]
fn persist_is_all_or_nothing() {
    let store = MemoryStore::new();
    store.revoke_grant(&gid("revoked"), t(0)).unwrap();
    // One write of a revoked grant: the batch is discarded, not even the other grant's record
    // is written.
    let answer = store.persist(vec![access(digest(1), "live", 100), access(digest(2), "revoked", 100)], t(0));
    assert_eq!(answer, Ok(()));
    assert!(store.access_token(&digest(1), t(0)).unwrap().is_none());
    assert!(store.access_token(&digest(2), t(0)).unwrap().is_none());

    // A digest that is already stored is never overwritten (it could re-activate a used code).
    persisted(&store, &[code(digest(3), "g3", 100)], 0);
    assert!(matches!(store.take_code(&digest(3), "client-a", t(0)).unwrap(), TokenState::Active(_)));
    let err = store.persist(vec![access(digest(4), "g4", 100), code(digest(3), "g3", 100)], t(0));
    assert_eq!(err, Err(StoreError::Failed));
    assert!(store.access_token(&digest(4), t(0)).unwrap().is_none());
    assert!(matches!(store.take_code(&digest(3), "client-a", t(0)).unwrap(), TokenState::Used(_)));

    // Two writes with one digest: refused as a whole.
    let err = store.persist(vec![access(digest(5), "g5", 100), refresh(digest(5), "g5", 100)], t(0));
    assert_eq!(err, Err(StoreError::Failed));
    assert!(store.access_token(&digest(5), t(0)).unwrap().is_none());
    assert_eq!(store.refresh_token_count(), 0);
    store.check_invariants();
}

#[test]
fn revoke_grant_removes_every_credential_of_the_grant_only() {
    let store = MemoryStore::new();
    let (c, a, r, a2, r2) = (digest(1), digest(2), digest(3), digest(4), digest(5));
    let (other_a, other_r) = (digest(10), digest(11));
    persisted(&store, &[code(c, "g1", 60)], 0);
    assert!(matches!(store.take_code(&c, "client-a", t(1)).unwrap(), TokenState::Active(_)));
    persisted(&store, &[access(a, "g1", 3600), refresh(r, "g1", 86_400)], 1);
    assert!(matches!(store.take_refresh_token(&r, t(2)).unwrap(), TokenState::Active(_)));
    persisted(&store, &[access(a2, "g1", 3602), refresh(r2, "g1", 86_400)], 2);
    persisted(&store, &[access(other_a, "g2", 3600), refresh(other_r, "g2", 86_400)], 2);

    store.revoke_grant(&gid("g1"), t(3)).unwrap();
    assert_eq!(store.take_code(&c, "client-a", t(3)).unwrap(), TokenState::Missing);
    assert!(store.access_token(&a, t(3)).unwrap().is_none());
    assert!(store.access_token(&a2, t(3)).unwrap().is_none());
    assert_eq!(store.refresh_token(&r, t(3)).unwrap(), TokenState::Missing);
    assert_eq!(store.take_refresh_token(&r2, t(3)).unwrap(), TokenState::Missing);
    // The other grant is untouched.
    assert!(store.access_token(&other_a, t(3)).unwrap().is_some());
    assert!(matches!(store.refresh_token(&other_r, t(3)).unwrap(), TokenState::Active(_)));
    assert_eq!(store.revoked_grant_count(), 1);
    store.check_invariants();

    // Revoking again, or revoking an unknown grant, is fine.
    store.revoke_grant(&gid("g1"), t(4)).unwrap();
    store.revoke_grant(&gid("never-existed"), t(4)).unwrap();
    assert_eq!(store.revoked_grant_count(), 2);
}

#[test]
fn persist_after_revoke_is_discarded_until_the_tombstone_expires() {
    let store = MemoryStore::new();
    let rt_expiry = 100_000;
    persisted(&store, &[access(digest(1), "g1", 3600), refresh(digest(2), "g1", rt_expiry)], 0);
    store.revoke_grant(&gid("g1"), t(10)).unwrap();
    // Discarded for as long as any credential of the grant could have lived.
    for now in [10, 3600, rt_expiry - 1] {
        let answer = store.persist(vec![access(digest(100 + now), "g1", now + 3600)], t(now));
        assert_eq!(answer, Ok(()), "at {now}");
        assert!(store.access_token(&digest(100 + now), t(now)).unwrap().is_none(), "at {now}");
    }
    assert_eq!(store.access_token_count(), 0);
    // After the newest credential's expiry the tombstone is purged.
    store.purge_expired(t(rt_expiry), usize::MAX);
    assert_eq!(store.revoked_grant_count(), 0);
}

#[test]
fn a_tombstone_outlives_a_grant_without_credentials_by_the_minimum() {
    // A request took the grant's code just before a replay revoked the grant: the grant has no
    // other credential, but the taker's persist must still be discarded.
    let store = MemoryStore::new();
    persisted(&store, &[code(digest(1), "g1", 60)], 0);
    assert!(matches!(store.take_code(&digest(1), "client-a", t(1)).unwrap(), TokenState::Active(_)));
    assert!(matches!(store.take_code(&digest(1), "client-a", t(2)).unwrap(), TokenState::Used(_)));
    store.revoke_grant(&gid("g1"), t(2)).unwrap();
    // Other traffic purges everything due long after the code's own expiry.
    let late = 2 + MIN_TOMBSTONE_SECS - 1;
    store.purge_expired(t(late), usize::MAX);
    assert_eq!(store.persist(vec![access(digest(2), "g1", 3600)], t(1)), Ok(()));
    assert!(store.access_token(&digest(2), t(1)).unwrap().is_none());
    store.purge_expired(t(2 + MIN_TOMBSTONE_SECS), usize::MAX);
    assert_eq!(store.revoked_grant_count(), 0);
}

#[test]
fn purge_respects_its_budget_and_stored_expiry() {
    let store = MemoryStore::new();
    for i in 0..10 {
        persisted(&store, &[access(digest(i), &format!("g{i}"), 100 + i)], 0);
    }
    assert_eq!(store.purge_expired(t(99), usize::MAX), 0, "nothing is due before its expiry");
    assert_eq!(store.purge_expired(t(200), 3), 3);
    assert_eq!(store.access_token_count(), 7);
    assert_eq!(store.purge_expired(t(200), usize::MAX), 7);
    assert_eq!(store.access_token_count(), 0);
    assert_eq!(store.grant_count(), 0);
    assert_eq!(store.expiry_queue_len(), 0);

    // Queue entries of revoked credentials are dropped without touching anything else.
    persisted(&store, &[access(digest(20), "g20", 50), refresh(digest(21), "g20", 80)], 0);
    store.revoke_grant(&gid("g20"), t(1)).unwrap();
    assert_eq!(store.expiry_queue_len(), 3, "two stale credential entries and a tombstone");
    assert_eq!(store.purge_expired(t(100), usize::MAX), 0, "stale entries remove nothing");
    assert_eq!(store.expiry_queue_len(), 1, "the tombstone is due at 1 + MIN_TOMBSTONE_SECS");
    store.check_invariants();
}

#[test]
fn memory_stays_bounded_under_constant_load() {
    // Every virtual second: one authorization (code), its redemption (take), one token pair; every
    // 50 s a replay revokes a grant. Nothing calls purge_expired: the per-call purge alone must keep
    // every count bounded by what is alive.
    const CODE: u64 = 60;
    const ACCESS: u64 = 300;
    const REFRESH: u64 = 900;
    const SECONDS: u64 = 5_000;
    let store = MemoryStore::new();
    let mut max_queue = 0;
    for now in 0..SECONDS {
        let grant = format!("g{now}");
        let c = digest(3 * now);
        persisted(&store, &[code(c, &grant, now + CODE)], now);
        assert!(matches!(store.take_code(&c, "client-a", t(now)).unwrap(), TokenState::Active(_)));
        persisted(
            &store,
            &[access(digest(3 * now + 1), &grant, now + ACCESS), refresh(digest(3 * now + 2), &grant, now + REFRESH)],
            now,
        );
        if now % 50 == 0 {
            store.revoke_grant(&gid(&grant), t(now)).unwrap();
        }
        assert!(store.code_count() <= CODE as usize + 1, "codes at {now}: {}", store.code_count());
        assert!(store.access_token_count() <= ACCESS as usize + 1, "access tokens at {now}");
        assert!(store.refresh_token_count() <= REFRESH as usize + 1, "refresh tokens at {now}");
        assert!(store.grant_count() <= REFRESH as usize + 1, "grants at {now}");
        assert!(store.revoked_grant_count() <= (REFRESH / 50) as usize + 2, "tombstones at {now}");
        max_queue = max_queue.max(store.expiry_queue_len());
        if now % 500 == 0 {
            store.check_invariants();
        }
    }
    let live_bound = (CODE + ACCESS + REFRESH) as usize + (REFRESH / 50) as usize + 8;
    assert!(max_queue <= live_bound, "expiry queue peaked at {max_queue}, bound {live_bound}");
    // After everything has expired, purging empties the store completely.
    let end = SECONDS + REFRESH + MIN_TOMBSTONE_SECS;
    store.purge_expired(t(end), usize::MAX);
    assert_eq!((store.code_count(), store.access_token_count(), store.refresh_token_count()), (0, 0, 0));
    assert_eq!((store.grant_count(), store.revoked_grant_count(), store.expiry_queue_len()), (0, 0, 0));
}

#[test]
fn a_poisoned_state_lock_fails_closed() {
    let store = Arc::new(MemoryStore::with_clients([web_client("client-a", "sa")]));
    persisted(&store, &[code(digest(1), "g1", 100), access(digest(2), "g1", 100)], 0);
    store.poison_state();
    let now = t(1);
    assert_eq!(store.take_code(&digest(1), "client-a", now), Err(StoreError::Failed));
    assert_eq!(store.take_refresh_token(&digest(1), now), Err(StoreError::Failed));
    assert_eq!(store.refresh_token(&digest(1), now), Err(StoreError::Failed));
    assert_eq!(store.access_token(&digest(2), now), Err(StoreError::Failed));
    assert_eq!(store.persist(vec![code(digest(3), "g3", 100)], now), Err(StoreError::Failed));
    assert_eq!(store.revoke_grant(&gid("g1"), now), Err(StoreError::Failed));
    assert_eq!(store.purge_expired(t(1000), 10), 0);
    // Counters and client lookups still answer.
    assert_eq!(store.code_count(), 1);
    assert!(store.client("client-a").unwrap().is_some());
    assert!(format!("{store:?}").contains("codes: 1"));
}

#[test]
fn a_poisoned_clients_lock_recovers() {
    let store = Arc::new(MemoryStore::with_clients([web_client("client-a", "sa")]));
    store.poison_clients();
    assert!(store.client("client-a").unwrap().is_some());
    store.insert_client(web_client("client-b", "sb"));
    assert_eq!(store.clients().len(), 2);
    assert!(store.remove_client("client-b", UnixTime::from_secs(0)));
}

#[test]
fn debug_prints_counts_and_no_digest() {
    let store = MemoryStore::with_clients([web_client("client-a", "super-secret-value")]);
    let keys: Vec<TokenDigest> = (0..5).map(digest).collect();
    persisted(&store, &[code(keys[0], "g1", 100)], 0);
    persisted(&store, &[access(keys[1], "g1", 100), refresh(keys[2], "g1", 100)], 0);
    let out = format!("{store:?}");
    assert_eq!(
        out,
        "MemoryStore { clients: 1, codes: 1, access_tokens: 1, refresh_tokens: 1, grants: 1, \
         revoked_grants: 0, expiry_queue: 3 }"
    );
    for k in &keys {
        let hex: String = k.as_bytes()[..4].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!out.contains(&hex));
    }
    assert!(!out.contains("g1") && !out.contains("alice") && !out.contains("secret"));
}

#[test]
fn grants_sharing_an_index_entry_stay_separate() {
    // Tests keep 3 bits of the index key, so two of any nine grants share an entry.
    let names: Vec<String> = (0..9).map(|i| format!("grant-{i}")).collect();
    let (a, b) = names
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            let ka = crate::store::grant_key(&gid(a));
            names[i + 1..].iter().find(|b| crate::store::grant_key(&gid(b)) == ka).map(|b| (a.clone(), b.clone()))
        })
        .expect("pigeonhole: two of nine grants share one of eight keys");
    let store = MemoryStore::new();
    persisted(&store, &[access(digest(1), &a, 100), refresh(digest(2), &a, 1000)], 0);
    persisted(&store, &[access(digest(3), &b, 100), refresh(digest(4), &b, 2000)], 0);
    assert_eq!(store.grant_count(), 1, "one shared index entry");

    store.revoke_grant(&gid(&a), t(1)).unwrap();
    assert!(store.access_token(&digest(1), t(1)).unwrap().is_none());
    assert!(store.access_token(&digest(3), t(1)).unwrap().is_some(), "the other grant is untouched");
    assert!(matches!(store.refresh_token(&digest(4), t(1)).unwrap(), TokenState::Active(_)));
    store.check_invariants();

    // Purging one of b's credentials keeps the other indexed; revoking b then finds it.
    assert_eq!(store.purge_expired(t(100), usize::MAX), 1);
    store.check_invariants();
    store.revoke_grant(&gid(&b), t(101)).unwrap();
    assert_eq!(store.refresh_token(&digest(4), t(101)).unwrap(), TokenState::Missing);
    assert_eq!((store.refresh_token_count(), store.grant_count()), (0, 0));
    store.check_invariants();
}
