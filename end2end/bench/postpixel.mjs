// POST-to-pixel: a producer outside the page (this process) posts one event every 1000/RATE ms
// for SECONDS; the page notes when each event's row enters the DOM (a MutationObserver; the row is
// painted in the same frame). Both sides read the same clock, the epoch in milliseconds
// (`performance.timeOrigin + performance.now()`, sub-millisecond on one machine), so the latency
// runs from the POST leaving the producer to the row being in the page. The producer also notes
// when each 202 arrives: the server's share. Prints p50, p99 and max (DESIGN §8: p99 <= 25 ms at
// 100 events/s). Posting from the page itself would charge the page's main thread with the
// producer's work, which a real producer does not do.
//
//   node end2end/bench/postpixel.mjs [--server target/release/cloudevent-player] [--port 3098]
//                                    [--rate 100] [--seconds 20] [--rows FILE]
//
// Prints one JSON line of figures.
import { args, grouped, row, sleep, withPlayer, writeRows } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3098);
const rate = Number(args.rate ?? 100);
const seconds = Number(args.seconds ?? 20);

const epoch = () => performance.timeOrigin + performance.now();

await withPlayer(server, port, [], async (base, page) => {
  await page.evaluate(() => {
    window.__seen = {};
    new MutationObserver((records) => {
      const now = performance.timeOrigin + performance.now();
      for (const record of records)
        for (const node of record.addedNodes) {
          const id = node.querySelector?.('[data-testid="row-id"]')?.textContent;
          if (id?.startsWith("pixel-") && !(id in window.__seen)) window.__seen[id] = now;
        }
    }).observe(document.querySelector('[data-testid="event-list"]'), { childList: true, subtree: true });
  });
  const total = rate * seconds;
  const sent = new Map();
  const answered = [];
  const posts = [];
  const start = performance.now();
  for (let n = 0; n < total; n++) {
    const wait = start + (n * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const id = `pixel-${n}`;
    const body = JSON.stringify({
      specversion: "1.0",
      id,
      source: "https://example.com/bench",
      type: "com.example.bench.pixel",
      data: { n },
    });
    const at = epoch();
    sent.set(id, at);
    posts.push(
      fetch(`${base}/events`, { method: "POST", headers: { "content-type": "application/cloudevents+json" }, body }).then(
        (response) => {
          if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
          answered.push(epoch() - at);
        },
      ),
    );
  }
  await Promise.all(posts);
  const deadline = performance.now() + 5000;
  let seen = {};
  while (performance.now() < deadline) {
    seen = await page.evaluate(() => window.__seen);
    if (Object.keys(seen).length >= total) break;
    await sleep(100);
  }
  const latencies = [...sent].map(([id, at]) => (id in seen ? seen[id] - at : null));
  const shown = latencies.filter((l) => l !== null).sort((a, b) => a - b);
  const quantile = (sorted, q) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  answered.sort((a, b) => a - b);
  const figures = {
    events: latencies.length,
    missing: latencies.length - shown.length,
    p50_ms: quantile(shown, 0.5),
    p99_ms: quantile(shown, 0.99),
    max_ms: Math.round(shown[shown.length - 1] ?? 0),
    answer_p50_ms: quantile(answered, 0.5),
    answer_p99_ms: quantile(answered, 0.99),
  };
  console.log(JSON.stringify({ scenario: "post_to_pixel", rate, seconds, ...figures, bar_p99_ms: 25 }));

  const name = `POST-to-pixel, ${grouped(rate)} events/s for ${seconds} s`;
  writeRows([
    row(`${name}: p99`, "ms", null, figures.p99_ms, "<= 25 ms", figures.p99_ms <= 25),
    row(`${name}: p50`, "ms", null, figures.p50_ms),
    row(`${name}: p99 of the 202 answer`, "ms", null, figures.answer_p99_ms),
    row(`${name}: events never shown`, "events", null, figures.missing, "0", figures.missing === 0),
  ]);
});
