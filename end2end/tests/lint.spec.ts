import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("a warning badge counts the rules an event breaks; muting one in the detail uncounts it, across reloads", async ({
  page,
  request,
}) => {
  const producer = new Producer(request);
  await producer.structured(makeEvent({ id: "clean-1" }));
  await producer.structured(makeEvent({ id: "sloppy-1", source: "/orders", type: "created" }));
  const player = new PlayerPage(page);
  await player.open();
  const badge = player.row("sloppy-1").getByTestId("warning-badge");
  await expect(badge).toHaveText("⚠ 2");
  await expect(badge).toHaveAttribute("title", "Warnings: source-absolute type-prefix");
  await expect(player.row("clean-1").getByTestId("warning-badge")).toHaveCount(0);

  await player.row("sloppy-1").click();
  const warning = player.detail.locator('[data-testid="warning"][data-rule="source-absolute"]');
  await expect(warning).toContainText("An absolute URI is RECOMMENDED");
  await expect(warning).toContainText('source: "/orders" is a relative reference');
  await warning.getByTestId("mute-rule").click();
  await expect(warning).toContainText("(muted)");
  await expect(badge).toHaveText("⚠ 1");
  await expect(badge).toHaveAttribute("title", "Warnings: type-prefix");

  // Kept for this browser: after a reload (rows from the cache, then the stream) it is still muted.
  await player.open();
  await expect(player.row("sloppy-1").getByTestId("warning-badge")).toHaveText("⚠ 1");
  const other = makeEvent({ id: "sloppy-2", source: "/payments" });
  await producer.structured(other);
  await expect(player.row("sloppy-2").getByTestId("warning-badge")).toHaveCount(0);

  await player.row("sloppy-1").click();
  await player.detail.locator('[data-rule="source-absolute"]').getByTestId("mute-rule").click();
  await expect(player.row("sloppy-1").getByTestId("warning-badge")).toHaveText("⚠ 2");
  await expect(player.row("sloppy-2").getByTestId("warning-badge")).toHaveText("⚠ 1");
});

test("Clear empties the rejected lane with the history, in every tab and after a reload", async ({
  page,
  context,
  request,
}) => {
  const producer = new Producer(request);
  await producer.structured(makeEvent({ id: "before-clear" }));
  await producer.refused({ "content-type": "application/cloudevents+json" }, "{not json");
  const player = new PlayerPage(page);
  await player.open();
  const other = new PlayerPage(await context.newPage());
  await other.open();
  for (const tab of [player, other]) await expect(tab.rejectedCount).toHaveText("1");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByTestId("clear-events").click();
  for (const tab of [player, other]) {
    await expect(tab.rows).toHaveCount(0);
    await expect(tab.rejectedCount).toHaveText("0");
  }
  await player.rejectedToggle.click();
  await expect(player.rejections).toHaveCount(0);
  await player.open();
  await player.rejectedToggle.click();
  await expect(player.rejections).toHaveCount(0);
  await producer.refused({ "content-type": "application/cloudevents+json" }, "[]");
  await expect(player.rejections).toHaveCount(1);
});
