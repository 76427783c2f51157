import path from "node:path";
import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { ROOT } from "./fixtures/server";

/** README's picture of the page, taken from a seeded run so it shows the page as it is. */
const SCREENSHOT = path.join(ROOT, "docs/screenshot.png");

test.use({ viewport: { width: 1280, height: 760 }, colorScheme: "light" });

test("the README screenshot: a seeded list, the timeline and an event's detail", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.clear();
  const kinds = [
    ["com.example.order.created", "https://shop.example.com/orders", "orders/1042"],
    ["com.example.payment.authorized", "https://pay.example.com/payments", "payments/77"],
    ["com.example.order.shipped", "https://shop.example.com/orders", "orders/1041"],
    ["com.example.user.signed-up", "https://id.example.com/users", "users/ada"],
  ];
  for (let round = 0; round < 6; round++) {
    await producer.batch(
      kinds.map(([type, source, subject], i) =>
        makeEvent({ id: `shot-${round}-${i}`, type, source, subject, data: { round, amount: 12.5 * (i + 1) } }),
      ),
    );
  }
  await producer.structured(makeEvent({ id: "shot-0-0", source: "https://shop.example.com/orders" }));
  await producer.refused({ "content-type": "application/cloudevents+json" }, '{"specversion":"1.0","id":"x"}');
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.count).toHaveText("25 events");
  await expect(page.getByTestId("timeline-bar").first()).toBeVisible();
  await player.row("shot-5-1").click();
  await expect(page.getByTestId("detail-headers")).toBeVisible();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: SCREENSHOT });
});
