//! Small browser helpers with server stubs: clock, time formatting, clipboard, URL, confirm.

/// Milliseconds since the Unix epoch (`Date.now()`); 0 on the server.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now();
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// `HH:MM:SS.mmm` in the browser's time zone (UTC on the server, which renders no rows).
pub fn clock(ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            date.get_hours(),
            date.get_minutes(),
            date.get_seconds(),
            date.get_milliseconds()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let ms = ms.max(0.0) as u64;
        let day = ms % 86_400_000;
        format!("{:02}:{:02}:{:02}.{:03}", day / 3_600_000, day / 60_000 % 60, day / 1000 % 60, day % 1000)
    }
}

/// `YYYY-MM-DD HH:MM:SS` in the browser's time zone, for the time-range chip and tooltips.
pub fn date_time(ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.get_full_year(),
            date.get_month() + 1,
            date.get_date(),
            date.get_hours(),
            date.get_minutes(),
            date.get_seconds()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    clock(ms)
}

/// Copies `text` to the clipboard. False when the browser refused (no permission, an insecure
/// origin), so the page can say so.
pub async fn copy_text(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else { return false };
        let promise = window.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// The page URL's query string (without `?`): from the request on the server, from `location` in
/// the browser, so both render the same filter and hydration matches.
pub fn page_query() -> String {
    #[cfg(feature = "ssr")]
    return leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.uri.query().map(str::to_owned))
        .unwrap_or_default();
    #[cfg(feature = "hydrate")]
    return web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| s.trim_start_matches('?').to_owned())
        .unwrap_or_default();
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    String::new()
}

/// Replaces the page URL's query (no navigation, no history entry), so a link reproduces the view.
pub fn replace_query(query: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let path = window.location().pathname().unwrap_or_else(|_| "/".into());
        let url = if query.is_empty() { path } else { format!("{path}?{query}") };
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = query;
}

/// `window.confirm`; false on the server.
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    return web_sys::window().and_then(|w| w.confirm_with_message(message).ok()).unwrap_or(false);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        false
    }
}

/// The page's origin (`http://host:port`), for copy-as-curl and the first command: the browser's
/// location, or on the server the request's `Host` and scheme (https when a proxy says so), so
/// the server renders what the browser would.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    #[cfg(feature = "ssr")]
    if let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>()
        && let Some(host) = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok())
    {
        let https = crate::server::access::is_https(&parts.uri, &parts.headers);
        return format!("{}://{host}", if https { "https" } else { "http" });
    }
    "http://127.0.0.1:8080".to_owned()
}

/// 16 random bytes (`Math.random`; ids need uniqueness, not secrecy).
pub fn random_bytes() -> [u8; 16] {
    #[cfg(feature = "hydrate")]
    return std::array::from_fn(|_| (js_sys::Math::random() * 256.0) as u8);
    #[cfg(not(feature = "hydrate"))]
    [0; 16]
}

/// A localStorage value; `None` on the server or where storage is unavailable.
pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return web_sys::window()?.local_storage().ok()??.get_item(key).ok()?;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Stores a localStorage value; losing it (private mode, quota) only costs persistence.
pub fn save(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
        let anchor = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        if let Some(anchor) = anchor {
            anchor.set_href(&url);
            anchor.set_download(name);
            anchor.click();
        }
        let _ = web_sys::Url::revoke_object_url(&url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, mime, text);
}

/// Whether a click landed on a button or inside one.
pub fn from_button(ev: &leptos::ev::MouseEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("button").ok().flatten())
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// Moves keyboard focus to the element with this `data-testid`, if it is on the page.
pub fn focus_testid(testid: &str) {
    focus_selector(&format!("[data-testid='{testid}']"));
}

/// Moves keyboard focus to the first element `selector` finds, if any.
pub fn focus_selector(selector: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let element = leptos::prelude::document()
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}

/// Whether a key press happened in a text field (input, textarea, select or editable content),
/// where typed characters are text, not shortcuts.
pub fn typing(ev: &leptos::ev::KeyboardEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()).is_some_and(|e| {
            matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || e.is_content_editable()
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}
