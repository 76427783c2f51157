import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { PlayerProcess } from "./fixtures/server";

/** Port of the player this file stops and starts for the light's tests. */
const OUTAGE_PORT = 3031;

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("the empty state's command posts to the host and port the page came from, and copies", async ({
  page,
  context,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const player = new PlayerPage(page);
  await player.open();
  const hint = page.getByTestId("curl-hint");
  await expect(hint).toContainText(`curl -i -X POST ${baseURL}/`);
  const copy = page.getByTestId("copy-first-command");
  await copy.click();
  await expect(copy).toHaveText("Copied ✓");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await hint.textContent());
});

test("copy JSON and copy curl say they copied", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await new Producer(request).structured(makeEvent({ id: "copy-1" }));
  const player = new PlayerPage(page);
  await player.open();
  await player.row("copy-1").click();
  for (const testid of ["copy-json", "copy-curl-binary"]) {
    const button = page.getByTestId(testid);
    await button.click();
    await expect(button).toHaveText("Copied ✓");
    await expect(button).toHaveAttribute("data-copied", "true");
  }
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("ce-id: copy-1");
  // It goes back to its label.
  await expect(page.getByTestId("copy-json")).toHaveText("Copy JSON");
});

test("while red the light counts down, numbers the attempt, speaks plainly and retries on demand", async ({ page }) => {
  const server = new PlayerProcess(OUTAGE_PORT);
  await server.start();
  try {
    const player = new PlayerPage(page);
    await player.open(`${server.base}/`);
    await server.stop();
    await expect(player.light).toHaveAttribute("data-state", "red");
    const label = page.getByTestId("connection-label");
    await expect(label).toHaveText(/^retrying in \d+ s · attempt \d+$/);
    const tooltip = (await player.light.getAttribute("title")) ?? "";
    expect(tooltip).toContain("the server could not be reached");
    expect(tooltip).toMatch(/attempt \d+/);
    expect(tooltip).not.toContain("TypeError");
    // Wait for a long backoff (attempt 3 waits 6 s), so an early connect can only be the button's.
    await expect(label).toHaveText(/attempt [3-9]/, { timeout: 20_000 });
    const left = Number((await label.textContent())!.match(/retrying in (\d+) s/)![1]);
    await server.start();
    await page.getByTestId("retry-now").click();
    await expect(player.light).toHaveAttribute("data-state", "green", { timeout: Math.max(left - 1, 1) * 1000 });
    await expect(page.getByTestId("retry-now")).toHaveCount(0);
  } finally {
    await server.stop();
  }
});

test("the light retries at once when the browser comes back online", async ({ page }) => {
  const server = new PlayerProcess(OUTAGE_PORT);
  await server.start();
  try {
    const player = new PlayerPage(page);
    await player.open(`${server.base}/`);
    await server.stop();
    const label = page.getByTestId("connection-label");
    await expect(label).toHaveText(/attempt [3-9]/, { timeout: 20_000 });
    const left = Number((await label.textContent())!.match(/retrying in (\d+) s/)![1]);
    await server.start();
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await expect(player.light).toHaveAttribute("data-state", "green", { timeout: Math.max(left - 1, 1) * 1000 });
  } finally {
    await server.stop();
  }
});

test("the send form: Escape closes it, an old error is gone on reopening, the answer shows at the top", async ({
  page,
}) => {
  const player = new PlayerPage(page);
  await player.open();
  await page.getByTestId("send-open").click();
  await page.getByTestId("send-source").fill("");
  await page.getByTestId("send-submit").click();
  await expect(page.getByTestId("send-error")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("send-panel")).toHaveCount(0);
  await page.getByTestId("send-open").click();
  await expect(page.getByTestId("send-panel")).toBeVisible();
  await expect(page.getByTestId("send-error")).toHaveCount(0);

  await page.getByTestId("send-submit").click();
  const result = page.getByTestId("send-result");
  await expect(result).toContainText("HTTP 202");
  const panel = await page.getByTestId("send-panel").boundingBox();
  const box = await result.boundingBox();
  expect(box!.y).toBeLessThan(panel!.y + 120);
});

test("filters that match nothing say so, keep the timeline's place and close a hidden detail", async ({
  page,
  request,
}) => {
  await new Producer(request).batch([makeEvent({ id: "m-1" }), makeEvent({ id: "m-2" })]);
  const player = new PlayerPage(page);
  await player.open();
  await player.row("m-1").click();
  await expect(page.getByTestId("detail-type")).toBeVisible();
  const listTop = (await player.list.boundingBox())!.y;

  await player.filter("text").fill("nothing-has-this");
  await expect(page.getByTestId("no-match")).toBeVisible();
  await expect(page.getByTestId("detail-type")).toHaveCount(0);
  expect((await player.list.boundingBox())!.y).toBe(listTop);

  await page.getByTestId("no-match-reset").click();
  await expect(player.rows).toHaveCount(2);
  await expect(page.getByTestId("no-match")).toHaveCount(0);
});

