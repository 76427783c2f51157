import { type APIRequestContext, expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

async function putRules(request: APIRequestContext, rules: unknown[]) {
  const response = await request.put("/api/rules", { data: { rules } });
  expect(response.status(), await response.text()).toBe(200);
}

/** Delivers `event` to `path` like a Knative dispatcher: retried after a 5xx, at most `retry`
 * times, retry n waiting `delayMs * 2^(n-1)` after the previous answer. The statuses answered.
 * Each wait as the player sees it also holds this runner's own request overhead, which a loaded
 * machine stretches by a hundred milliseconds or more: hence the tolerance stated below. */
async function knativeProducer(request: APIRequestContext, path: string, event: object, retry: number, delayMs: number) {
  const statuses: number[] = [];
  for (let attempt = 0; ; attempt++) {
    const response = await request.post(path, {
      headers: { "content-type": "application/cloudevents+json" },
      data: JSON.stringify(event),
    });
    statuses.push(response.status());
    if (response.status() < 500 || attempt === retry) return statuses;
    await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** attempt));
  }
}

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
  await putRules(request, []);
});

test.afterEach(async ({ request }) => {
  await putRules(request, []);
});

test("a refused delivery and its retries carry badges, and the detail draws them against the stated policy", async ({
  page,
  request,
}) => {
  await putRules(request, [{ name: "flaky", match: { path: "/r/orders" }, action: { fail_first: 2 } }]);
  const player = new PlayerPage(page);
  await player.open();
  const event = makeEvent({ id: "order-1" });
  expect(await knativeProducer(request, "/r/orders", event, 3, 400)).toEqual([503, 503, 202]);
  await new Producer(request).structured(makeEvent({ id: "plain-1" }));

  const badges = player.rows.getByTestId("delivery-badge");
  await expect(badges).toHaveText(["202 · attempt 3", "503 · attempt 2", "503 · attempt 1"]);
  await expect(badges.first()).toHaveAttribute("title", /status the delivery lab answered/);
  await expect(badges.last()).toHaveClass(/badge-alert/);
  await expect(player.row("plain-1").getByTestId("delivery-badge")).toHaveCount(0);

  // The first attempt: its timeline shows all three, and the policy the producer claims.
  await player.rows.filter({ has: page.getByText("503 · attempt 1") }).click();
  const deliveries = player.detail.getByTestId("deliveries");
  await expect(deliveries.getByTestId("delivery-attempt")).toHaveCount(3);
  await expect(deliveries.getByTestId("delivery-attempt").nth(0)).toContainText("#1 · 503");
  await expect(deliveries.getByTestId("delivery-attempt").nth(0)).toContainText("rule flaky");
  await expect(deliveries.getByTestId("delivery-axis")).toHaveAttribute(
    "aria-label",
    /^3 deliveries over .*, answered 503, 503, 202$/,
  );
  await expect(deliveries.getByTestId("verdict")).toContainText("State the producer's delivery policy");

  await deliveries.getByTestId("policy-backoffPolicy").selectOption("exponential");
  await deliveries.getByTestId("policy-retry").fill("3");
  await deliveries.getByTestId("policy-backoffDelay").fill("PT0.4S");
  await deliveries.getByTestId("policy-tolerance").fill("0.75");
  await deliveries.getByTestId("policy-check").click();
  await expect(deliveries.getByTestId("verdict")).toHaveText("✓ Matches the policy: 2 of 2 retries");
  await expect(deliveries.getByTestId("verdict")).toHaveAttribute("data-matches", "true");
  await expect(deliveries.getByTestId("delivery-attempt").nth(1)).toContainText(/after \d+ ms, policy 400 ms ✓/);
  await expect(deliveries.getByTestId("delivery-attempt").nth(2)).toContainText(/policy 800 ms ✓/);
  await expect(deliveries.locator("line.expected")).toHaveCount(2);

  // A policy the producer does not follow is called out, with the reason.
  await deliveries.getByTestId("policy-backoffDelay").fill("PT5S");
  await deliveries.getByTestId("policy-check").press("Enter");
  await expect(deliveries.getByTestId("verdict")).toHaveText("✗ Does not match the policy: 2 of 2 retries");
  await expect(deliveries.getByTestId("verdict-reason").first()).toContainText("the policy waits 5000 ms");

  // The policy is kept in this browser; a malformed one gets the server's words.
  await player.open();
  await player.rows.filter({ has: page.getByText("503 · attempt 2") }).click();
  const again = player.detail.getByTestId("deliveries");
  await expect(again.getByTestId("policy-backoffDelay")).toHaveValue("PT5S");
  await again.getByTestId("policy-backoffDelay").fill("soon");
  await again.getByTestId("policy-check").click();
  await expect(again.getByTestId("deliveries-error")).toContainText("backoffDelay");

  // Clicking an attempt selects that delivery.
  await again.getByTestId("delivery-attempt").nth(2).getByRole("button").click();
  await expect(player.rows.filter({ has: page.getByText("202 · attempt 3") })).toHaveAttribute("aria-selected", "true");
});
