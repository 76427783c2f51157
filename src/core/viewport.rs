//! The window of a fixed-row-height virtual list: which rows are in the DOM and how tall the spacers
//! around them are (DESIGN §6: only visible rows in the DOM). Measuring and scrolling belong to the UI.

/// Which rows of a fixed-row-height virtual list are in the DOM, and the spacers that stand in for the
/// rest, so the scrollbar matches the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Index of the first rendered row.
    pub first: usize,
    /// Number of rendered rows, from `first`.
    pub count: usize,
    /// Height of the spacer above the rendered rows: `first * row_height`.
    pub top_px: u32,
    /// Height of the spacer below the rendered rows: `(total - first - count) * row_height`.
    pub bottom_px: u32,
}

impl Window {
    /// The rendered row indices, `first..first + count`.
    pub fn rows(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.count
    }
}

/// The rows to render for a list of `total` rows, each `row_height_px` tall, seen through a viewport
/// `viewport_height_px` tall scrolled to `scroll_top_px`: every row that intersects the viewport, plus
/// `overscan` rows above and below (so a fast scroll does not show blank space before the next frame),
/// clamped to `[0, total)`.
///
/// Robust to any input: a negative or NaN scroll or height counts as 0; a scroll past the end counts as
/// the furthest scroll the browser allows (`total * row_height - viewport_height`), since that is what it
/// will show once the list has shrunk; zero rows give an empty window; a zero row height (not yet
/// measured) gives the first `overscan` rows and no spacers. Spacer heights saturate at `u32::MAX`,
/// far above what browsers can lay out.
pub fn window(
    total: usize,
    row_height_px: u32,
    scroll_top_px: f64,
    viewport_height_px: f64,
    overscan: usize,
) -> Window {
    if total == 0 {
        return Window::default();
    }
    if row_height_px == 0 {
        return Window { first: 0, count: overscan.min(total), top_px: 0, bottom_px: 0 };
    }
    let h = f64::from(row_height_px);
    let non_negative = |x: f64| if x.is_nan() { 0.0 } else { x.max(0.0) };
    let viewport = non_negative(viewport_height_px);
    let max_scroll = (total as f64 * h - viewport).max(0.0);
    let top = non_negative(scroll_top_px).min(max_scroll);
    // Row i spans [i*h, (i+1)*h): it meets [top, top+viewport) iff floor(top/h) <= i < ceil((top+viewport)/h).
    // Float-to-int `as` saturates, so huge values clamp instead of wrapping.
    let first_visible = ((top / h).floor() as usize).min(total);
    let end_visible = (((top + viewport) / h).ceil() as usize).clamp(first_visible, total);
    let first = first_visible.saturating_sub(overscan);
    let end = end_visible.saturating_add(overscan).min(total);
    Window {
        first,
        count: end - first,
        top_px: px(first, row_height_px),
        bottom_px: px(total - end, row_height_px),
    }
}

/// A keyboard move through a list (the WAI-ARIA grid keys): one row, one screen, or to an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Move {
    /// The move a `KeyboardEvent.key` asks for, if any.
    pub fn from_key(key: &str) -> Option<Move> {
        Some(match key {
            "ArrowUp" => Move::Up,
            "ArrowDown" => Move::Down,
            "PageUp" => Move::PageUp,
            "PageDown" => Move::PageDown,
            "Home" => Move::Home,
            "End" => Move::End,
            _ => return None,
        })
    }
}

/// The active row after `step` from `current` in a list of `total` rows showing `page` rows a
/// screen. With no active row yet, any move but `End` lands on the first row; moves stop at the
/// ends. `None` only when the list is empty.
pub fn step(current: Option<usize>, step: Move, total: usize, page: usize) -> Option<usize> {
    let last = total.checked_sub(1)?;
    let page = page.max(1);
    let Some(current) = current.map(|c| c.min(last)) else {
        return Some(if step == Move::End { last } else { 0 });
    };
    Some(match step {
        Move::Up => current.saturating_sub(1),
        Move::Down => (current + 1).min(last),
        Move::PageUp => current.saturating_sub(page),
        Move::PageDown => current.saturating_add(page).min(last),
        Move::Home => 0,
        Move::End => last,
    })
}

/// The scroll offset that brings row `index` wholly into a viewport `viewport_height_px` tall
/// scrolled to `scroll_top_px`, moving as little as possible; `None` when it is in view already.
pub fn reveal(index: usize, row_height_px: u32, scroll_top_px: f64, viewport_height_px: f64) -> Option<f64> {
    let h = f64::from(row_height_px);
    let top = index as f64 * h;
    let scroll = if scroll_top_px.is_nan() { 0.0 } else { scroll_top_px.max(0.0) };
    let viewport = if viewport_height_px.is_nan() { 0.0 } else { viewport_height_px.max(h) };
    if top < scroll {
        Some(top)
    } else if top + h > scroll + viewport {
        Some(top + h - viewport)
    } else {
        None
    }
}

