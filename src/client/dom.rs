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

/// Copies `text` to the clipboard; failures (no permission, insecure origin) are logged only.
pub fn copy_text(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let promise = window.navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_err() {
                leptos::logging::warn!("copy to the clipboard was refused");
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
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

/// The page's origin (`http://host:port`), for copy-as-curl; a placeholder on the server.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
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
