//! The allocator of a plugin instance (feature `arena`, on by default).
//!
//! The host gives every event a fresh instance and throws it away after one
//! call, memory and all, so memory freed while an event is handled would
//! never be reused anyway. While `handle` runs (and while the host copies its
//! arguments in), allocations are therefore carved out of one static 64 KiB
//! block by moving a pointer, and freeing them does nothing. The configuration
//! checks and the manifest, which may allocate and free a lot (keyword-rules
//! compiles regexes there), use the system allocator (wasi-libc's
//! `dlmalloc`), and so does everything once the block is used up: a plugin
//! that allocates a lot still gets every byte the memory limit allows.
//!
//! Measured with keyword-rules, this took about a quarter of the plugin's
//! own time per message: `dlmalloc` was the largest item in its profile.
//!
//! A plugin that wants another allocator turns the feature off
//! (`default-features = false, features = ["guest"]`) and declares its own
//! `#[global_allocator]`.

// An allocator is `unsafe` by nature; each block says why it is sound.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// Bytes of the block that events allocate from.
const BLOCK: usize = 64 << 10;

/// The block: zeroed memory of the module (`.bss`), so it is part of the
/// instance's initial memory and taking it costs no `memory.grow`.
#[repr(C, align(16))]
struct Block(UnsafeCell<[u8; BLOCK]>);

// SAFETY: an instance is single-threaded, and the arena hands out each byte
// of the block at most once.
unsafe impl Sync for Block {}

static BLOCK_MEMORY: Block = Block(UnsafeCell::new([0; BLOCK]));

/// The plugin instance's global allocator (see the module documentation).
///
/// An instance is single-threaded; the atomics only make the type `Sync`
/// and compile to plain loads and stores on `wasm32`.
#[derive(Debug)]
pub struct EventArena {
    /// Whether new allocations come from the block (until it is used up).
    bumping: AtomicBool,
    /// Bytes of the block handed out so far.
    used: AtomicUsize,
}

impl EventArena {
    /// An arena that bumps from the start (the instance's first call is
    /// usually `handle`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bumping: AtomicBool::new(true),
            used: AtomicUsize::new(0),
        }
    }

    /// Sends every later allocation to the system allocator (the manifest
    /// and the configuration checks, which free what they allocate).
    pub fn stop_bumping(&self) {
        self.bumping.store(false, Relaxed);
    }

    fn block() -> *mut u8 {
        BLOCK_MEMORY.0.get().cast()
    }

    /// Where `ptr` lies in the block, if it does.
    fn offset_of(ptr: *mut u8) -> Option<usize> {
        let offset = ptr.addr().checked_sub(Self::block().addr())?;
        (offset < BLOCK).then_some(offset)
    }

    /// `layout` from the block, or `None` when it does not fit.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        let block = Self::block();
        let free = block.addr() + self.used.load(Relaxed);
        let offset = free.checked_next_multiple_of(layout.align())? - block.addr();
        let end = offset.checked_add(layout.size())?;
        if end > BLOCK {
            return None;
        }
        self.used.store(end, Relaxed);
        // SAFETY: `offset + size <= BLOCK`, inside the block.
        Some(unsafe { block.add(offset) })
    }
}

impl Default for EventArena {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every pointer handed out is either from `System` (and given back
// to it) or a distinct, aligned range of the block, which is never handed
// out twice: `used` only grows, and the block is static. Freeing a block
// pointer does nothing; reallocating one keeps it when it shrinks or is
// the last allocation and still fits, and copies it otherwise.
unsafe impl GlobalAlloc for EventArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.bumping.load(Relaxed)
            && let Some(p) = self.bump(layout)
        {
            return p;
        }
        // SAFETY: the caller's contract (a non-zero size) is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::offset_of(ptr).is_none() {
            // SAFETY: not from the block, so from `System` with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(offset) = Self::offset_of(ptr) else {
            // SAFETY: not from the block, so from `System` with `layout`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        };
        if new_size <= layout.size() {
            // Shrinking: the rest of the range is simply never used.
            return ptr;
        }
        // The last allocation grows in place when it fits.
        if offset + layout.size() == self.used.load(Relaxed)
            && let Some(end) = offset.checked_add(new_size)
            && end <= BLOCK
        {
            self.used.store(end, Relaxed);
            return ptr;
        }
        // SAFETY: `layout.align()` is a power of two and the caller
        // promises `new_size` rounded to it does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_size` is non-zero (the caller's contract).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both ranges are valid for the smaller size and do not
            // overlap (the new one was never handed out before).
            unsafe { ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}
