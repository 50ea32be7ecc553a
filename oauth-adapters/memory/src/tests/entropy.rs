use std::collections::HashSet;
use std::sync::Arc;

use oauth_core::Entropy;

use crate::OsEntropy;

#[test]
fn fills_distinct_buffers() {
    let e = OsEntropy::new();
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let mut b = [0u8; 32];
        e.fill(&mut b).expect("the OS-seeded generator works in tests");
        assert!(seen.insert(b), "256-bit draws never repeat");
    }
    // Odd lengths and lengths beyond one ChaCha block are filled entirely.
    let mut big = vec![0u8; 1000];
    e.fill(&mut big).expect("the OS-seeded generator works in tests");
    assert!(big[900..].iter().any(|&b| b != 0));
    e.fill(&mut []).expect("an empty fill succeeds");
}

#[test]
fn threads_draw_independent_streams() {
    let e: Arc<dyn Entropy> = Arc::new(OsEntropy::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let e = Arc::clone(&e);
            std::thread::spawn(move || {
                let mut b = [0u8; 32];
                e.fill(&mut b).expect("the OS-seeded generator works in tests");
                b
            })
        })
        .collect();
    let draws: HashSet<[u8; 32]> = handles.into_iter().map(|h| h.join().expect("thread ran")).collect();
    assert_eq!(draws.len(), 4);
}

#[test]
fn is_send_sync_and_debug_shows_no_state() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<OsEntropy>();
    assert_eq!(format!("{:?}", OsEntropy::new()), "OsEntropy");
}
