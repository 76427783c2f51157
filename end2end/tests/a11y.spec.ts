import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

/** Critical and serious axe-core violations on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(" | ")}`);
}

/** Opens the page in `theme`, saved the way the theme toggle saves it. */
async function openIn(page: Page, theme: "light" | "dark", path = "/") {
  await page.addInitScript((t) => localStorage.setItem("cep-theme", t), theme);
  const player = new PlayerPage(page);
  await player.open(path);
  expect(await player.theme()).toBe(theme);
  return player;
}

/** A few events, one of them a duplicate and one 0.3, so rows carry every badge. */
async function seed(producer: Producer) {
  const first = makeEvent({ id: "a11y-1", subject: "orders/1" });
  await producer.batch([first, makeEvent({ id: "a11y-2" }), makeEvent({ id: "a11y-3", type: "com.example.user.created" })]);
  await producer.structured({ ...first, data: { retry: true } });
  await producer.structured({ specversion: "0.3", id: "a11y-old", source: "/legacy", type: "com.example.legacy" });
  await producer.refused({ "content-type": "application/cloudevents+json" }, '{"specversion":"1.0","id":"x"}');
}

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

for (const theme of ["light", "dark"] as const) {
  test(`the empty page has no critical or serious axe violations (${theme})`, async ({ page }) => {
    await openIn(page, theme);
    await expect(page.getByTestId("empty-state")).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the list with the detail open has no critical or serious axe violations (${theme})`, async ({ page, request }) => {
    await seed(new Producer(request));
    const player = await openIn(page, theme);
    await player.row("a11y-1").first().click();
    await expect(page.getByTestId("detail-type")).toBeVisible();
    await expect(page.getByTestId("detail-mode")).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
    // An event with warnings, one of its rules muted: badges, rule ids, reasons, mute buttons.
    await player.row("a11y-old").click();
    await expect(player.row("a11y-old").getByTestId("warning-badge")).toBeVisible();
    await page.getByTestId("mute-rule").first().click();
    await expect(page.getByTestId("warning").first()).toContainText("(muted)");
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the send form has no critical or serious axe violations (${theme})`, async ({ page }) => {
    await openIn(page, theme);
    await page.getByTestId("send-open").click();
    await expect(page.getByTestId("send-panel")).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the rejected lane has no critical or serious axe violations (${theme})`, async ({ page, request }) => {
    await seed(new Producer(request));
    const player = await openIn(page, theme);
    await player.rejectedToggle.click();
    await expect(player.rejections.first()).toBeVisible();
    await player.openRequestByKeyboard(player.rejections.first());
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the Trigger dry-run with results and an invalid expression has no critical or serious axe violations (${theme})`, async ({ page, request }) => {
    await seed(new Producer(request));
    await openIn(page, theme);
    await page.getByTestId("filter-expression").fill("type =");
    await expect(page.getByTestId("filter-expression-error")).not.toHaveText("");
    await page.getByTestId("trigger-open").click();
    await page.getByTestId("trigger-preview").click();
    await expect(page.getByTestId("trigger-summary")).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the delivery lab with a rule, its preview and its form has no critical or serious axe violations (${theme})`, async ({ page, request }) => {
    await seed(new Producer(request));
    await openIn(page, theme);
    await page.getByTestId("lab-open").click();
    // A rule of the draft only, never saved: nothing stays in force for other specs.
    await page.getByTestId("rules-add").click();
    // The form focuses its name field on the next frame; typing elsewhere before that loses keys.
    await expect(page.getByTestId("rule-form-name")).toBeFocused();
    await page.getByTestId("rule-form-path").fill("/r/orders");
    await page.getByTestId("rule-form-status").fill("503");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId("rule-form-apply").click();
    await expect(page.getByTestId("rule-preview")).toContainText("would match 0 of the last");
    await expect(page.getByTestId("rules-status")).toHaveText("Unsaved changes");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId("rule-edit").click();
    await expect(page.getByTestId("rule-form-name")).toBeFocused();
    await page.getByTestId("rule-form-status").fill("700");
    await page.getByTestId("rule-form-apply").click();
    await page.getByTestId("rules-save").click();
    await expect(page.getByTestId("rules-error")).toContainText("rules[0].action.status");
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the retry timeline and both verdicts have no critical or serious axe violations (${theme})`, async ({ page, request }) => {
    const rules = (list: unknown[]) => request.put("/api/rules", { data: { rules: list } });
    expect((await rules([{ name: "flaky", match: { path: "/r/a11y" }, action: { fail_first: 1 } }])).status()).toBe(200);
    try {
      const event = JSON.stringify(makeEvent({ id: "a11y-retried" }));
      const post = () => request.post("/r/a11y", { headers: { "content-type": "application/cloudevents+json" }, data: event });
      expect((await post()).status()).toBe(503);
      expect((await post()).status()).toBe(202);
    } finally {
      await rules([]);
    }
    const player = await openIn(page, theme);
    await player.row("a11y-retried").first().click();
    const deliveries = page.getByTestId("deliveries");
    await expect(deliveries.getByTestId("delivery-attempt")).toHaveCount(2);
    await deliveries.getByTestId("policy-backoffPolicy").selectOption("exponential");
    await deliveries.getByTestId("policy-retry").fill("1");
    // The retry came straight after the answer, plus however long this machine took to send it.
    await deliveries.getByTestId("policy-backoffDelay").fill("PT0.1S");
    await deliveries.getByTestId("policy-tolerance").fill("10");
    await deliveries.getByTestId("policy-check").click();
    await expect(deliveries.getByTestId("verdict")).toHaveAttribute("data-matches", "true");
    expect(await seriousViolations(page)).toEqual([]);
    await deliveries.getByTestId("policy-backoffDelay").fill("PT60S");
    await deliveries.getByTestId("policy-tolerance").fill("");
    await deliveries.getByTestId("policy-check").click();
    await expect(deliveries.getByTestId("verdict")).toHaveAttribute("data-matches", "false");
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the shortcuts dialog has no critical or serious axe violations (${theme})`, async ({ page }) => {
    await openIn(page, theme);
    await page.keyboard.press("?");
    await expect(page.getByTestId("shortcuts")).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });
}

test.describe("at 390x844", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  for (const theme of ["light", "dark"] as const) {
    test(`the phone layout has no critical or serious axe violations (${theme})`, async ({ page, request }) => {
      await seed(new Producer(request));
      const player = await openIn(page, theme);
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByTestId("menu-toggle").click();
      await expect(page.getByTestId("send-open")).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByTestId("menu-toggle").click();
      await player.row("a11y-2").click();
      await expect(page.getByTestId("detail-close")).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });
  }
});
