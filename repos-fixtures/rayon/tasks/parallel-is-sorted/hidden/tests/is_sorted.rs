//! `IndexedParallelIterator::is_sorted*` and `ParallelSlice::par_is_sorted*`.

use rand::distributions::Uniform;
use rand::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;
use rayon::prelude::*;

fn rng() -> XorShiftRng {
    XorShiftRng::from_seed([7; 16])
}

#[test]
fn empty_and_single_are_sorted() {
    let empty: Vec<i32> = Vec::new();
    assert!(empty.par_iter().is_sorted());
    assert!(empty.par_is_sorted());
    assert!([42].par_iter().is_sorted());
    assert!([42].par_is_sorted());
    assert!((0..0).into_par_iter().is_sorted_by(|_, _| false));
    assert!((0..1).into_par_iter().is_sorted_by(|_, _| false));
}

#[test]
fn sorted_ranges_and_equal_runs() {
    assert!((0..100_000).into_par_iter().is_sorted());
    assert!(!(0..100_000).into_par_iter().rev().is_sorted());
    assert!((0..100_000).into_par_iter().rev().is_sorted_by(|a, b| a >= b));
    let v = vec![3u8; 10_000];
    assert!(v.par_iter().is_sorted());
    assert!(v.par_is_sorted());
    assert!(!v.par_iter().is_sorted_by(|a, b| a < b));
}

#[test]
fn one_inversion_anywhere_is_found() {
    let sorted: Vec<u32> = (0..2_000).collect();
    for i in (0..sorted.len() - 1).step_by(37).chain([0, 1_998]) {
        let mut v = sorted.clone();
        v.swap(i, i + 1);
        assert!(!v.par_iter().is_sorted(), "swap at {i}");
        assert!(!v.par_is_sorted(), "swap at {i}");
        assert!(!v.par_iter().with_max_len(1).is_sorted(), "swap at {i}");
        assert!(!v.clone().into_par_iter().is_sorted(), "swap at {i}");
    }
}

#[test]
fn inversions_at_every_split_boundary() {
    // With max_len 1 every adjacent pair straddles two parts of the split.
    let v = vec![0, 1, 2, 3, 5, 4, 6, 7];
    assert!(!v.par_iter().with_max_len(1).is_sorted());
    assert!(!v.par_iter().with_min_len(4).is_sorted());
    let w = vec![0, 1, 2, 3, 4, 5, 6, 7];
    assert!(w.par_iter().with_max_len(1).is_sorted());
    assert!(w.par_iter().with_min_len(8).is_sorted());
}

#[test]
fn agrees_with_the_sequential_check() {
    let mut rng = rng();
    for len in [2usize, 3, 10, 100, 1_000, 5_000] {
        for _ in 0..20 {
            let mut v: Vec<i32> = (&mut rng).sample_iter(Uniform::new(0, 4)).take(len).collect();
            if rng.gen_bool(0.5) {
                v.sort();
                if rng.gen_bool(0.5) {
                    let i = rng.gen_range(0..len - 1);
                    v.swap(i, i + 1);
                }
            }
            let expected = v.windows(2).all(|w| w[0] <= w[1]);
            assert_eq!(v.par_iter().is_sorted(), expected, "{v:?}");
            assert_eq!(v.par_is_sorted(), expected, "{v:?}");
            assert_eq!(v.clone().into_par_iter().is_sorted(), expected, "{v:?}");
            let strictly = v.windows(2).all(|w| w[0] < w[1]);
            assert_eq!(v.par_iter().is_sorted_by(|a, b| a < b), strictly);
            assert_eq!(v.par_is_sorted_by(|a, b| a < b), strictly);
        }
    }
}

#[test]
fn incomparable_items_are_not_sorted() {
    assert!(![1.0, f64::NAN, 2.0].par_iter().is_sorted());
    assert!(![1.0, f64::NAN, 2.0].par_is_sorted());
    assert!([1.0, 2.0, f64::INFINITY].par_iter().is_sorted());
    let v: Vec<f64> = (0..1_000).map(f64::from).chain([f64::NAN]).collect();
    assert!(!v.par_iter().is_sorted());
}

#[test]
fn by_key_compares_the_keys() {
    let words = vec!["a", "bb", "aa", "ccc", "b"];
    assert!(!words.par_iter().is_sorted_by_key(|w| w.len()));
    let mut sorted = words.clone();
    sorted.sort_by_key(|w| w.len());
    assert!(sorted.par_iter().is_sorted_by_key(|w| w.len()));
    assert!(sorted.par_is_sorted_by_key(|w| w.len()));
    assert!(!sorted.par_is_sorted());
    assert!((0..1_000i32).into_par_iter().is_sorted_by_key(|x| x / 10));
    assert!(!(0..1_000i32).into_par_iter().is_sorted_by_key(|x| -(x / 10)));
    assert!(![-3i32, 1, 2].par_is_sorted_by_key(|x| x.abs()));
}

#[test]
fn owned_items_need_no_clone() {
    #[derive(PartialEq, PartialOrd, Debug)]
    struct NoClone(u32);
    let v: Vec<NoClone> = (0..5_000).map(NoClone).collect();
    assert!(v.into_par_iter().is_sorted());
    let w: Vec<String> = ["b", "a"].iter().map(|s| s.to_string()).collect();
    assert!(!w.into_par_iter().is_sorted());
}

#[test]
fn comparator_sees_every_adjacent_pair_in_order() {
    // compare(a, b) is only ever called with b right after a.
    let ok = (0..50_000usize)
        .into_par_iter()
        .is_sorted_by(|a, b| *b == *a + 1);
    assert!(ok);
    let v: Vec<usize> = (0..50_000).filter(|&x| x != 25_000).collect();
    assert!(!v.par_iter().is_sorted_by(|a, b| **b == **a + 1));
    assert!(!v.par_is_sorted_by(|a, b| *b == *a + 1));
}
