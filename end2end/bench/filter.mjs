// Filtering 50,000 events in one tab: the time from a keystroke to the updated "showing N of M",
// for a CESQL expression (three comparisons and a LIKE) against the wildcard type field over the
// same events (the baseline, same run). Starts its own server from the release binary.
//
//   node end2end/bench/filter.mjs [--server target/release/cloudevent-player] [--port 3096]
//                                 [--events 50000] [--rounds 7] [--rows FILE]
//
// Prints one JSON line of figures: medians in ms and the ratio expression / wildcard.
import { args, grouped, row, withPlayer, writeRows } from "./common.mjs";

const server = args.server ?? "target/release/cloudevent-player";
const port = Number(args.port ?? 3096);
const total = Number(args.events ?? 50_000);
const rounds = Number(args.rounds ?? 7);

const EXPRESSION = "type = 'com.example.order.t3' AND source LIKE '/orders/%' AND subject <> 'x' AND seq > 10";
const WILDCARD = "com.example.order.t3*";

function events(from, count) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const n = from + i;
    list.push({
      specversion: "1.0",
      id: `filter-${n}`,
      source: n % 4 === 0 ? `https://example.com/${n % 10}` : `/orders/${n % 10}`,
      type: `com.example.order.t${n % 7}`,
      subject: `orders/${n}`,
      seq: n % 100,
      datacontenttype: "application/json",
      data: { n, text: "payload of a typical size for a webhook event body" },
    });
  }
  return JSON.stringify(list);
}

/** In the page: types `value` into the field, resolves with the ms until "showing" changes. */
function timeInput([testid, value]) {
  return new Promise((resolve) => {
    const showing = document.querySelector('[data-testid="showing"]');
    const before = showing.textContent;
    const input = document.querySelector(`[data-testid="${testid}"]`);
    const start = performance.now();
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    const check = () => {
      if (showing.textContent !== before) resolve(performance.now() - start);
      else requestAnimationFrame(check);
    };
    check();
  });
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

await withPlayer(server, port, ["--history", String(total + 1000)], async (base, page) => {
  for (let sent = 0; sent < total; sent += 1000) {
    const response = await fetch(`${base}/events`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: events(sent, Math.min(1000, total - sent)),
    });
    if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
  }
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="showing"]')?.textContent === `${n} events`,
    total,
    { timeout: 120_000, polling: 200 },
  );
  // The engine is loaded on first use: load it before timing.
  await page.evaluate(timeInput, ["filter-expression", "seq > 1"]);
  await page.evaluate(timeInput, ["filter-expression", ""]);
  const expression = [];
  const wildcard = [];
  for (let round = 0; round < rounds; round++) {
    wildcard.push(await page.evaluate(timeInput, ["filter-type", WILDCARD]));
    const matchedWildcard = await page.textContent('[data-testid="showing"]');
    await page.evaluate(timeInput, ["filter-type", ""]);
    expression.push(await page.evaluate(timeInput, ["filter-expression", EXPRESSION]));
    const matchedExpression = await page.textContent('[data-testid="showing"]');
    await page.evaluate(timeInput, ["filter-expression", ""]);
    if (round === 0) console.error(`wildcard: ${matchedWildcard}; expression: ${matchedExpression}`);
  }
  const [e, w] = [median(expression), median(wildcard)];
  console.log(
    JSON.stringify({
      scenario: "browser_filter",
      events: total,
      expression: EXPRESSION,
      wildcard_type: WILDCARD,
      expression_ms_median: Math.round(e * 10) / 10,
      wildcard_ms_median: Math.round(w * 10) / 10,
      ratio: Math.round((e / w) * 100) / 100,
    }),
  );
  writeRows([
    row(
      `filter ${grouped(total)} events, keystroke to "showing" (median of ${rounds}): expression, against wildcard`,
      "ms",
      Math.round(w * 10) / 10,
      Math.round(e * 10) / 10,
    ),
  ]);
});
