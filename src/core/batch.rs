//! Arrivals buffered between animation frames, so a burst of events costs one render (DESIGN §6:
//! at most one render per frame). Scheduling the frame and rendering belong to the UI.

/// Arrivals waiting for the next animation frame (DESIGN §6: at most one render per frame).
///
/// The batch tracks whether a flush is already scheduled: only the first push after a drain asks for
/// one, so a burst of 1,000 events costs one `requestAnimationFrame`, not 1,000.
#[derive(Debug, Clone)]
pub struct FrameBatch<T> {
    items: Vec<T>,
    /// A flush was asked for and has not drained yet.
    scheduled: bool,
    paused: bool,
}

impl<T> Default for FrameBatch<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> FrameBatch<T> {
    /// An empty, running batch with no flush scheduled.
    pub fn new() -> Self {
        Self { items: Vec::new(), scheduled: false, paused: false }
    }

    /// Adds an item; returns true when the caller must schedule a flush (the first push since the last
    /// drain, and never while paused), so a burst costs one `requestAnimationFrame`, not one per event.
    pub fn push(&mut self, item: T) -> bool {
        self.items.push(item);
        self.ask_for_flush()
    }

    /// Adds every item in order; returns true when the caller must schedule a flush, as [`push`] does.
    /// Adding nothing asks for nothing.
    ///
    /// [`push`]: FrameBatch::push
    pub fn extend(&mut self, items: impl IntoIterator<Item = T>) -> bool {
        let before = self.items.len();
        self.items.extend(items);
        self.items.len() > before && self.ask_for_flush()
    }

    /// Everything pending, oldest first; the next push schedules again. Call it from the scheduled flush.
    ///
    /// While paused it returns nothing and keeps the items for [`resume`]: a flush scheduled before the
    /// pause may still fire, and the frozen view must not change. Either way the scheduled flush counts
    /// as done, so [`resume`] knows whether to ask for another.
    ///
    /// [`resume`]: FrameBatch::resume
    pub fn drain(&mut self) -> Vec<T> {
        self.scheduled = false;
        if self.paused { Vec::new() } else { std::mem::take(&mut self.items) }
    }

    /// Like [`drain`], but at most the oldest `limit` items. When more are pending they stay,
    /// and the flush still counts as scheduled: the caller flushes them next, in a task of its own.
    /// A tab that drew nothing for a while (in the background, or throttled) finds thousands
    /// waiting, and handing them all over at once is one long task.
    ///
    /// [`drain`]: FrameBatch::drain
    pub fn drain_up_to(&mut self, limit: usize) -> Vec<T> {
        if self.paused || self.items.len() <= limit {
            return self.drain();
        }
        let rest = self.items.split_off(limit);
        std::mem::replace(&mut self.items, rest)
    }

    /// Number of pending items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Freezes the view: pushes still accumulate but never ask for a flush, and drains return nothing.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Unfreezes the view; returns true when the caller must schedule a flush: items are pending and no
    /// flush from before the pause is still outstanding (that one will drain them).
    pub fn resume(&mut self) -> bool {
        self.paused = false;
        !self.items.is_empty() && self.ask_for_flush()
    }

