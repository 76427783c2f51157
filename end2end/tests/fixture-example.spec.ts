import { expect, test, type APIRequestContext } from "@playwright/test";

// The README's "Using the player as a fixture in your end-to-end tests", as a running spec. In a
// real suite the player is the sink of the system under test (its K_SINK); here `placeOrder` plays
// that system and posts to the player the suite starts.

/** The player's newest history id, or "0-0" when the history is empty. Waiting `after` it finds the
 * event even when the system under test emits it before the wait call reaches the player. */
async function newestId(request: APIRequestContext): Promise<string> {
  const response = await request.get("/api/status");
  expect(response.status()).toBe(200);
  const status = await response.json();
  return status.history.last_id ?? "0-0";
}

/** Stands in for the system under test: reacts to a trigger by emitting a CloudEvent (binary mode). */
async function placeOrder(request: APIRequestContext, orderId: string) {
  const response = await request.post("/", {
    headers: {
      "ce-specversion": "1.0",
      "ce-id": `order-${orderId}`,
      "ce-source": "https://shop.example.com/orders",
      "ce-type": "com.example.order.placed",
      "ce-subject": `orders/${orderId}`,
      "content-type": "application/json",
    },
    data: JSON.stringify({ orderId, total: 42 }),
  });
  expect(response.status(), await response.text()).toBe(202);
}

test("waits on the player for the event the system under test emits", async ({ request }) => {
  const orderId = `${Date.now()}`;
  const after = await newestId(request);

  await placeOrder(request, orderId);

  const response = await request.get("/api/events/wait", {
    params: { type: "com.example.order.*", subject: `orders/${orderId}`, after, timeout_ms: 10_000 },
  });
  expect(response.status(), await response.text()).toBe(200);
  const envelope = await response.json();
  expect(envelope.mode).toBe("binary");
  expect(envelope.event.type).toBe("com.example.order.placed");
  expect(envelope.event.source).toBe("https://shop.example.com/orders");
  expect(envelope.event.data).toEqual({ orderId, total: 42 });
});

test("an event that never comes fails the test with 408 instead of hanging it", async ({ request }) => {
  const response = await request.get("/api/events/wait", {
    params: { type: "com.example.never.sent", after: await newestId(request), timeout_ms: 300 },
  });
  expect(response.status()).toBe(408);
  const body = await response.json();
  expect(body.error.code).toBe("timeout");
});

test("events sent through /api/send to the player itself can be waited on", async ({ request }) => {
  const after = await newestId(request);
  const id = `send-${Date.now()}`;
  const sent = await request.post("/api/send", {
    data: {
      target: "self",
      mode: "binary",
      event: { specversion: "1.0", id, source: "https://example.com/e2e", type: "com.example.e2e.sent" },
    },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  expect(await sent.json()).toMatchObject({ target: "self", status: 202, delivered: true });

  const response = await request.get("/api/events/wait", {
    params: { type: "com.example.e2e.sent", after, timeout_ms: 10_000 },
  });
  expect(response.status(), await response.text()).toBe(200);
  expect((await response.json()).event.id).toBe(id);
});

test("the same check through the player's page, with its test ids", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.getByTestId("app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("connection-light")).toHaveAttribute("data-state", "green");

  const orderId = `${Date.now()}-ui`;
  await placeOrder(request, orderId);

  const row = page
    .getByTestId("event-row")
    .filter({ has: page.getByTestId("row-subject").getByText(`orders/${orderId}`, { exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("row-type")).toHaveText("com.example.order.placed");
  await row.click();
  await expect(page.getByTestId("detail-data")).toContainText(orderId);
});
