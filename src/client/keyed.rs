//! Rows of a window over one ordered list, kept in the DOM by key ([`core::viewport::splice`]): new
//! rows are built where they stand and rows that stay are never moved. Leptos's keyed `For` moves
//! every row below when two or more arrive above them in one update, so at 100 events/s it
//! re-attached about 12 rows per event (restyled and laid out again) where one was new.
//!
//! [`core::viewport::splice`]: crate::core::viewport::splice

use leptos::html::Div;
use leptos::prelude::*;

/// Keeps the rows `items` returns between the children of `list`, before `end`, keyed by `key`.
/// Each row is built by `row` under its own reactive owner, disposed when the row leaves. Rows
/// exist only in the browser: the server renders the list empty.
pub fn use_keyed_window<T, K, V>(
    list: NodeRef<Div>,
    end: NodeRef<Div>,
    items: impl Fn() -> Vec<T> + 'static,
    key: impl Fn(&T) -> K + 'static,
    row: impl Fn(T) -> V + 'static,
) where
    T: 'static,
    K: PartialEq + 'static,
    V: Render + 'static,
{
    #[cfg(feature = "hydrate")]
    {
        use crate::core::viewport::splice;
        use std::cell::RefCell;
        use std::rc::Rc;

        type Shown<K, S> = Vec<(K, Owner, S)>;
        let parent = Owner::current().expect("a component's owner");
        let shown: Rc<RefCell<Shown<K, V::State>>> = Rc::default();
        let drop_rows = |rows: Shown<K, V::State>| {
            for (_, owner, mut state) in rows {
                state.unmount();
                owner.cleanup();
            }
        };
        Effect::new({
            let shown = Rc::clone(&shown);
            move |_| {
                let items = items();
                let (Some(list), Some(end)) = (list.get_untracked(), end.get_untracked()) else { return };
                let mut shown = shown.borrow_mut();
                let keys: Vec<K> = items.iter().map(&key).collect();
                let old: Vec<&K> = shown.iter().map(|(k, _, _)| k).collect();
                let new: Vec<&K> = keys.iter().collect();
                let places = splice(&old, &new);
                let mut old: Vec<Option<_>> = std::mem::take(&mut *shown).into_iter().map(Some).collect();
                // Built from the bottom up, so each new row goes before the row below it.
                let mut next: Shown<K, V::State> = Vec::with_capacity(keys.len());
                for ((item, key), place) in items.into_iter().zip(keys).zip(places).rev() {
                    let entry = match place.and_then(|at| old[at].take()) {
                        Some(kept) => kept,
                        None => {
                            let owner = parent.with(Owner::new);
                            let mut state = owner.with(|| untrack(|| row(item).build()));
                            match next.last() {
                                Some((_, _, below)) => {
                                    below.insert_before_this_or_marker(&list, &mut state, Some(end.as_ref()))
                                }
                                None => state.mount(&list, Some(end.as_ref())),
                            }
                            (key, owner, state)
                        }
                    };
                    next.push(entry);
                }
                next.reverse();
                *shown = next;
                // The old rows no new row kept.
                drop_rows(old.into_iter().flatten().collect());
            }
        });
        let shown = send_wrapper::SendWrapper::new(shown);
        on_cleanup(move || drop_rows(std::mem::take(&mut *shown.borrow_mut())));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, end, items, key, row);
}