    /// True between [`pause`](FrameBatch::pause) and [`resume`](FrameBatch::resume).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Records that a flush is wanted; true if the caller must schedule it now.
    fn ask_for_flush(&mut self) -> bool {
        if self.paused || self.scheduled {
            return false;
        }
        self.scheduled = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_new_batch_is_empty_and_running() {
        let b = FrameBatch::<u32>::new();
        assert!(b.is_empty());
        assert_eq!(b.len(), 0);
        assert!(!b.is_paused());
    }

    #[test]
    fn a_burst_schedules_one_flush() {
        let mut b = FrameBatch::new();
        let asks: Vec<bool> = (0..100).map(|i| b.push(i)).collect();
        assert!(asks[0]);
        assert!(asks[1..].iter().all(|ask| !ask));
        assert_eq!(b.len(), 100);
    }

    #[test]
    fn drain_returns_items_oldest_first_and_empties_the_batch() {
        let mut b = FrameBatch::new();
        b.push("a");
        b.extend(["b", "c"]);
        b.push("d");
        assert_eq!(b.drain(), ["a", "b", "c", "d"]);
        assert!(b.is_empty());
    }

    #[test]
    fn a_limited_drain_hands_over_the_oldest_and_keeps_the_flush_scheduled_for_the_rest() {
        let mut b = FrameBatch::new();
        assert!(b.extend(0..5));
        assert_eq!(b.drain_up_to(2), [0, 1]);
        assert!(!b.push(5), "the rest is still to be flushed: no second frame is asked for");
        assert_eq!(b.drain_up_to(2), [2, 3]);
        assert_eq!(b.drain_up_to(2), [4, 5]);
        assert!(b.is_empty());
        assert!(b.push(6), "all handed over: the next push asks again");
    }

    #[test]
    fn a_limited_drain_while_paused_hands_over_nothing_and_resume_asks_again() {
        let mut b = FrameBatch::new();
        b.extend(0..5);
        b.pause();
        assert!(b.drain_up_to(2).is_empty());
        assert_eq!(b.len(), 5);
        assert!(b.resume());
        assert_eq!(b.drain_up_to(10), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_first_push_after_a_drain_schedules_again() {
        let mut b = FrameBatch::new();
        assert!(b.push(1));
        b.drain();
        assert!(b.push(2));
        assert!(!b.push(3));
    }

    #[test]
    fn an_empty_drain_still_rearms_scheduling() {
        let mut b = FrameBatch::<u8>::new();
        assert!(b.push(1));
        b.drain();
        assert!(b.drain().is_empty());
        assert!(b.push(2));
    }

    #[test]
    fn extend_schedules_like_push() {
        let mut b = FrameBatch::new();
        assert!(b.extend([1, 2, 3]));
        assert!(!b.extend([4]));
        assert!(!b.push(5));
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn extending_with_nothing_asks_for_nothing() {
        let mut b = FrameBatch::<u8>::new();
        assert!(!b.extend([]));
        assert!(b.push(1));
    }

    #[test]
    fn pushes_while_paused_accumulate_without_scheduling() {
        let mut b = FrameBatch::new();
        b.pause();
        assert!(b.is_paused());
        assert!(!b.push(1));
        assert!(!b.extend([2, 3]));
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn resume_asks_for_a_flush_only_when_items_are_pending() {
        let mut b = FrameBatch::<u8>::new();
        b.pause();
        assert!(!b.resume());
        b.pause();
        b.push(1);
        assert!(b.resume());
        assert!(!b.is_paused());
        assert!(!b.push(2), "the flush resume asked for is still pending");
        assert_eq!(b.drain(), [1, 2]);
    }

    #[test]
    fn a_flush_while_paused_drains_nothing_and_resume_asks_again() {
        let mut b = FrameBatch::new();
        assert!(b.push(1));
        b.pause();
        b.push(2);
        assert!(b.drain().is_empty());
        assert_eq!(b.len(), 2);
        assert!(b.resume());
        assert_eq!(b.drain(), [1, 2]);
    }

    #[test]
    fn resume_leaves_a_flush_still_outstanding_from_before_the_pause_to_do_the_work() {
        let mut b = FrameBatch::new();
        assert!(b.push(1));
        b.pause();
        b.push(2);
        assert!(!b.resume());
        assert_eq!(b.drain(), [1, 2]);
    }

    proptest! {
        /// Models the shell: each `true` schedules one frame; a frame that fires drains the batch.
        #[test]
        fn every_item_is_drained_once_in_order_with_at_most_one_frame_outstanding(
            ops in proptest::collection::vec(0u8..5, 0..200),
        ) {
            let mut b = FrameBatch::new();
            let (mut next, mut out, mut frames) = (0u32, Vec::new(), 0u32);
            for op in ops {
                match op {
                    0 | 1 => {
                        frames += u32::from(b.push(next));
                        next += 1;
                    }
                    2 => {
                        if frames > 0 {
                            frames -= 1;
                            out.extend(b.drain());
                        }
                    }
                    3 => b.pause(),
                    _ => frames += u32::from(b.resume()),
                }
                prop_assert!(frames <= 1);
                if !b.is_paused() && !b.is_empty() {
                    prop_assert_eq!(frames, 1, "items pending with no frame to flush them");
                }
            }
            b.resume();
            out.extend(b.drain());
            prop_assert_eq!(out, (0..next).collect::<Vec<_>>());
        }
    }
}
