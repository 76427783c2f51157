// Browser burst: RATE events/s for SECONDS into one tab (batches of BATCH), measuring long tasks
// and long animation frames after the first second, and how long after the last POST the tab
// shows the last event. Starts its own server from the release binary.
//
//   node end2end/bench/burst.mjs [--server target/release/cloudevent-player] [--port 3095]
//                                [--rate 5000] [--seconds 20] [--batch 100]
//
// Prints one JSON line of figures. A timed browser scenario belongs here, not in the test suite.
import { args, sleep, withPlayer } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3095);
const rate = Number(args.rate ?? 5000);
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 100);

function events(from, count) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const n = from + i;
    list.push({
      specversion: "1.0",
      id: `burst-${n}`,
      source: "https://example.com/bench",
      type: `com.example.bench.t${n % 7}`,
      datacontenttype: "application/json",
      data: { n, text: "payload of a typical size for a webhook event body" },
    });
  }
  return JSON.stringify(list);
}

await withPlayer(server, port, ["--history", "200000"], async (base, page) => {
  await page.evaluate(() => {
    window.__long = [];
    window.__loaf = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask" });
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__loaf.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: "long-animation-frame" });
    } catch {}
  });
  const startedAt = await page.evaluate(() => performance.now());

  const total = rate * seconds;
  const perTick = batch;
  const interval = (1000 * perTick) / rate;
  const t0 = Date.now();
  let sent = 0;
  const inflight = [];
  while (sent < total) {
    const due = t0 + (sent / perTick) * interval;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const body = events(sent, Math.min(perTick, total - sent));
    inflight.push(
      fetch(`${base}/events`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents-batch+json" },
        body,
      }).then((r) => {
        if (r.status !== 202) throw new Error(`POST answered ${r.status}`);
      }),
    );
    sent += perTick;
  }
  await Promise.all(inflight);
  const lastPost = await page.evaluate(() => performance.now());
  const lastId = `burst-${total - 1}`;
  await page.waitForFunction(
    (id) => [...document.querySelectorAll('[data-testid="row-id"]')].some((e) => e.textContent === id),
    lastId,
    { timeout: 60_000, polling: "raf" },
  );
  const shownAt = await page.evaluate(() => performance.now());
  const count = await page.textContent('[data-testid="event-count"]');
  const { long, loaf } = await page.evaluate(() => ({ long: window.__long, loaf: window.__loaf }));
  const after = (list) => list.filter((e) => e.start > startedAt + 1000);
  const longAfter = after(long);
  const loafAfter = after(loaf);
  const max = (list) => Math.round(Math.max(0, ...list.map((e) => e.duration)));
  console.log(
    JSON.stringify({
      scenario: "browser_burst",
      rate,
      seconds,
      batch,
      events: total,
      counter: count?.trim(),
      last_event_shown_ms_after_last_post: Math.round(shownAt - lastPost),
      long_tasks_after_1s: longAfter.length,
      longest_task_ms: max(longAfter),
      long_tasks_over_100ms: longAfter.filter((e) => e.duration > 100).length,
      long_animation_frames_after_1s: loafAfter.length,
      longest_animation_frame_ms: max(loafAfter),
    }),
  );
});
