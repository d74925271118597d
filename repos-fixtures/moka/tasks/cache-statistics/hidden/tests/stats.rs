//! Hidden tests of the cache statistics (`moka::stats`, `CacheBuilder::record_stats`,
//! `Cache::stats`, `SegmentedCache::stats`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use moka::stats::CacheStats;
use moka::sync::{Cache, SegmentedCache};

fn recording(capacity: u64) -> Cache<u32, String> {
    Cache::builder().max_capacity(capacity).record_stats().build()
}

#[test]
fn stats_stay_zero_unless_recording_was_asked_for() {
    let cache: Cache<u32, String> = Cache::new(100);
    cache.insert(1, "one".into());
    assert_eq!(cache.get(&1).as_deref(), Some("one"));
    assert_eq!(cache.get(&2), None);
    let _ = cache.get_with(3, || "three".into());
    assert_eq!(cache.stats(), CacheStats::default());
}

#[test]
fn get_counts_hits_and_misses() {
    let cache = recording(100);
    cache.insert(1, "one".into());
    assert!(cache.get(&1).is_some());
    assert!(cache.get(&1).is_some());
    assert!(cache.get(&2).is_none());
    let stats = cache.stats();
    assert_eq!(stats.hit_count, 2);
    assert_eq!(stats.miss_count, 1);
    assert_eq!(stats.request_count(), 3);
    assert_eq!(stats.load_count(), 0);
    assert!((stats.hit_rate() - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn contains_key_and_insert_are_not_lookups() {
    let cache = recording(100);
    cache.insert(1, "one".into());
    assert!(cache.contains_key(&1));
    assert!(!cache.contains_key(&2));
    cache.invalidate(&1);
    assert_eq!(cache.stats().request_count(), 0);
    assert_eq!(cache.stats().hit_rate(), 1.0);
}

#[test]
fn get_with_counts_a_miss_and_a_successful_load_then_a_hit() {
    let cache = recording(100);
    assert_eq!(cache.get_with(7, || "seven".into()), "seven");
    let after_load = cache.stats();
    assert_eq!(after_load.miss_count, 1);
    assert_eq!(after_load.hit_count, 0);
    assert_eq!(after_load.load_success_count, 1);
    assert_eq!(after_load.load_failure_count, 0);

    assert_eq!(cache.get_with(7, || unreachable!("cached")), "seven");
    let after_hit = cache.stats();
    assert_eq!(after_hit.hit_count, 1);
    assert_eq!(after_hit.miss_count, 1);
    assert_eq!(after_hit.load_success_count, 1);
}

#[test]
fn get_with_by_ref_counts_like_get_with() {
    let cache: Cache<String, u32> = Cache::builder().record_stats().build();
    assert_eq!(cache.get_with_by_ref("a", || 1), 1);
    assert_eq!(cache.get_with_by_ref("a", || 2), 1);
    let stats = cache.stats();
    assert_eq!((stats.hit_count, stats.miss_count), (1, 1));
    assert_eq!(stats.load_success_count, 1);
}

#[test]
fn failed_loads_are_counted_apart() {
    let cache = recording(100);
    assert_eq!(cache.optionally_get_with(1, || None), None);
    let err = cache.try_get_with(2, || Err::<String, _>("no such row".to_string()));
    assert_eq!(err.unwrap_err().as_str(), "no such row");
    assert_eq!(cache.try_get_with(3, || Ok::<_, String>("three".into())).unwrap(), "three");
    let stats = cache.stats();
    assert_eq!(stats.miss_count, 3);
    assert_eq!(stats.load_failure_count, 2);
    assert_eq!(stats.load_success_count, 1);
    assert_eq!(stats.load_count(), 3);
    assert!(!cache.contains_key(&1) && !cache.contains_key(&2));
}

#[test]
fn entry_api_counts_lookups_and_loads() {
    let cache = recording(100);
    let first = cache.entry(5).or_insert_with(|| "five".into());
    assert!(first.is_fresh());
    let second = cache.entry(5).or_insert_with(|| unreachable!("cached"));
    assert!(!second.is_fresh());
    let stats = cache.stats();
    assert_eq!((stats.hit_count, stats.miss_count), (1, 1));
    assert_eq!(stats.load_success_count, 1);
}

#[test]
fn clones_share_their_counters() {
    let cache = recording(100);
    let clone = cache.clone();
    clone.insert(1, "one".into());
    assert!(clone.get(&1).is_some());
    assert!(cache.get(&9).is_none());
    assert_eq!(cache.stats(), clone.stats());
    assert_eq!(cache.stats().request_count(), 2);
}

#[test]
fn segmented_cache_sums_its_segments() {
    let cache: SegmentedCache<u32, u32> =
        Cache::builder().max_capacity(1_000).segments(4).record_stats().build();
    for k in 0..40 {
        assert_eq!(cache.get_with(k, || k * 10), k * 10);
    }
    for k in 0..40 {
        assert_eq!(cache.get(&k), Some(k * 10));
    }
    for k in 40..50 {
        assert_eq!(cache.get(&k), None);
    }
    let stats = cache.stats();
    assert_eq!(stats.hit_count, 40);
    assert_eq!(stats.miss_count, 50);
    assert_eq!(stats.load_success_count, 40);
    let plain: SegmentedCache<u32, u32> = SegmentedCache::new(100, 4);
    let _ = plain.get(&1);
    assert_eq!(plain.stats(), CacheStats::default());
}

#[test]
fn stats_add_field_by_field() {
    let a = CacheStats {
        hit_count: 1,
        miss_count: 2,
        load_success_count: 3,
        load_failure_count: 4,
    };
    let b = CacheStats {
        hit_count: 10,
        miss_count: 20,
        load_success_count: 30,
        load_failure_count: 40,
    };
    let sum = a + b;
    assert_eq!(
        sum,
        CacheStats {
            hit_count: 11,
            miss_count: 22,
            load_success_count: 33,
            load_failure_count: 44,
        }
    );
    assert_eq!(sum.request_count(), 33);
    assert_eq!(sum.load_count(), 77);
}

#[test]
fn concurrent_get_with_loads_once_and_counts_every_lookup() {
    const THREADS: usize = 8;
    const KEYS: u32 = 200;
    let cache: Cache<u32, u32> = Cache::builder().record_stats().build();
    let loads = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (cache, loads, start) = (cache.clone(), Arc::clone(&loads), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for k in 0..KEYS {
                    let v = cache.get_with(k, || {
                        loads.fetch_add(1, Ordering::SeqCst);
                        k + 1
                    });
                    assert_eq!(v, k + 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = cache.stats();
    assert_eq!(stats.request_count(), THREADS as u64 * KEYS as u64);
    assert_eq!(stats.load_success_count, loads.load(Ordering::SeqCst) as u64);
    assert_eq!(stats.load_failure_count, 0);
    assert!(stats.miss_count >= stats.load_success_count);
}
