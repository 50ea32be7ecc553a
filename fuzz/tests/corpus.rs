//! Replays the checked-in corpus of every fuzz target as an ordinary test: each file of
//! `corpus/<target>/` (the seeds and the minimized corpus the fuzzer reached) and of
//! `regressions/<target>/` (inputs that once broke an invariant) runs through the target's
//! function, which panics on a broken invariant. Runs on stable, without libFuzzer.

use std::path::{Path, PathBuf};

use oauth_fuzz::TARGETS;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs every input of `kind/<target>/`; returns how many ran. A failing input is named before
/// its panic is passed on.
fn replay(kind: &str, target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind).join(target);
    let files = files(&dir);
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        if let Err(panic) = std::panic::catch_unwind(|| run(&data)) {
            eprintln!("{kind}/{target}: {} broke an invariant", file.display());
            std::panic::resume_unwind(panic);
        }
    }
    files.len()
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (name, _) in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
        assert!(!files(&dir).is_empty(), "corpus/{name}/ is empty");
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "fuzz_targets/{name}.rs is missing");
    }
}

macro_rules! corpus_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let (target, run) = TARGETS
                .iter()
                .find(|(n, _)| *n == stringify!($name))
                .copied()
                .unwrap_or_else(|| panic!("no target {}", stringify!($name)));
            let seeds = replay("corpus", target, run);
            let regressions = replay("regressions", target, run);
            assert!(seeds > 0, "corpus/{target}/ is empty");
            eprintln!("{target}: {seeds} corpus inputs, {regressions} regressions");
        }
    )*};
}

corpus_tests!(
    form,
    json_body,
    basic,
    bearer,
    redirect_uri,
    scope,
    user_lookup,
    pkce,
    authorize,
    token,
    flow,
    revoke,
    introspect,
    jwt,
    metadata
);

#[test]
fn every_target_is_replayed() {
    let listed = [
        "form",
        "json_body",
        "basic",
        "bearer",
        "redirect_uri",
        "scope",
        "user_lookup",
        "pkce",
        "authorize",
        "token",
        "flow",
        "revoke",
        "introspect",
        "jwt",
        "metadata",
    ];
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed, "a target is missing from corpus_tests!");
}
