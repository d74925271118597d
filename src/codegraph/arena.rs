//! A per-thread arena for tree-sitter's C allocations while one file is parsed and read.
//!
//! In: tree-sitter's `malloc`, `calloc`, `realloc` and `free` (installed once, with
//! [`install`]). Out: memory bumped from this thread's arena while [`scope`] runs, mimalloc
//! otherwise.
//!
//! Parsing allocates a node per token and freeing a tree releases them one by one: on a large
//! Rust tree the release alone took a tenth of a cold pack's CPU, and the allocator another
//! tenth. Inside [`scope`], allocation is a bump, `free` does nothing, and when the scope ends
//! the whole arena is reset at once, keeping its largest chunk (already paged in) for the next
//! file. The parser and the tree made inside a scope must therefore never be used or dropped
//! after it: the caller forgets them (see [`scope`]'s contract).

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::ptr;

/// Alignment of every block (what C's `malloc` guarantees on 64-bit targets), and the size of
/// the header before it, which holds the block's size for `realloc`.
const ALIGN: usize = 16;
/// First chunk size; later chunks double (or fit the request).
const FIRST_CHUNK: usize = 1 << 20;

/// Bytes a block of `size` takes in a chunk: its header, and the size rounded up to ALIGN.
fn block_len(size: usize) -> Option<usize> {
    size.checked_add(2 * ALIGN - 1).map(|n| n & !(ALIGN - 1))
}

struct Chunk {
    start: *mut u8,
    cap: usize,
}

struct Arena {
    active: bool,
    /// Chunks from mimalloc, oldest first; allocation bumps in the last one.
    chunks: Vec<Chunk>,
    /// Bytes used in the last chunk.
    top: usize,
    /// The most recent block (its payload), which `realloc` may grow in place.
    last: *mut u8,
}

impl Arena {
    const EMPTY: Arena = Arena {
        active: false,
        chunks: Vec::new(),
        top: 0,
        last: ptr::null_mut(),
    };

    fn contains(&self, p: *mut u8) -> bool {
        let p = p as usize;
        self.chunks
            .iter()
            .any(|c| p >= c.start as usize && p < c.start as usize + c.cap)
    }

    /// A block of `size` bytes (16-aligned, after a 16-byte header holding `size`).
    fn alloc(&mut self, size: usize) -> *mut u8 {
        let Some(need) = block_len(size) else {
            return ptr::null_mut();
        };
        let fits = self.chunks.last().is_some_and(|c| c.cap - self.top >= need);
        if !fits {
            let cap = self
                .chunks
                .last()
                .map_or(FIRST_CHUNK, |c| c.cap.saturating_mul(2))
                .max(need);
            // SAFETY: plain allocation; null is handled.
            let start = unsafe { libmimalloc_sys::mi_malloc_aligned(cap, ALIGN) } as *mut u8;
            if start.is_null() {
                return ptr::null_mut();
            }
            self.chunks.push(Chunk { start, cap });
            self.top = 0;
        }
        let chunk = self.chunks.last().expect("a chunk was just ensured");
        // SAFETY: `top + need <= cap`, so header and payload lie inside the chunk; the chunk
        // start and `top` are multiples of ALIGN, so both writes are aligned.
        unsafe {
            let header = chunk.start.add(self.top);
            (header as *mut usize).write(size);
            self.top += need;
            self.last = header.add(ALIGN);
            self.last
        }
    }

    /// The size recorded before a block of this arena.
    ///
    /// # Safety
    /// `p` is a payload pointer this arena returned since its last reset.
    unsafe fn size_of(p: *mut u8) -> usize {
        unsafe { (p.sub(ALIGN) as *const usize).read() }
    }