/// `rows * row_height` in pixels, saturating at `u32::MAX`.
fn px(rows: usize, row_height_px: u32) -> u32 {
    u32::try_from((rows as u64).saturating_mul(u64::from(row_height_px))).unwrap_or(u32::MAX)
}

/// What becomes of each row on screen when the window changes from the rows keyed `old` to those
/// keyed `new` (both in screen order): for each `new` row in order, the index of the `old` row kept
/// for it, or `None` to build one where it stands; the `old` rows named nowhere leave. Rows that
/// stay keep their order in a window over one ordered list, so none is moved, however many arrive
/// at once; if they ever changed order, every row is built anew. Keys are unique within each list.
/// A window holds a screenful of rows, so keys are compared one by one rather than hashed.
pub fn splice<K: PartialEq>(old: &[K], new: &[K]) -> Vec<Option<usize>> {
    let rows: Vec<Option<usize>> = new.iter().map(|k| old.iter().position(|o| o == k)).collect();
    if rows.iter().flatten().is_sorted() { rows } else { vec![None; new.len()] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_map_to_moves_and_other_keys_to_none() {
        assert_eq!(Move::from_key("ArrowDown"), Some(Move::Down));
        assert_eq!(Move::from_key("PageUp"), Some(Move::PageUp));
        assert_eq!(Move::from_key("End"), Some(Move::End));
        assert_eq!(Move::from_key("a"), None);
    }

    #[test]
    fn step_moves_by_one_by_a_page_and_to_the_ends_and_stops_there() {
        assert_eq!(step(Some(5), Move::Down, 10, 4), Some(6));
        assert_eq!(step(Some(5), Move::Up, 10, 4), Some(4));
        assert_eq!(step(Some(5), Move::PageDown, 10, 4), Some(9));
        assert_eq!(step(Some(5), Move::PageUp, 10, 4), Some(1));
        assert_eq!(step(Some(2), Move::PageUp, 10, 4), Some(0));
        assert_eq!(step(Some(9), Move::Down, 10, 4), Some(9));
        assert_eq!(step(Some(0), Move::Up, 10, 4), Some(0));
        assert_eq!(step(Some(5), Move::Home, 10, 4), Some(0));
        assert_eq!(step(Some(5), Move::End, 10, 4), Some(9));
    }

    #[test]
    fn step_without_an_active_row_starts_at_the_top_or_the_end_and_an_empty_list_has_none() {
        assert_eq!(step(None, Move::Down, 10, 4), Some(0));
        assert_eq!(step(None, Move::Up, 10, 4), Some(0));
        assert_eq!(step(None, Move::End, 10, 4), Some(9));
        assert_eq!(step(Some(3), Move::Down, 0, 4), None);
        // A list that shrank under the active row: the move starts from its last row.
        assert_eq!(step(Some(40), Move::Up, 10, 4), Some(8));
    }

    #[test]
    fn reveal_scrolls_the_least_that_shows_the_row_whole() {
        assert_eq!(reveal(5, 30, 0.0, 300.0), None);
        assert_eq!(reveal(12, 30, 0.0, 300.0), Some(90.0));
        assert_eq!(reveal(2, 30, 200.0, 300.0), Some(60.0));
        assert_eq!(reveal(9, 30, 0.0, 300.0), None);
        assert_eq!(reveal(10, 30, 0.0, 300.0), Some(30.0));
    }

    #[test]
    fn the_top_of_the_list_renders_visible_rows_plus_overscan_below() {
        let w = window(1000, 20, 0.0, 100.0, 3);
        assert_eq!(w, Window { first: 0, count: 8, top_px: 0, bottom_px: 992 * 20 });
    }

    #[test]
    fn a_scrolled_list_renders_overscan_on_both_sides() {
        let w = window(1000, 20, 400.0, 100.0, 3);
        assert_eq!(w.rows(), 17..28);
        assert_eq!(w.top_px, 17 * 20);
        assert_eq!(w.bottom_px, (1000 - 28) * 20);
    }

    #[test]
    fn a_partly_visible_row_is_rendered() {
        let w = window(1000, 20, 410.0, 100.0, 0);
        assert_eq!(w.rows(), 20..26);
    }

    #[test]
    fn the_bottom_of_the_list_clamps_overscan_to_the_last_row() {
        let w = window(100, 20, 1900.0, 100.0, 5);
        assert_eq!(w.rows(), 90..100);
        assert_eq!(w.bottom_px, 0);
    }

    #[test]
    fn a_scroll_past_the_end_shows_the_last_screen() {
        let w = window(100, 20, 1e9, 100.0, 2);
        assert_eq!(w.rows(), 93..100);
        assert_eq!(w.top_px, 93 * 20);
        assert_eq!(w.bottom_px, 0);
    }

    #[test]
    fn a_list_shorter_than_the_viewport_renders_every_row() {
        let w = window(3, 20, 500.0, 400.0, 2);
        assert_eq!(w, Window { first: 0, count: 3, top_px: 0, bottom_px: 0 });
    }

    #[test]
    fn no_rows_give_an_empty_window() {
        assert_eq!(window(0, 20, 300.0, 400.0, 5), Window::default());
    }

    #[test]
    fn a_zero_row_height_renders_the_first_overscan_rows() {
        assert_eq!(window(100, 0, 300.0, 400.0, 5), Window { first: 0, count: 5, top_px: 0, bottom_px: 0 });
    }

    #[test]
    fn a_zero_height_viewport_renders_only_overscan_around_the_scroll_position() {
        let w = window(100, 20, 400.0, 0.0, 2);
        assert_eq!(w.rows(), 18..22);
    }

    #[test]
    fn negative_and_nan_inputs_count_as_zero() {
        assert_eq!(window(100, 20, -50.0, 100.0, 0).rows(), 0..5);
        assert_eq!(window(100, 20, f64::NAN, 100.0, 0).rows(), 0..5);
        assert_eq!(window(100, 20, 0.0, f64::NAN, 1).rows(), 0..1);
    }

    #[test]
    fn spacers_saturate_instead_of_overflowing() {
        let w = window(usize::MAX, u32::MAX, 0.0, 100.0, 0);
        assert_eq!(w.rows(), 0..1);
        assert_eq!(w.bottom_px, u32::MAX);
    }

    proptest! {
        #[test]
        fn the_window_is_in_range_covers_the_viewport_and_sums_to_the_list_height(
            total in 0usize..5_000,
            h in 1u32..100,
            scroll in -1_000.0f64..600_000.0,
            viewport in 0.0f64..3_000.0,
            overscan in 0usize..20,
        ) {
            let w = window(total, h, scroll, viewport, overscan);
            prop_assert!(w.first + w.count <= total);
            prop_assert_eq!(
                u64::from(w.top_px) + w.count as u64 * u64::from(h) + u64::from(w.bottom_px),
                total as u64 * u64::from(h)
            );
            prop_assert_eq!(u64::from(w.top_px), w.first as u64 * u64::from(h));
            // The viewport as the browser shows it: scroll clamped to [0, list height - viewport].
            let top = scroll.max(0.0).min((total as f64 * f64::from(h) - viewport).max(0.0));
            for i in 0..total {
                let (start, end) = (i as f64 * f64::from(h), (i + 1) as f64 * f64::from(h));
                if start < top + viewport && end > top {
                    prop_assert!(w.rows().contains(&i), "row {} visible but outside {:?}", i, w.rows());
                }
            }
        }
    }

    /// The old rows a splice lets go: those no new row keeps.
    fn removed(old: usize, rows: &[Option<usize>]) -> Vec<usize> {
        (0..old).filter(|at| !rows.contains(&Some(*at))).collect()
    }

    #[test]
    fn rows_arriving_above_keep_the_rows_that_stay_in_place() {
        // Two new rows on top, two old ones scrolled out below.
        let rows = splice(&[5, 4, 3, 2], &[7, 6, 5, 4]);
        assert_eq!((removed(4, &rows), rows), (vec![2, 3], vec![None, None, Some(0), Some(1)]));
        // Filtering out a middle row and adding one at the bottom.
        let rows = splice(&[5, 4, 3], &[5, 3, 2]);
        assert_eq!((removed(3, &rows), rows), (vec![1], vec![Some(0), Some(2), None]));
        assert_eq!(splice::<u8>(&[], &[]), vec![]);
        let rows = splice(&[1, 2], &[]);
        assert_eq!((removed(2, &rows), rows), (vec![0, 1], vec![]));
    }

    #[test]
    fn rows_that_changed_order_are_rebuilt() {
        let rows = splice(&[1, 2, 3], &[3, 2, 1]);
        assert_eq!((removed(3, &rows), rows), (vec![0, 1, 2], vec![None; 3]));
    }
}
