// Cold start from the cache: EVENTS events cached in IndexedDB, then the page is opened again with
// `/stream` held back (so every row comes from the cache), ROUNDS times. Reports, as medians, when
// the page hydrated and when the first row was in the DOM, both on the page's clock, and the
// time from one to the other (DESIGN §8: first rows <= 300 ms after hydration).
//
//   node end2end/bench/coldstart.mjs [--server target/release/cloudevent-player] [--port 3097]
//                                    [--events 50000] [--rounds 5] [--rows FILE]
//
// Prints one JSON line of figures.
import { args, grouped, row, sleep, withPlayer, writeRows } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3097);
const total = Number(args.events ?? 50000);
const rounds = Number(args.rounds ?? 5);

function batch(from, count) {
  const list = [];
  for (let n = from; n < from + count; n++) {
    list.push({
      specversion: "1.0",
      id: `cold-${n}`,
      source: `https://example.com/orders/${n % 13}`,
      type: `com.example.order.t${n % 7}`,
      subject: `order-${n}`,
      datacontenttype: "application/json",
      data: { n, text: "payload of a typical size for a webhook event body" },
    });
  }
  return JSON.stringify(list);
}

/** Events in the page's IndexedDB cache. */
const cached = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        const open = indexedDB.open("cloudevent-player");
        open.onsuccess = () => {
          const request = open.result.transaction("events").objectStore("events").count();
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result);
          };
        };
        open.onerror = () => resolve(0);
      }),
  );

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

await withPlayer(server, port, ["--history", String(total + 1000)], async (base, first) => {
  for (let sent = 0; sent < total; sent += 1000) {
    const response = await fetch(`${base}/events`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: batch(sent, Math.min(1000, total - sent)),
    });
    if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
  }
  for (let i = 0; i < 600 && (await cached(first)) < total; i++) await sleep(100);
  const stored = await cached(first);
  if (stored < total) throw new Error(`only ${stored} of ${total} events reached the cache`);
  const context = first.context();
  // The tab that cached them leaves the page (closing it would end its context and cache), so the
  // next one leads and starts from its cache alone.
  await first.goto("about:blank");

  const hydrated = [];
  const firstRow = [];
  for (let round = 0; round < rounds; round++) {
    const page = await context.newPage();
    await page.route("**/stream*", () => {});
    await page.addInitScript(() => {
      const marks = (window.__marks = {});
      new MutationObserver(() => {
        if (marks.hydrated === undefined && document.querySelector('[data-testid="app"][data-hydrated="true"]'))
          marks.hydrated = performance.now();
        if (marks.row === undefined && document.querySelector('[data-testid="event-row"]'))
          marks.row = performance.now();
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto(base);
    await page.waitForFunction(() => window.__marks?.row !== undefined, null, { timeout: 30_000 });
    const marks = await page.evaluate(() => window.__marks);
    hydrated.push(marks.hydrated);
    firstRow.push(marks.row);
    await page.close();
  }
  const gaps = firstRow.map((at, i) => at - hydrated[i]);
  const figures = {
    hydrated_ms: Math.round(median(hydrated)),
    first_row_ms: Math.round(median(firstRow)),
    first_row_after_hydration_ms: Math.round(median(gaps)),
  };
  console.log(JSON.stringify({ scenario: "cold_start", events: total, rounds, ...figures, bar_ms: 300 }));

  const name = `cold start, ${grouped(total)} cached (median of ${rounds})`;
  const gap = figures.first_row_after_hydration_ms;
  writeRows([
    row(`${name}: first row after hydration`, "ms", null, gap, "<= 300 ms", gap <= 300),
    row(`${name}: hydrated, after navigation`, "ms", null, figures.hydrated_ms),
  ]);
});