    fn realloc(&mut self, p: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: the caller checked that `p` is one of ours.
        let old = unsafe { Arena::size_of(p) };
        if p == self.last {
            // The newest block grows (or shrinks) in place when the chunk has room.
            let chunk = self.chunks.last().expect("the newest block has a chunk");
            let used_before = p as usize - ALIGN - chunk.start as usize;
            if let Some(need) = block_len(size) {
                if chunk.cap - used_before >= need {
                    // SAFETY: the header of `p` is inside the chunk and aligned.
                    unsafe { (p.sub(ALIGN) as *mut usize).write(size) };
                    self.top = used_before + need;
                    return p;
                }
            }
        }
        let new = self.alloc(size);
        if !new.is_null() {
            // SAFETY: both blocks are at least min(old, size) long and do not overlap (`new`
            // was bumped past `p`'s block).
            unsafe { ptr::copy_nonoverlapping(p, new, old.min(size)) };
        }
        new
    }

    /// Forgets every block: keeps the largest chunk, frees the others.
    fn reset(&mut self) {
        if let Some(largest) = self.chunks.pop() {
            for c in self.chunks.drain(..) {
                // SAFETY: allocated by mi_malloc_aligned and no longer referenced.
                unsafe { libmimalloc_sys::mi_free(c.start as *mut c_void) };
            }
            self.chunks.push(largest);
        }
        self.top = 0;
        self.last = ptr::null_mut();
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for c in self.chunks.drain(..) {
            // SAFETY: allocated by mi_malloc_aligned; the thread is ending and no scope is
            // active, so nothing points into it.
            unsafe { libmimalloc_sys::mi_free(c.start as *mut c_void) };
        }
    }
}

thread_local! {
    static ARENA: UnsafeCell<Arena> = const { UnsafeCell::new(Arena::EMPTY) };
}

/// Runs `f` on this thread's arena if a scope is active; `None` otherwise (or while the
/// thread is being torn down).
fn with_active<R>(f: impl FnOnce(&mut Arena) -> R) -> Option<R> {
    ARENA
        .try_with(|cell| {
            // SAFETY: the arena is only touched by this thread, and never re-entered: none of
            // its methods calls back into tree-sitter's allocator.
            let arena = unsafe { &mut *cell.get() };
            arena.active.then(|| f(arena))
        })
        .ok()
        .flatten()
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    match with_active(|a| a.alloc(size)) {
        Some(p) => p as *mut c_void,
        // SAFETY: plain allocation.
        None => unsafe { libmimalloc_sys::mi_malloc(size) },
    }
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(bytes) = count.checked_mul(size) else {
        return ptr::null_mut();
    };
    match with_active(|a| a.alloc(bytes)) {
        Some(p) => {
            if !p.is_null() {
                // SAFETY: a fresh block of `bytes` bytes (arena memory is reused, so zero it).
                unsafe { ptr::write_bytes(p, 0, bytes) };
            }
            p as *mut c_void
        }
        // SAFETY: plain allocation.
        None => unsafe { libmimalloc_sys::mi_calloc(count, size) },
    }
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    if p.is_null() {
        // SAFETY: same contract as malloc.
        return unsafe { ts_malloc(size) };
    }
    let ours = with_active(|a| {
        a.contains(p as *mut u8)
            .then(|| a.realloc(p as *mut u8, size))
    });
    match ours.flatten() {
        Some(new) => new as *mut c_void,
        // SAFETY: `p` came from mimalloc (an arena block is never seen outside its scope).
        None => unsafe { libmimalloc_sys::mi_realloc(p, size) },
    }
}

unsafe extern "C" fn ts_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    let ours = with_active(|a| a.contains(p as *mut u8)).unwrap_or(false);
    if !ours {
        // SAFETY: `p` came from mimalloc (see ts_realloc).
        unsafe { libmimalloc_sys::mi_free(p) };
    }
}

/// Points tree-sitter's C allocations at this module, once, before the first tree-sitter
/// object exists (every parser and query is made after this ran).
pub(crate) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: runs before any tree-sitter allocation of this process (see above), so
        // nothing allocated by one allocator is ever freed by another; outside a scope the
        // hooks are mimalloc's.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_malloc,
                calloc: ts_calloc,
                realloc: ts_realloc,
                free: ts_free,
            }));
        }
    });
}

