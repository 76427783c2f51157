// POST-to-pixel: the page itself posts one event every 1000/RATE ms for SECONDS and notes, on its
// own clock, when each event's row enters the DOM (a MutationObserver; the row is painted in the
// same frame). Prints p50, p99 and max (DESIGN §8: p99 <= 25 ms at 100 events/s).
//
//   node end2end/bench/postpixel.mjs [--server target/release/cloudevent-player] [--port 3098]
//                                    [--rate 100] [--seconds 20] [--rows FILE]
//
// Prints one JSON line of figures.
import { args, grouped, row, withPlayer, writeRows } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3098);
const rate = Number(args.rate ?? 100);
const seconds = Number(args.seconds ?? 20);

await withPlayer(server, port, [], async (_base, page) => {
  const latencies = await page.evaluate(
    async ({ rate, seconds }) => {
      const sent = new Map();
      const seen = new Map();
      new MutationObserver((records) => {
        const now = performance.now();
        for (const record of records)
          for (const node of record.addedNodes) {
            const id = node.querySelector?.('[data-testid="row-id"]')?.textContent;
            if (id && sent.has(id) && !seen.has(id)) seen.set(id, now);
          }
      }).observe(document.querySelector('[data-testid="event-list"]'), { childList: true, subtree: true });
      const total = rate * seconds;
      const start = performance.now();
      const posts = [];
      for (let n = 0; n < total; n++) {
        const due = start + (n * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const id = `pixel-${n}`;
        const body = JSON.stringify({
          specversion: "1.0",
          id,
          source: "https://example.com/bench",
          type: "com.example.bench.pixel",
          data: { n },
        });
        sent.set(id, performance.now());
        posts.push(fetch("/events", { method: "POST", headers: { "content-type": "application/cloudevents+json" }, body }));
      }
      await Promise.all(posts);
      const deadline = performance.now() + 5000;
      while (seen.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return [...sent].map(([id, at]) => (seen.has(id) ? seen.get(id) - at : null));
    },
    { rate, seconds },
  );
  const shown = latencies.filter((l) => l !== null).sort((a, b) => a - b);
  const at = (q) => Math.round(shown[Math.min(shown.length - 1, Math.floor(q * shown.length))] * 10) / 10;
  const figures = {
    events: latencies.length,
    missing: latencies.length - shown.length,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: Math.round(shown[shown.length - 1] ?? 0),
  };
  console.log(JSON.stringify({ scenario: "post_to_pixel", rate, seconds, ...figures, bar_p99_ms: 25 }));

  const name = `POST-to-pixel, ${grouped(rate)} events/s for ${seconds} s`;
  writeRows([
    row(`${name}: p99`, "ms", null, figures.p99_ms, "<= 25 ms", figures.p99_ms <= 25),
    row(`${name}: p50`, "ms", null, figures.p50_ms),
    row(`${name}: events never shown`, "events", null, figures.missing, "0", figures.missing === 0),
  ]);
});
