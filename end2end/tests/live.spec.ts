import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { PlayerProcess } from "./fixtures/server";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("events posted in binary, structured and batch mode appear with their fields", async ({ page, request }) => {
  const player = new PlayerPage(page);
  const producer = new Producer(request);
  await player.open();

  await producer.binary(
    {
      "ce-specversion": "1.0",
      "ce-id": "bin-1",
      "ce-source": "https://example.com/billing",
      "ce-type": "com.example.invoice.paid",
      "ce-subject": "invoices/7",
      "content-type": "application/json",
    },
    JSON.stringify({ amount: 12.5 }),
  );
  await producer.structured(makeEvent({ id: "struct-1", subject: "orders/1" }));
  await producer.batch([makeEvent({ id: "batch-1" }), makeEvent({ id: "batch-2", type: "com.example.order.shipped" })]);

  await expect(player.rows).toHaveCount(4);
  const binary = player.row("bin-1");
  await expect(binary.getByTestId("row-type")).toHaveText("com.example.invoice.paid");
  await expect(binary.getByTestId("row-source")).toHaveText("https://example.com/billing");
  await expect(binary.getByTestId("row-subject")).toHaveText("invoices/7");
  await expect(player.row("batch-2").getByTestId("row-type")).toHaveText("com.example.order.shipped");
  // Newest first.
  await expect(player.rows.first().getByTestId("row-id")).toHaveText("batch-2");
  await expect(player.count).toContainText("4");
  await expect(player.light).toHaveAttribute("data-state", "green");
});

test("detail shows attributes, data and the request as received", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  await new Producer(request).structured(
    makeEvent({ id: "detail-1", subject: "orders/9", traceparent: "00-abc", data: { total: 99, items: ["a"] } }),
  );
  await player.row("detail-1").click();
  await expect(player.detail.getByTestId("detail-type")).toHaveText("com.example.order.created");
  await expect(player.detail.getByTestId("detail-attributes")).toContainText("orders/9");
  await expect(player.detail.getByTestId("detail-extensions")).toContainText("traceparent");
  const data = JSON.parse((await player.detail.getByTestId("detail-data").textContent()) ?? "");
  expect(data).toEqual({ total: 99, items: ["a"] });
  await expect(player.detail.getByTestId("detail-mode")).toContainText("structured");
  await expect(player.detail.getByTestId("detail-body")).toContainText('"detail-1"');
});

test("copy as curl, run with curl, posts an equal event", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  const original = makeEvent({ id: "curl-1", subject: "it's \"quoted\" $HOME", data: { note: "a'b" } });
  await new Producer(request).structured(original);
  await player.row("curl-1").click();
  for (const mode of ["binary", "structured"]) {
    const command = (await player.detail.getByTestId(`curl-${mode}`).textContent()) ?? "";
    expect(command).toContain("curl");
    const output = execFileSync("sh", ["-c", command], { encoding: "utf8" });
    const accepted = JSON.parse(output);
    expect(accepted.accepted).toBe(1);
    const stored = await (await request.get(`/api/events/${accepted.ids[0]}`)).json();
    expect(stored.event).toEqual(original);
    expect(stored.mode).toBe(mode);
  }
  await expect(player.rows).toHaveCount(3);
});

test("filters from the UI and from the URL narrow the list", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.batch([
    makeEvent({ id: "f-order", type: "com.example.order.created", subject: "eu/1", region: "eu" }),
    makeEvent({ id: "f-user", type: "com.example.user.created", subject: "us/1", region: "us" }),
    makeEvent({ id: "f-paid", type: "com.example.order.paid", subject: "us/2", data: { needle: "haystack" } }),
  ]);
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.rows).toHaveCount(3);

  await player.filter("type").fill("com.example.order.*");
  await expect(player.rows).toHaveCount(2);
  await expect(player.showing).toHaveText("showing 2 of 3");
  await expect(page).toHaveURL(/type=com\.example\.order\.\*/);
  await player.filter("subject").fill("us/*");
  await expect(player.rows).toHaveCount(1);
  await expect(player.row("f-paid")).toHaveCount(1);
  await page.getByTestId("filter-reset").click();
  await expect(player.rows).toHaveCount(3);
  await player.filter("text").fill("HAYSTACK");
  await expect(player.rows).toHaveCount(1);
  await player.filter("text").fill("");
  await player.filter("extensions").fill("region=eu");
  await expect(player.rows).toHaveCount(1);
  await expect(player.row("f-order")).toHaveCount(1);

  // A link reproduces the view.
  const fresh = new PlayerPage(await page.context().newPage());
  await fresh.open("/?type=com.example.user.*");
  await expect(fresh.filter("type")).toHaveValue("com.example.user.*");
  await expect(fresh.rows).toHaveCount(1);
  await expect(fresh.row("f-user")).toHaveCount(1);
});