/// Deactivates and resets the arena when the scope ends, also on unwinding (after the
/// scope's own locals, whose frees are still the arena's no-ops, were dropped).
struct ScopeGuard;

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let _ = ARENA.try_with(|cell| {
            // SAFETY: this thread's arena, not re-entered (see with_active).
            let arena = unsafe { &mut *cell.get() };
            arena.active = false;
            arena.reset();
        });
    }
}

/// Runs `f` with tree-sitter's allocations on this thread going to the arena, then frees them
/// all at once.
///
/// # Safety
/// Nothing tree-sitter allocated inside `f` (a parser, a tree, a cursor, a query) may be used
/// or dropped after `f` returns: forget them inside `f` (`std::mem::forget`) or drop them there.
/// `f` must not start another scope on this thread.
pub(crate) unsafe fn scope<R>(f: impl FnOnce() -> R) -> R {
    install();
    ARENA.with(|cell| {
        // SAFETY: this thread's arena, not re-entered (see with_active).
        let arena = unsafe { &mut *cell.get() };
        assert!(!arena.active, "tree-sitter arena scopes do not nest");
        arena.active = true;
    });
    let _guard = ScopeGuard;
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active<R>(f: impl FnOnce() -> R) -> R {
        // SAFETY: the tests only allocate raw blocks, all used inside the scope.
        unsafe { scope(f) }
    }

    #[test]
    fn blocks_are_aligned_distinct_and_keep_their_bytes_across_realloc() {
        install();
        active(|| unsafe {
            let a = ts_malloc(5) as *mut u8;
            let b = ts_calloc(3, 7) as *mut u8;
            assert_eq!(a as usize % ALIGN, 0);
            assert_eq!(b as usize % ALIGN, 0);
            assert!(b as usize >= a as usize + 16, "blocks do not overlap");
            assert!((0..21).all(|i| *b.add(i) == 0), "calloc zeroes");
            ptr::copy_nonoverlapping(b"hello".as_ptr(), a, 5);
            // `a` is not the newest block: it moves, its bytes with it.
            let a2 = ts_realloc(a as *mut c_void, 4000) as *mut u8;
            assert_ne!(a2, a);
            assert_eq!(std::slice::from_raw_parts(a2, 5), b"hello");
            // The newest block grows in place.
            let a3 = ts_realloc(a2 as *mut c_void, 8000) as *mut u8;
            assert_eq!(a3, a2);
            assert_eq!(std::slice::from_raw_parts(a3, 5), b"hello");
            // Larger than a chunk: a new chunk, the bytes copied.
            let a4 = ts_realloc(a3 as *mut c_void, 3 * FIRST_CHUNK) as *mut u8;
            assert_eq!(std::slice::from_raw_parts(a4, 5), b"hello");
            *a4.add(3 * FIRST_CHUNK - 1) = 7;
            ts_free(a4 as *mut c_void);
            ts_free(b as *mut c_void);
        });
    }

    #[test]
    fn a_scope_resets_to_its_largest_chunk_and_outside_it_memory_is_mimallocs() {
        install();
        active(|| unsafe {
            ts_malloc(100);
            ts_malloc(2 * FIRST_CHUNK);
        });
        ARENA.with(|cell| {
            let arena = unsafe { &*cell.get() };
            assert!(!arena.active);
            assert_eq!(arena.chunks.len(), 1, "only the largest chunk is kept");
            assert_eq!(arena.top, 0);
        });
        // Outside a scope: mimalloc, freed for real.
        unsafe {
            let p = ts_malloc(64);
            assert!(!p.is_null());
            ARENA.with(|cell| assert!(!(*cell.get()).contains(p as *mut u8)));
            let p = ts_realloc(p, 128);
            ts_free(p);
        }
    }

    #[test]
    fn a_scope_that_panics_still_ends() {
        install();
        let caught = std::panic::catch_unwind(|| active(|| panic!("inside the scope")));
        assert!(caught.is_err());
        ARENA.with(|cell| assert!(!unsafe { &*cell.get() }.active));
        // A new scope may start.
        active(|| unsafe { ts_free(ts_malloc(8)) });
    }
}
