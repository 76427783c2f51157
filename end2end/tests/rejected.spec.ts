import { expect, test } from "@playwright/test";
import { PlayerPage, Producer } from "./fixtures/player_page";
import { PlayerProcess } from "./fixtures/server";

test("a refused request shows its summary, and the request as received once opened by keyboard", async ({
  page,
  request,
}) => {
  const player = new PlayerPage(page);
  await player.open();
  await player.rejectedToggle.click();
  const marker = `refused-${Date.now()}`;
  const markup = "<img src=x onerror=window.__pwned=3>";
  const body = JSON.stringify({
    specversion: "1.0",
    id: marker,
    source: "/x",
    type: "com.example.bad",
    time: "yesterday",
    data: markup,
  });
  const status = await new Producer(request).refused(
    { "content-type": "application/cloudevents+json", "x-request-marker": marker },
    body,
  );
  expect(status).toBe(400);

  // Newest first: the summary the stream brought, before anything is fetched.
  const card = player.rejections.first();
  await expect(card.getByTestId("rejection-status")).toHaveText("400");
  await expect(card.getByTestId("rejection-code")).toHaveText("invalid_event");
  await expect(card.getByTestId("rejection-message")).toContainText("time");
  await expect(card.getByTestId("rejection-detail").first()).toContainText("time");
  await expect(card).toContainText("POST /events");
  await expect(card).toContainText(`body ${Buffer.byteLength(body)} bytes`);
  await expect(card.getByTestId("rejection-headers")).toHaveCount(0);

  const requestView = await player.openRequestByKeyboard(card);
  const headers = requestView.getByTestId("rejection-headers");
  await expect(headers).toContainText("x-request-marker");
  await expect(headers).toContainText(marker);
  await expect(headers).toContainText("application/cloudevents+json");
  await expect(requestView.getByTestId("rejection-body")).toHaveText(body);
  // The body is text, never markup.
  expect(await page.locator("img[src=x]").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // Closed and opened again, it is not fetched twice.
  let fetches = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/rejections/")) fetches += 1;
  });
  await page.keyboard.press("Enter");
  await expect(requestView).not.toHaveAttribute("open", "");
  await page.keyboard.press("Enter");
  await expect(headers).toContainText(marker);
  expect(fetches).toBe(0);
});

test("a refused request the server no longer keeps says so when opened", async ({ page }) => {
  const server = new PlayerProcess(3015);
  await server.start();
  try {
    const player = new PlayerPage(page);
    await player.open(`${server.base}/`);
    await player.rejectedToggle.click();
    const producer = new Producer(page.request, server.base);
    await producer.refused({ "content-type": "application/cloudevents+json" }, "{not json");
    const card = player.rejections.first();
    await expect(card.getByTestId("rejection-code")).toHaveText("malformed_json");

    // A restarted server keeps no rejections: the card stays, its full record is gone.
    await server.stop();
    await server.start();
    await player.openRequestByKeyboard(card);
    await expect(card.getByTestId("rejection-gone")).toBeVisible();
    await expect(card.getByTestId("rejection-headers")).toHaveCount(0);
  } finally {
    await server.stop();
  }
});
