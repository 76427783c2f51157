// Browser burst: RATE events/s for SECONDS into TABS tabs of one browser (batches of BATCH),
// measuring long tasks and long animation frames after the first second, and how long after the
// last POST the tab shows the last event. Starts its own server from the release binary.
//
//   node end2end/bench/burst.mjs [--server target/release/cloudevent-player] [--port 3095]
//                                [--rate 5000] [--seconds 20] [--batch 100] [--tabs 1]
//                                [--rows FILE]
//
// With `--tabs 2` or more, the tabs share one origin and so one stream: the leader tab (the first
// opened) holds `/stream` and relays the frames to the others over a BroadcastChannel; stderr says
// so when the Web Lock does not show one holder and the rest waiting. Each tab observes its own
// long tasks and frames on its own clock; the figures printed and the rows are the worst over the
// tabs, and `per_tab` has each tab's. Headless Chromium reports every page as visible and focused,
// but only the tab opened last draws at the full frame rate: the first draws about once a second
// (its long animation frames last about 1 s), as a throttled tab would, so it gets each second's
// events in one frame. A tab that is not visible is named on stderr.
//
// Prints one JSON line of figures. A timed browser scenario belongs here, not in the test suite.
import { args, grouped, openPlayer, row, sleep, withPlayer, writeRows } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3095);
const rate = Number(args.rate ?? 5000);
const seconds = Number(args.seconds ?? 20);
const batch = Number(args.batch ?? 100);
const tabs = Number(args.tabs ?? 1);

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

/** In the page: notes its long tasks and long animation frames from now on; resolves with now. */
function observe() {
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
  return performance.now();
}

/** `50000 events (of 100000 received)` or `300 events`: what the tab holds and has received. */
function readCounter(text) {
  const numbers = (text ?? "").match(/[\d,]+/g)?.map((n) => Number(n.replaceAll(",", ""))) ?? [];
  return { held: numbers[0] ?? 0, received: numbers[1] ?? numbers[0] ?? 0 };
}

await withPlayer(server, port, ["--history", "200000"], async (base, first) => {
  const pages = [first];
  while (pages.length < tabs) pages.push(await openPlayer(first.context(), base));
  for (const [i, page] of pages.entries()) {
    const state = await page.evaluate(() => document.visibilityState);
    if (state !== "visible") console.error(`tab ${i + 1} is ${state}: it may not render until shown`);
  }
  // One tab holds the stream's lock, the others wait for it.
  const locks = await first.evaluate(() => navigator.locks.query());
  const holders = locks.held.filter((lock) => lock.name === "cloudevent-player").length;
  const waiting = locks.pending.filter((lock) => lock.name === "cloudevent-player").length;
  if (holders !== 1 || waiting !== tabs - 1)
    console.error(`expected 1 tab on the stream and ${tabs - 1} waiting, found ${holders} and ${waiting}`);
  const startedAt = await Promise.all(pages.map((page) => page.evaluate(observe)));

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
  const lastPost = await Promise.all(pages.map((page) => page.evaluate(() => performance.now())));
  const lastId = `burst-${total - 1}`;
  const shownAt = await Promise.all(
    pages.map(async (page) => {
      await page.waitForFunction(
        (id) => [...document.querySelectorAll('[data-testid="row-id"]')].some((e) => e.textContent === id),
        lastId,
        { timeout: 60_000, polling: "raf" },
      );
      return page.evaluate(() => performance.now());
    }),
  );
  const max = (list) => Math.round(Math.max(0, ...list.map((e) => e.duration)));
  const perTab = [];
  for (const [i, page] of pages.entries()) {
    const count = await page.textContent('[data-testid="event-count"]');
    const { long, loaf } = await page.evaluate(() => ({ long: window.__long, loaf: window.__loaf }));
    const after = (list) => list.filter((e) => e.start > startedAt[i] + 1000);
    const longAfter = after(long);
    const loafAfter = after(loaf);
    perTab.push({
      counter: count?.trim(),
      last_event_shown_ms_after_last_post: Math.round(shownAt[i] - lastPost[i]),
      long_tasks_after_1s: longAfter.length,
      longest_task_ms: max(longAfter),
      long_tasks_over_100ms: longAfter.filter((e) => e.duration > 100).length,
      long_animation_frames_after_1s: loafAfter.length,
      longest_animation_frame_ms: max(loafAfter),
    });
  }
  // The worst tab for each figure; the counter of the tab that received the fewest.
  const worst = (key) => Math.max(...perTab.map((tab) => tab[key]));
  const counters = perTab.map((tab) => readCounter(tab.counter));
  const fewest = counters.reduce((low, c, i) => (c.received < counters[low].received ? i : low), 0);
  const figures = {
    counter: perTab[fewest].counter,
    last_event_shown_ms_after_last_post: worst("last_event_shown_ms_after_last_post"),
    long_tasks_after_1s: worst("long_tasks_after_1s"),
    longest_task_ms: worst("longest_task_ms"),
    long_tasks_over_100ms: worst("long_tasks_over_100ms"),
    long_animation_frames_after_1s: worst("long_animation_frames_after_1s"),
    longest_animation_frame_ms: worst("longest_animation_frame_ms"),
  };
  console.log(
    JSON.stringify({
      scenario: "browser_burst",
      rate,
      seconds,
      batch,
      events: total,
      ...(tabs > 1 ? { tabs } : {}),
      ...figures,
      ...(tabs > 1 ? { per_tab: perTab } : {}),
    }),
  );

  const name = `burst ${grouped(rate)}/s for ${seconds} s, ${tabs} tab${tabs === 1 ? "" : "s"}`;
  const of = tabs === 1 ? "" : " (worst tab)";
  const everyone = counters.every((c) => c.received === total && c.held > 0);
  const { long_tasks_after_1s: longTasks, longest_task_ms: longest } = figures;
  writeRows([
    row(`${name}: long tasks >= 50 ms after 1 s${of}`, "", null, longTasks, "0", longTasks === 0),
    row(`${name}: longest task after 1 s${of}`, "ms", null, longest, "< 50 ms", longest < 50),
    row(`${name}: long animation frames after 1 s${of}`, "", null, figures.long_animation_frames_after_1s),
    row(`${name}: last event on screen after the last POST${of}`, "ms", null, figures.last_event_shown_ms_after_last_post),
    row(
      `${name}: counter shows received and held${of}`,
      "events",
      null,
      counters[fewest].received,
      `all ${grouped(total)} received`,
      everyone,
    ),
  ]);
});