test("the time-range chip keeps the filter bar on one line", async ({ page, request }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await new Producer(request).structured(makeEvent({ id: "r-1" }));
  const player = new PlayerPage(page);
  await player.open();
  const bar = page.locator(".filter-bar");
  const height = (await bar.boundingBox())!.height;
  await page.getByTestId("timeline-bar").first().click();
  await expect(page.getByTestId("filter-time-range")).toBeVisible();
  expect((await bar.boundingBox())!.height).toBe(height);
});

test("the gap marker's dashed line is below the first event after the hole, towards the older events", async ({
  page,
  request,
}) => {
  const player = new PlayerPage(page);
  await page.route("**/stream**", (route) =>
    route.continue({ headers: { ...route.request().headers(), "last-event-id": "1-0" } }),
  );
  await new Producer(request).structured(makeEvent({ id: "gap-1" }));
  await player.open();
  const row = player.row("gap-1");
  await expect(row.getByTestId("gap-marker")).toHaveCount(1);
  const borders = await row.evaluate((el) => {
    const s = getComputedStyle(el);
    return { top: s.borderTopStyle, bottom: s.borderBottomStyle };
  });
  expect(borders).toEqual({ top: "none", bottom: "dashed" });
});

test("the timeline has a time axis and a one-event bar is visible beside a tall one", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.batch(Array.from({ length: 150 }, (_, i) => makeEvent({ id: `t-${i}` })));
  // A later second: another bucket (buckets are one second wide over the first minute).
  await page.waitForTimeout(1100);
  await producer.structured(makeEvent({ id: "t-last" }));
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.count).toHaveText("151 events");
  await expect(page.getByTestId("timeline-start")).toHaveText(/^\d\d:\d\d:\d\d$/);
  await expect(page.getByTestId("timeline-end")).toHaveText(/^\d\d:\d\d:\d\d$/);
  const bars = page.getByTestId("timeline-bar");
  await expect(bars).toHaveCount(2);
  const heights = await bars.evaluateAll((gs) =>
    gs.map((g) =>
      Array.from(g.querySelectorAll("rect:not(.bar-hit)")).reduce((sum, r) => sum + r.getBoundingClientRect().height, 0),
    ),
  );
  expect(Math.min(...heights)).toBeGreaterThanOrEqual(3);
});

test("a duplicate's detail links to the original event", async ({ page, request }) => {
  const producer = new Producer(request);
  const event = makeEvent({ id: "dup-1" });
  await producer.structured(event);
  await producer.structured({ ...event, data: { again: true } });
  const player = new PlayerPage(page);
  await player.open();
  const rows = player.row("dup-1");
  await expect(rows).toHaveCount(2);
  await rows.first().click();
  const link = page.getByTestId("duplicate-of");
  await expect(link).toBeVisible();
  await link.click();
  await expect(rows.nth(1)).toHaveAttribute("aria-selected", "true");
  await expect(rows.first()).toHaveAttribute("aria-selected", "false");
});

test("a rejection's details name the attribute once", async ({ page, request }) => {
  await new Producer(request).refused(
    { "content-type": "application/cloudevents+json" },
    JSON.stringify({ specversion: "1.0", id: "no-source", type: "com.example.t" }),
  );
  const player = new PlayerPage(page);
  await player.open();
  await player.rejectedToggle.click();
  const detail = player.rejections.first().getByTestId("rejection-detail").first();
  await expect(detail).toContainText("source");
  await expect(detail).not.toContainText("source: source:");
});

test("paused, the page says how many events are waiting", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  await page.getByTestId("pause-toggle").click();
  await new Producer(request).batch([makeEvent({ id: "w-1" }), makeEvent({ id: "w-2" }), makeEvent({ id: "w-3" })]);
  await expect(page.getByTestId("paused-banner")).toContainText("3 new events are waiting");
  await expect(player.rows).toHaveCount(0);
  await page.getByTestId("pause-toggle").click();
  await expect(player.rows).toHaveCount(3);
});

test("a rejection says which event it was without opening the request", async ({ page, request }) => {
  await new Producer(request).refused(
    { "content-type": "application/cloudevents+json" },
    JSON.stringify({ specversion: "1.0", id: "named-1", type: "com.example.named", source: "/named", time: "x" }),
  );
  const player = new PlayerPage(page);
  await player.open();
  await player.rejectedToggle.click();
  await expect(player.rejections.first().getByTestId("rejection-event")).toHaveText(
    "com.example.named · from /named · id named-1",
  );
});
