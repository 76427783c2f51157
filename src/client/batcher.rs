//! A once-per-animation-frame batcher: items land in a plain buffer ([`core::batch::FrameBatch`])
//! and one `requestAnimationFrame` hands what arrived since to the flush callback, so a burst of
//! thousands of events costs one reactive update per frame, not one per event. A backlog larger
//! than one flush takes is handed over in further short tasks.
//!
//! [`core::batch::FrameBatch`]: crate::core::batch::FrameBatch

use std::cell::RefCell;
use std::rc::Rc;

use crate::core::batch::FrameBatch;

/// Items one flush hands over. A frame at 5,000 events/s brings about 100; a tab that drew
/// nothing for a second brings thousands, about 10 µs each.
#[cfg(feature = "hydrate")]
const MAX_PER_FLUSH: usize = 1_000;

/// Options of [`use_frame_batcher`].
pub struct UseFrameBatcherOptions<T> {
    /// Called with every item pushed since the last flush, oldest first; never while paused.
    pub on_flush: Rc<dyn Fn(Vec<T>)>,
    /// Called with the number of items held while paused, each time it changes (0 on resume).
    pub on_held: Rc<dyn Fn(usize)>,
}

/// The batcher [`use_frame_batcher`] returns. Cheap to clone; inert on the server.
pub struct FrameBatcher<T> {
    batch: Rc<RefCell<FrameBatch<T>>>,
    on_flush: Rc<dyn Fn(Vec<T>)>,
    on_held: Rc<dyn Fn(usize)>,
}

impl<T> Clone for FrameBatcher<T> {
    fn clone(&self) -> Self {
        Self {
            batch: Rc::clone(&self.batch),
            on_flush: Rc::clone(&self.on_flush),
            on_held: Rc::clone(&self.on_held),
        }
    }
}

/// A batcher flushing at most once per animation frame.
pub fn use_frame_batcher<T: 'static>(options: UseFrameBatcherOptions<T>) -> FrameBatcher<T> {
    let batch = Rc::new(RefCell::new(FrameBatch::new()));
    #[cfg(feature = "hydrate")]
    {
        // Nothing flushes into an owner that is gone. Cleanup runs on this (only) thread.
        let batch = send_wrapper::SendWrapper::new(Rc::clone(&batch));
        leptos::prelude::on_cleanup(move || batch.borrow_mut().pause());
    }
    FrameBatcher { batch, on_flush: options.on_flush, on_held: options.on_held }
}

impl<T: 'static> FrameBatcher<T> {
    /// Queues items; the first since the last flush schedules the next one.
    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        let (due, held) = {
            let mut batch = self.batch.borrow_mut();
            let due = batch.extend(items);
            (due, batch.is_paused().then(|| batch.len()))
        };
        if due {
            self.schedule();
        }
        if let Some(held) = held {
            (self.on_held)(held);
        }
    }

    /// While paused, items keep arriving and are kept, but nothing is flushed.
    pub fn set_paused(&self, paused: bool) {
        let due = {
            let mut batch = self.batch.borrow_mut();
            if paused {
                batch.pause();
                false
            } else {
                batch.resume()
            }
        };
        if due {
            self.schedule();
        }
        if !paused {
            (self.on_held)(0);
        }
    }

    fn schedule(&self) {
        #[cfg(feature = "hydrate")]
        {
            let this = self.clone();
            leptos::prelude::request_animation_frame(move || this.flush());
        }
    }

    /// Hands over at most [`MAX_PER_FLUSH`] items; more waiting go in a task of their own, so a
    /// backlog is many short tasks the page can draw between, not one long one.
    #[cfg(feature = "hydrate")]
    fn flush(&self) {
        let (items, more) = {
            let mut batch = self.batch.borrow_mut();
            let items = batch.drain_up_to(MAX_PER_FLUSH);
            (items, !batch.is_paused() && !batch.is_empty())
        };
        if !items.is_empty() {
            (self.on_flush)(items);
        }
        if more {
            let this = self.clone();
            leptos::prelude::set_timeout(move || this.flush(), std::time::Duration::ZERO);
        }
    }
}
