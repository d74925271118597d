//! Short-circuiting `collect()` into `Option`, `Result` and `ControlFlow`.

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow::{self, Break, Continue};
use std::sync::atomic::{AtomicUsize, Ordering};

fn single_thread<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(op)
}

#[test]
fn control_flow_collects_every_continue_in_order() {
    let v: ControlFlow<String, Vec<u32>> = (0..10_000).into_par_iter().map(Continue).collect();
    assert_eq!(v, Continue((0..10_000).collect()));
    let s: ControlFlow<(), BTreeSet<u32>> = vec![3, 1, 2].into_par_iter().map(Continue).collect();
    assert_eq!(s, Continue([1, 2, 3].into_iter().collect()));
    let empty: ControlFlow<u8, Vec<u8>> = Vec::<ControlFlow<u8, u8>>::new().into_par_iter().collect();
    assert_eq!(empty, Continue(vec![]));
}

#[test]
fn control_flow_returns_the_break() {
    let v: ControlFlow<usize, Vec<usize>> = (0..10_000)
        .into_par_iter()
        .map(|i| if i == 4_321 { Break(i) } else { Continue(i) })
        .collect();
    assert_eq!(v, Break(4_321));
}

#[test]
fn control_flow_with_several_breaks_returns_one_of_them() {
    for _ in 0..50 {
        let v: ControlFlow<usize, Vec<usize>> = (0..10_000)
            .into_par_iter()
            .map(|i| if i % 1_000 == 999 { Break(i) } else { Continue(i) })
            .collect();
        match v {
            Break(b) => assert_eq!(b % 1_000, 999, "{b} was never a Break"),
            Continue(_) => panic!("a Break was lost"),
        }
    }
}

#[test]
fn control_flow_collects_into_nested_containers() {
    let v: ControlFlow<(), (Vec<u32>, Vec<u32>)> = (0..100u32)
        .into_par_iter()
        .map(|i| Continue((i, i * 2)))
        .collect();
    assert_eq!(v, Continue(((0..100).collect(), (0..100).map(|i| i * 2).collect())));
    let m: ControlFlow<&str, HashMap<u32, u32>> = (0..10u32)
        .into_par_iter()
        .map(|i| if i == 7 { Break("seven") } else { Continue((i, i)) })
        .collect();
    assert_eq!(m, Break("seven"));
    let unit: ControlFlow<i32, ()> = (0..100).into_par_iter().map(|_| Continue(())).collect();
    assert_eq!(unit, Continue(()));
}

#[test]
fn control_flow_stops_at_the_first_break_on_one_thread() {
    let calls = AtomicUsize::new(0);
    let v: ControlFlow<usize, Vec<usize>> = single_thread(|| {
        (0..100_000)
            .into_par_iter()
            .map(|i| {
                calls.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    Break(i)
                } else {
                    Continue(i)
                }
            })
            .collect()
    });
    assert_eq!(v, Break(0));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn option_and_result_keep_their_behaviour() {
    let some: Option<Vec<i32>> = (0..1_000).into_par_iter().map(Some).collect();
    assert_eq!(some, Some((0..1_000).collect()));
    let none: Option<Vec<i32>> = (0..1_000)
        .into_par_iter()
        .map(|i| if i == 500 { None } else { Some(i) })
        .collect();
    assert_eq!(none, None);
    let ok: Result<Vec<i32>, String> = (0..1_000).into_par_iter().map(Ok).collect();
    assert_eq!(ok, Ok((0..1_000).collect()));
    let err: Result<Vec<i32>, String> = (0..1_000)
        .into_par_iter()
        .map(|i| if i == 999 { Err(format!("bad {i}")) } else { Ok(i) })
        .collect();
    assert_eq!(err, Err("bad 999".to_string()));
}

#[test]
fn option_and_result_stop_early_on_one_thread() {
    let calls = AtomicUsize::new(0);
    let none: Option<Vec<usize>> = single_thread(|| {
        (0..100_000)
            .into_par_iter()
            .map(|i| {
                calls.fetch_add(1, Ordering::SeqCst);
                (i != 0).then_some(i)
            })
            .collect()
    });
    assert_eq!(none, None);
    assert_eq!(calls.swap(0, Ordering::SeqCst), 1);
    let err: Result<Vec<usize>, usize> = single_thread(|| {
        (0..100_000)
            .into_par_iter()
            .map(|i| {
                calls.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    Err(i)
                } else {
                    Ok(i)
                }
            })
            .collect()
    });
    assert_eq!(err, Err(0));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn failures_are_found_under_contention() {
    for round in 0..100usize {
        let bad = (round * 7_919) % 20_000;
        let v: ControlFlow<usize, Vec<usize>> = (0..20_000)
            .into_par_iter()
            .map(|i| if i == bad { Break(i) } else { Continue(i) })
            .collect();
        assert_eq!(v, Break(bad));
        let o: Option<Vec<usize>> = (0..20_000)
            .into_par_iter()
            .map(|i| (i != bad).then_some(i))
            .collect();
        assert_eq!(o, None);
    }
}
