//! Hidden tests of `moka/eviction-listener-trait`: a type implementing
//! `moka::notification::EvictionListener` is set with `CacheBuilder::with_eviction_listener`
//! on `Cache` and `SegmentedCache`, alone, shared in an `Arc` or as a trait object.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use moka::notification::{EvictionListener, RemovalCause};
use moka::sync::{Cache, SegmentedCache};

/// Records every call: (key, value, cause).
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(u32, String, RemovalCause)>>,
}

impl Recorder {
    fn calls(&self) -> Vec<(u32, String, RemovalCause)> {
        self.calls.lock().unwrap().clone()
    }
}

impl EvictionListener<u32, String> for Recorder {
    fn on_removal(&self, key: Arc<u32>, value: String, cause: RemovalCause) {
        self.calls.lock().unwrap().push((*key, value, cause));
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

#[test]
fn a_struct_listener_gets_replaced_and_explicit_removals() {
    let recorder = Arc::new(Recorder::default());
    let cache: Cache<u32, String> = Cache::builder()
        .max_capacity(100)
        .with_eviction_listener(Arc::clone(&recorder))
        .build();
    cache.insert(1, s("one"));
    cache.insert(1, s("uno"));
    cache.invalidate(&1);
    cache.run_pending_tasks();
    assert_eq!(
        recorder.calls(),
        vec![
            (1, s("one"), RemovalCause::Replaced),
            (1, s("uno"), RemovalCause::Explicit)
        ]
    );
}

#[test]
fn a_struct_listener_gets_size_evictions() {
    let recorder = Arc::new(Recorder::default());
    let cache: Cache<u32, String> = Cache::builder()
        .max_capacity(2)
        .with_eviction_listener(Arc::clone(&recorder))
        .build();
    for k in 0..10 {
        cache.insert(k, format!("v{k}"));
        cache.run_pending_tasks();
    }
    cache.run_pending_tasks();
    let calls = recorder.calls();
    assert_eq!(calls.len(), 8, "10 inserts into a cache of 2 evict 8: {calls:?}");
    assert!(calls.iter().all(|(_, _, c)| *c == RemovalCause::Size));
    assert_eq!(cache.entry_count(), 2);
}

/// Counts calls per cause.
#[derive(Default)]
struct CauseCounter {
    counts: Mutex<HashMap<RemovalCause, usize>>,
    total: AtomicUsize,
}

impl<K, V> EvictionListener<K, V> for CauseCounter {
    fn on_removal(&self, _key: Arc<K>, _value: V, cause: RemovalCause) {
        *self.counts.lock().unwrap().entry(cause).or_default() += 1;
        self.total.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn one_arc_listener_serves_two_caches() {
    let counter = Arc::new(CauseCounter::default());
    let a: Cache<u32, String> = Cache::builder()
        .with_eviction_listener(Arc::clone(&counter))
        .build();
    let b: Cache<String, u64> = Cache::builder()
        .with_eviction_listener(Arc::clone(&counter))
        .build();
    a.insert(1, s("x"));
    a.insert(1, s("y"));
    b.insert(s("k"), 7);
    b.invalidate("k");
    a.invalidate(&1);
    assert_eq!(counter.total.load(Ordering::SeqCst), 3);
    let counts = counter.counts.lock().unwrap();
    assert_eq!(counts.get(&RemovalCause::Replaced), Some(&1));
    assert_eq!(counts.get(&RemovalCause::Explicit), Some(&2));
}

#[test]
fn a_dyn_listener_in_an_arc_is_accepted() {
    let recorder = Arc::new(Recorder::default());
    let dyn_listener: Arc<dyn EvictionListener<u32, String>> = recorder.clone();
    let cache: Cache<u32, String> = Cache::builder().with_eviction_listener(dyn_listener).build();
    cache.insert(5, s("five"));
    cache.remove(&5);
    assert_eq!(recorder.calls(), vec![(5, s("five"), RemovalCause::Explicit)]);
}

#[test]
fn a_segmented_cache_calls_a_struct_listener() {
    let recorder = Arc::new(Recorder::default());
    let cache: SegmentedCache<u32, String> = SegmentedCache::builder(4)
        .max_capacity(100)
        .with_eviction_listener(Arc::clone(&recorder))
        .build();
    for k in 0..16 {
        cache.insert(k, format!("a{k}"));
        cache.insert(k, format!("b{k}"));
    }
    for k in 0..16 {
        cache.invalidate(&k);
    }
    let mut calls = recorder.calls();
    calls.sort_by(|x, y| (x.0, x.2 == RemovalCause::Explicit).cmp(&(y.0, y.2 == RemovalCause::Explicit)));
    assert_eq!(calls.len(), 32);
    for k in 0..16u32 {
        let i = k as usize * 2;
        assert_eq!(calls[i], (k, format!("a{k}"), RemovalCause::Replaced));
        assert_eq!(calls[i + 1], (k, format!("b{k}"), RemovalCause::Explicit));
    }
}

#[test]
fn the_listener_set_last_wins() {
    let closure_calls = Arc::new(AtomicUsize::new(0));
    let recorder = Arc::new(Recorder::default());

    let seen = Arc::clone(&closure_calls);
    let cache: Cache<u32, String> = Cache::builder()
        .eviction_listener(move |_k, _v, _c| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .with_eviction_listener(Arc::clone(&recorder))
        .build();
    cache.insert(1, s("a"));
    cache.invalidate(&1);
    assert_eq!(closure_calls.load(Ordering::SeqCst), 0);
    assert_eq!(recorder.calls(), vec![(1, s("a"), RemovalCause::Explicit)]);

    let seen = Arc::clone(&closure_calls);
    let cache: Cache<u32, String> = Cache::builder()
        .with_eviction_listener(Arc::clone(&recorder))
        .eviction_listener(move |_k, _v, _c| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    cache.insert(2, s("b"));
    cache.invalidate(&2);
    assert_eq!(closure_calls.load(Ordering::SeqCst), 1);
    assert_eq!(recorder.calls().len(), 1, "the replaced struct listener was called");
}

#[test]
fn removal_causes_can_key_a_hash_map() {
    let mut by_cause: HashMap<RemovalCause, &str> = HashMap::new();
    by_cause.insert(RemovalCause::Expired, "expired");
    by_cause.insert(RemovalCause::Explicit, "explicit");
    by_cause.insert(RemovalCause::Replaced, "replaced");
    by_cause.insert(RemovalCause::Size, "size");
    by_cause.insert(RemovalCause::Size, "size again");
    assert_eq!(by_cause.len(), 4);
    assert_eq!(by_cause[&RemovalCause::Size], "size again");
}

/// Panics on its first call, counts every call.
#[derive(Default)]
struct PanicsOnce {
    calls: AtomicUsize,
}

impl EvictionListener<u32, String> for PanicsOnce {
    fn on_removal(&self, _key: Arc<u32>, _value: String, _cause: RemovalCause) {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the listener panics on its first call");
        }
    }
}

#[test]
fn a_panicking_struct_listener_is_disabled() {
    let listener = Arc::new(PanicsOnce::default());
    let cache: Cache<u32, String> = Cache::builder()
        .with_eviction_listener(Arc::clone(&listener))
        .build();
    cache.insert(1, s("a"));
    cache.insert(1, s("b"));
    cache.insert(2, s("c"));
    cache.invalidate(&1);
    cache.invalidate(&2);
    assert_eq!(listener.calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.get(&1), None);
    cache.insert(3, s("d"));
    assert_eq!(cache.get(&3), Some(s("d")));
}
