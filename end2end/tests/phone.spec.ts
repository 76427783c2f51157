import { expect, test, type Locator } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

test.use({ viewport: { width: 390, height: 844 } });

/** Fails unless `locator` is visible and wholly inside the 390 px wide viewport. */
async function onScreen(locator: Locator) {
  await expect(locator).toBeVisible();
  const box = await locator.boundingBox();
  expect(box, "no box").not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
}

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("at 390 px every header action is in the menu, on screen and working", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.structured(makeEvent({ id: "p-1" }));
  await producer.refused({ "content-type": "application/cloudevents+json" }, "{}");
  const player = new PlayerPage(page);
  await player.open();
  const menu = page.getByTestId("menu-toggle");
  await onScreen(menu);
  await onScreen(player.light);
  await onScreen(player.count);
  await expect(page.getByTestId("send-open")).toBeHidden();

  const fromMenu = async (testid: string) => {
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    const action = page.getByTestId(testid);
    await onScreen(action);
    await action.click();
  };

  await fromMenu("send-open");
  await expect(page.getByTestId("send-panel")).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("send-panel")).toHaveCount(0);

  await fromMenu("rejected-toggle");
  await expect(page.getByTestId("rejected-lane")).toBeVisible();
  await fromMenu("rejected-toggle");
  await expect(player.rows).toHaveCount(1);

  await fromMenu("pause-toggle");
  await expect(page.getByTestId("paused-banner")).toBeVisible();
  await fromMenu("pause-toggle");
  await expect(page.getByTestId("paused-banner")).toHaveCount(0);

  const before = await player.theme();
  await fromMenu("theme-toggle");
  expect(await player.theme()).not.toBe(before);

  await fromMenu("shortcuts-open");
  await expect(page.getByTestId("shortcuts")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("shortcuts")).toBeHidden();

  page.once("dialog", (dialog) => dialog.accept());
  await fromMenu("clear-events");
  await expect(player.rows).toHaveCount(0);
});

test("at 390 px a row shows type, source and time, and the detail opens full screen with a back control", async ({
  page,
  request,
}) => {
  await new Producer(request).structured(
    makeEvent({ id: "p-2", type: "com.example.phone.checked", source: "https://example.com/phone" }),
  );
  const player = new PlayerPage(page);
  await player.open();
  const row = player.row("p-2");
  for (const cell of ["row-type", "row-source"]) await onScreen(row.getByTestId(cell));
  await expect(row.getByTestId("row-type")).toHaveText("com.example.phone.checked");
  await expect(player.detail).toBeHidden();

  await row.click();
  const back = page.getByTestId("detail-close");
  await onScreen(back);
  await expect(back).toContainText("Back");
  const box = await player.detail.boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(389);
  await back.click();
  await expect(player.detail).toBeHidden();
  await onScreen(row);
});