test("markup in event fields is shown as text and never runs", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  const script = "<script>window.__pwned = 1</script>";
  const img = "<img src=x onerror=window.__pwned=2>";
  await new Producer(request).structured(
    makeEvent({ id: "xss-1", type: "com.example.xss", subject: script, data: { html: img }, xssext: img }),
  );
  const row = player.row("xss-1");
  await expect(row.getByTestId("row-subject")).toHaveText(script);
  await row.click();
  await expect(player.detail.getByTestId("detail-data")).toContainText(img);
  await expect(player.detail.getByTestId("detail-extensions")).toContainText(img);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator("img[src=x]").count()).toBe(0);
});

test("an invalid event appears in the rejected lane with the attribute named", async ({ page }) => {
  const player = new PlayerPage(page);
  await player.open();
  const before = Number(await player.rejectedCount.textContent());
  const base = new URL(page.url()).origin;
  const body = JSON.stringify({ specversion: "1.0", id: "bad-1", source: "/x", type: "com.example.bad", time: "not-a-time" });
  const status = execFileSync(
    "curl",
    ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "content-type: application/cloudevents+json", "--data-binary", body, `${base}/events`],
    { encoding: "utf8" },
  );
  expect(status).toBe("400");
  await expect(player.rejectedCount).toHaveText(String(before + 1));
  await player.rejectedToggle.click();
  const card = player.rejections.first();
  await expect(card.getByTestId("rejection-status")).toHaveText("400");
  await expect(card.getByTestId("rejection-code")).toHaveText("invalid_event");
  await expect(card.getByTestId("rejection-detail").first()).toContainText("time");
  await expect(card).toContainText("not-a-time");
  await expect(player.rows).toHaveCount(0);
});

test("5,000 events posted as batches are all counted while the DOM keeps few rows", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  const producer = new Producer(request);
  for (let b = 0; b < 10; b++) {
    await producer.batch(Array.from({ length: 500 }, (_, i) => makeEvent({ id: `bulk-${b}-${i}` })));
  }
  await expect(player.count).toContainText("5000");
  const rendered = await player.rows.count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(120);
  // Scrolling far down renders other rows, still few of them.
  await player.list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(player.rows.first().getByTestId("row-id")).not.toHaveText("bulk-9-499");
  expect(await player.rows.count()).toBeLessThan(120);
});

test("rows already on screen stay in place when several events arrive above them at once", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  const producer = new Producer(request);
  await producer.batch(Array.from({ length: 200 }, (_, i) => makeEvent({ id: `old-${i}` })));
  await expect(player.rows.first().getByTestId("row-id")).toHaveText("old-199");
  const shown = await player.rows.count();
  await page.evaluate(() => {
    const seen = { added: [] as string[], removed: [] as string[] };
    (window as any).__rows = seen;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) seen.added.push((node as Element).getAttribute?.("data-id") ?? "");
        for (const node of record.removedNodes) seen.removed.push((node as Element).getAttribute?.("data-id") ?? "");
      }
    }).observe(document.querySelector('[data-testid="event-list"]')!, { childList: true });
  });
  // One request, so the five arrive in one frame.
  await producer.batch(Array.from({ length: 5 }, (_, i) => makeEvent({ id: `new-${i}` })));
  await expect(player.rows.first().getByTestId("row-id")).toHaveText("new-4");
  await expect(player.rows).toHaveCount(shown);
  const { added, removed } = await page.evaluate(() => (window as any).__rows);
  // The five new rows are added and five old ones leave at the bottom; none of the rest is moved.
  expect(added).toHaveLength(5);
  expect(removed).toHaveLength(5);
  expect(await player.row("old-199").isVisible()).toBe(true);
});

test("the light leaves green when the server stops and returns when it is back", async ({ page }) => {
  const server = new PlayerProcess(3011, ["--ping-interval", "1s"]);
  await server.start();
  try {
    const player = new PlayerPage(page);
    await player.open(`${server.base}/`);
    await server.stop();
    await expect(player.light).not.toHaveAttribute("data-state", "green");
    await server.start();
    await expect(player.light).toHaveAttribute("data-state", "green", { timeout: 30_000 });
    const producer = new Producer(page.request, server.base);
    await producer.structured(makeEvent({ id: "after-restart" }));
    await expect(player.row("after-restart")).toHaveCount(1);
  } finally {
    await server.stop();
  }
});
