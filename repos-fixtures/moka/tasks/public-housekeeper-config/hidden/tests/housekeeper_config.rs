//! Hidden tests of the public housekeeper configuration (`moka::policy::HousekeeperConfig`,
//! `CacheBuilder::housekeeper_config`, `Policy::housekeeper_config`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::policy::{EvictionPolicy, HousekeeperConfig};
use moka::sync::{Cache, SegmentedCache};

#[test]
fn defaults_are_the_documented_ones() {
    let config = HousekeeperConfig::default();
    assert_eq!(config.maintenance_task_timeout(), Duration::from_millis(100));
    assert_eq!(config.max_log_sync_repeats(), 4);
    assert_eq!(config.eviction_batch_size(), 384);
}

#[test]
fn with_methods_set_one_setting_each() {
    let config = HousekeeperConfig::default()
        .with_maintenance_task_timeout(Duration::from_millis(7))
        .with_max_log_sync_repeats(2)
        .with_eviction_batch_size(16);
    assert_eq!(config.maintenance_task_timeout(), Duration::from_millis(7));
    assert_eq!(config.max_log_sync_repeats(), 2);
    assert_eq!(config.eviction_batch_size(), 16);
    let only_batch = HousekeeperConfig::default().with_eviction_batch_size(1);
    assert_eq!(only_batch.max_log_sync_repeats(), 4);
    assert_eq!(only_batch.maintenance_task_timeout(), Duration::from_millis(100));
    assert_ne!(only_batch, HousekeeperConfig::default());
    assert_eq!(only_batch.clone(), only_batch);
}

#[test]
fn a_zero_timeout_is_allowed() {
    let config = HousekeeperConfig::default().with_maintenance_task_timeout(Duration::ZERO);
    assert_eq!(config.maintenance_task_timeout(), Duration::ZERO);
}

#[test]
#[should_panic(expected = "max_log_sync_repeats")]
fn zero_log_sync_repeats_are_refused() {
    let _ = HousekeeperConfig::default().with_max_log_sync_repeats(0);
}

#[test]
#[should_panic(expected = "eviction_batch_size")]
fn a_zero_eviction_batch_is_refused() {
    let _ = HousekeeperConfig::default().with_eviction_batch_size(0);
}

#[test]
fn the_policy_reports_the_builders_config() {
    let config = HousekeeperConfig::default()
        .with_max_log_sync_repeats(1)
        .with_eviction_batch_size(8);
    let cache: Cache<u32, u32> = Cache::builder()
        .max_capacity(100)
        .housekeeper_config(config.clone())
        .build();
    assert_eq!(cache.policy().housekeeper_config(), &config);
    let plain: Cache<u32, u32> = Cache::new(10);
    assert_eq!(plain.policy().housekeeper_config(), &HousekeeperConfig::default());
}

#[test]
fn a_segmented_cache_reports_its_segments_config() {
    let config = HousekeeperConfig::default().with_eviction_batch_size(3);
    let cache: SegmentedCache<u32, u32> = Cache::builder()
        .max_capacity(100)
        .housekeeper_config(config.clone())
        .segments(4)
        .build();
    let policy = cache.policy();
    assert_eq!(policy.num_segments(), 4);
    assert_eq!(policy.max_capacity(), Some(100));
    assert_eq!(policy.housekeeper_config(), &config);
}

#[test]
fn a_batch_of_one_still_evicts_down_to_capacity() {
    let cache: Cache<u32, u32> = Cache::builder()
        .max_capacity(10)
        .eviction_policy(EvictionPolicy::lru())
        .housekeeper_config(
            HousekeeperConfig::default()
                .with_max_log_sync_repeats(1)
                .with_eviction_batch_size(1),
        )
        .build();
    for k in 0..60 {
        cache.insert(k, k);
    }
    for _ in 0..200 {
        cache.run_pending_tasks();
        if cache.entry_count() <= 10 {
            break;
        }
    }
    assert!(cache.entry_count() <= 10, "entry_count {}", cache.entry_count());
}

#[test]
fn a_zero_timeout_with_a_listener_still_notifies_every_eviction() {
    let evicted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&evicted);
    let cache: Cache<u32, u32> = Cache::builder()
        .max_capacity(5)
        .eviction_policy(EvictionPolicy::lru())
        .eviction_listener(move |_k, _v, cause| {
            if cause == RemovalCause::Size {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        })
        .housekeeper_config(
            HousekeeperConfig::default()
                .with_maintenance_task_timeout(Duration::ZERO)
                .with_eviction_batch_size(2),
        )
        .build();
    for k in 0..25 {
        cache.insert(k, k);
    }
    let settled = |cache: &Cache<u32, u32>| {
        cache.entry_count() <= 5
            && evicted.load(Ordering::SeqCst) as u64 + cache.entry_count() == 25
    };
    for _ in 0..500 {
        cache.run_pending_tasks();
        if settled(&cache) {
            break;
        }
    }
    assert!(cache.entry_count() <= 5, "entry_count {}", cache.entry_count());
    assert_eq!(evicted.load(Ordering::SeqCst) as u64, 25 - cache.entry_count());
}
