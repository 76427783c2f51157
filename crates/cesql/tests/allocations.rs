//! `matches` over events that lend their strings allocates nothing for the common filters.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

use cesql::{Attribute, Event, Expression};

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Counts allocations made by the current thread.
struct Counting;

// SAFETY: forwards every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Stored {
    kind: String,
    source: String,
    subject: String,
    seq: i32,
}

impl Event for Stored {
    fn attribute(&self, name: &str) -> Option<Attribute<'_>> {
        fn lend(s: &str) -> Option<Attribute<'_>> {
            Some(Attribute::String(Cow::Borrowed(s)))
        }
        match name {
            "id" => Some(Attribute::String(Cow::Borrowed("e-1"))),
            "type" => lend(&self.kind),
            "source" => lend(&self.source),
            "subject" => lend(&self.subject),
            "seq" => Some(Attribute::Integer(self.seq)),
            _ => None,
        }
    }
}

#[test]
fn common_filters_allocate_nothing() {
    let event = Stored {
        kind: "com.example.order.created".into(),
        source: "/orders".into(),
        subject: "  customer-7 ".into(),
        seq: 42,
    };
    for (text, want) in [
        ("type = 'com.example.order.created'", true),
        ("type <> 'x' AND source != '/billing'", true),
        ("seq > 10 AND seq * 2 = 84 AND -seq < 0", true),
        ("seq = 42 AND seq IN (1, 2, 42)", true),
        ("type LIKE 'com.%.created' AND NOT (source LIKE '%bill%')", true),
        ("source IN ('/billing', '/orders') XOR FALSE", true),
        ("EXISTS subject AND NOT EXISTS nope", true),
        ("LENGTH(type) > 5 AND LEFT(source, 2) = '/o' AND TRIM(subject) = 'customer-7'", true),
        ("LOWER(source) = '/orders' AND SUBSTRING(type, 5) LIKE 'example%'", true),
        ("TRUE OR nope = 1", true),
        // Errors only count in filtering: no message is formatted.
        ("nope = 'x'", false),
        ("seq / 0 = 0", false),
        ("type = 1", false),
        ("UNKNOWN(type)", false),
    ] {
        let expression = Expression::parse(text).unwrap();
        let before = ALLOCATIONS.with(Cell::get);
        let matched = expression.matches(&event);
        let allocations = ALLOCATIONS.with(Cell::get) - before;
        assert_eq!(matched, want, "{text}");
        assert_eq!(allocations, 0, "{text}");
    }
    // The counter does see allocations: CONCAT builds a new String.
    let concat = Expression::parse("CONCAT(type, '!') = 'x'").unwrap();
    let before = ALLOCATIONS.with(Cell::get);
    assert!(!concat.matches(&event));
    assert!(ALLOCATIONS.with(Cell::get) > before);
}
