//! The isolate's allocator. QuickJS takes its memory from here (its arenas
//! and large blocks), so the isolate's memory limit is enforced here, and a
//! refused allocation is recorded: whether an isolate ran out of memory is
//! then read from this state, never guessed from an exception's text.

use rquickjs::allocator::Allocator;
use std::cell::Cell;
use std::rc::Rc;

/// What one isolate may allocate, what it holds, and whether it was refused.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: Cell<usize>,
    exceeded: Cell<bool>,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Rc<Budget> {
        Rc::new(Budget {
            limit,
            used: Cell::new(0),
            exceeded: Cell::new(false),
        })
    }

    /// Whether an allocation was refused for going over the limit. Sticky:
    /// an isolate that ran out of memory is replaced, as on Cloudflare, even
    /// if its code caught the error.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// Charges `more` bytes held outside the allocator (WebAssembly linear
    /// memory and tables): `false`, with the breach recorded, when they do
    /// not fit. Never given back: such memory lives as long as the isolate.
    pub(crate) fn charge(&self, more: usize) -> bool {
        let fits = self.admit(more);
        if fits {
            self.used.set(self.used.get() + more);
        }
        fits
    }

    /// Whether `more` bytes fit; records the breach when they do not.
    fn admit(&self, more: usize) -> bool {
        let fits = self
            .used
            .get()
            .checked_add(more)
            .is_some_and(|total| total <= self.limit);
        if !fits {
            self.exceeded.set(true);
        }
        fits
    }
}

/// libc's allocator, metered against a [`Budget`].
pub(crate) struct MeteredAllocator(pub(crate) Rc<Budget>);

// SAFETY: every pointer comes from libc's malloc family, which returns
// memory aligned for any type (so for `usize`), and `usable_size` is libc's
// own answer for such pointers.
unsafe impl Allocator for MeteredAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.0.admit(size) {
            return std::ptr::null_mut();
        }
        // SAFETY: plain libc allocation.
        let ptr = unsafe { libc::malloc(size) }.cast::<u8>();
        if !ptr.is_null() {
            // SAFETY: `ptr` was just returned by malloc.
            let got = unsafe { Self::usable_size(ptr) };
            self.0.used.set(self.0.used.get() + got);
        }
        ptr
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        if !self.0.admit(total) {
            return std::ptr::null_mut();
        }
        // SAFETY: plain libc allocation.
        let ptr = unsafe { libc::calloc(count, size) }.cast::<u8>();
        if !ptr.is_null() {
            // SAFETY: `ptr` was just returned by calloc.
            let got = unsafe { Self::usable_size(ptr) };
            self.0.used.set(self.0.used.get() + got);
        }
        ptr
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        let held = Self::usable_size(ptr);
        self.0.used.set(self.0.used.get().saturating_sub(held));
        libc::free(ptr.cast());
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.alloc(new_size);
        }
        let old = Self::usable_size(ptr);
        if new_size > old && !self.0.admit(new_size - old) {
            return std::ptr::null_mut();
        }
        let moved = libc::realloc(ptr.cast(), new_size).cast::<u8>();
        if !moved.is_null() {
            let got = Self::usable_size(moved);
            self.0
                .used
                .set((self.0.used.get() + got).saturating_sub(old));
        }
        moved
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        libc::malloc_usable_size(ptr.cast())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_remembers() {
        let budget = Budget::new(1 << 20);
        let mut allocator = MeteredAllocator(budget.clone());
        let small = allocator.alloc(1024);
        assert!(!small.is_null());
        assert!(!budget.exceeded());
        assert!(allocator.alloc(2 << 20).is_null());
        assert!(budget.exceeded());
        // SAFETY: `small` came from this allocator.
        unsafe { allocator.dealloc(small) };
        assert_eq!(budget.used.get(), 0);
    }

    #[test]
    fn growth_counts_against_the_limit() {
        let budget = Budget::new(64 * 1024);
        let mut allocator = MeteredAllocator(budget.clone());
        let ptr = allocator.alloc(1024);
        // SAFETY: `ptr` came from this allocator; a refused realloc leaves it valid.
        unsafe {
            assert!(allocator.realloc(ptr, 1 << 20).is_null());
            assert!(budget.exceeded());
            let grown = allocator.realloc(ptr, 8 * 1024);
            assert!(!grown.is_null());
            assert!(budget.used.get() >= 8 * 1024);
            allocator.dealloc(grown);
        }
        assert_eq!(budget.used.get(), 0);
    }
}
