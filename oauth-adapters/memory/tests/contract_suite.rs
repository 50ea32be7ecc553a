//! The storage contract suite (`oauth-store-contract`) against `MemoryStore`: one test per rule.

oauth_store_contract::contract_tests!(|clients, users| {
    let store = oauth_memory::MemoryStore::with_clients(clients);
    for (user_id, user) in users {
        assert!(store.insert_user(&user_id, user), "the fixture's subjects are unique");
    }
    store
});
