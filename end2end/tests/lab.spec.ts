import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { makeEvent, PlayerPage, Producer, type CloudEvent } from "./fixtures/player_page";

/** Puts `rules` in force over the API, as a test or a script would. */
async function putRules(request: APIRequestContext, rules: unknown[]) {
  const response = await request.put("/api/rules", { data: { rules } });
  expect(response.status(), await response.text()).toBe(200);
}

/** The rules in force, by name, in order. */
async function ruleNames(request: APIRequestContext): Promise<string[]> {
  const response = await request.get("/api/rules");
  expect(response.status()).toBe(200);
  return (await response.json()).rules.map((rule: { name: string }) => rule.name);
}

/** Posts `event` in structured mode to `path` (a producer under test); the status answered. */
async function deliver(request: APIRequestContext, path: string, event: CloudEvent): Promise<number> {
  const response = await request.post(path, {
    headers: { "content-type": "application/cloudevents+json" },
    data: JSON.stringify(event),
  });
  return response.status();
}

/** The rules panel and its rows. */
class LabPanel {
  readonly panel: Locator;
  readonly rows: Locator;
  readonly status: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId("rules-panel");
    this.rows = page.getByTestId("rule-row");
    this.status = page.getByTestId("rules-status");
  }

  row(name: string): Locator {
    return this.page.locator(`[data-testid="rule-row"][data-name="${name}"]`);
  }

  field(name: string): Locator {
    return this.page.getByTestId(`rule-form-${name}`);
  }

  async save() {
    await this.page.getByTestId("rules-save").click();
    await expect(this.status).toHaveText("Saved");
  }
}

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
  await putRules(request, []);
});

// Every other spec expects the plain 202: no rule stays in force after this one.
test.afterEach(async ({ request }) => {
  await putRules(request, []);
});

test("a rule added in the panel answers a producer 503, 503, then 202, and its preview follows the events", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.structured(makeEvent({ id: "lab-seed-1" }));
  await producer.structured(makeEvent({ id: "lab-seed-2" }));
  const player = new PlayerPage(page);
  await player.open();
  const lab = new LabPanel(page);

  await page.getByTestId("lab-open").click();
  await expect(page.getByTestId("lab-open")).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByTestId("rules-empty")).toBeVisible();
  await page.getByTestId("rules-add").click();
  await expect(lab.field("name")).toBeFocused();
  await lab.field("name").fill("flaky-orders");
  await lab.field("path").fill("/r/orders");
  await lab.field("status").fill("503");
  await lab.field("fail-first").fill("2");
  await lab.field("apply").click();

  const row = lab.row("flaky-orders");
  await expect(row.getByTestId("rule-summary")).toHaveText("/r/orders → 503 to attempts 1-2, then 202");
  await expect(page.locator("#rule-0-edit")).toBeFocused();
  await expect(lab.status).toHaveText("Unsaved changes");
  await expect(row.getByTestId("rule-preview")).toHaveText("would match 0 of the last 2 events (answers 0)");
  expect(await ruleNames(request)).toEqual([]);
  await lab.save();
  expect(await ruleNames(request)).toEqual(["flaky-orders"]);
  await expect(page.getByTestId("rules-save")).toBeDisabled();

  // A producer retrying against the rule; the preview is asked again as its deliveries arrive.
  const order = makeEvent({ id: "lab-order-1" });
  expect(await deliver(request, "/r/orders", order)).toBe(503);
  await expect(row.getByTestId("rule-preview")).toHaveText("would match 1 of the last 3 events (answers 1)");
  expect(await deliver(request, "/r/orders", order)).toBe(503);
  expect(await deliver(request, "/r/orders", order)).toBe(202);
  expect(await deliver(request, "/r/other", makeEvent())).toBe(202);
  await expect(row.getByTestId("rule-preview")).toHaveText("would match 3 of the last 6 events (answers 3)");
  await expect(player.row("lab-order-1")).toHaveCount(3);

  // The list marks each delivery with its answer; the detail draws all three on the timeline.
  await expect(player.row("lab-order-1").getByTestId("delivery-badge")).toHaveText([
    "202 · attempt 3",
    "503 · attempt 2",
    "503 · attempt 1",
  ]);
  await player.rows.filter({ has: page.getByText("503 · attempt 1") }).click();
  const deliveries = player.detail.getByTestId("deliveries");
  await expect(deliveries.getByTestId("delivery-attempt")).toHaveCount(3);
  await expect(deliveries.getByTestId("delivery-attempt").nth(0)).toContainText("rule flaky-orders");
  await expect(deliveries.getByTestId("delivery-axis")).toHaveAttribute("aria-label", /^3 deliveries over .*, answered 503, 503, 202$/);

  await page.getByTestId("rules-close").click();
  await expect(lab.panel).toHaveCount(0);
  await expect(page.getByTestId("lab-open")).toBeFocused();
});

test("rules reorder and disable from the keyboard, and a bad rule shows the server's error naming the field", async ({ page, request }) => {
  await putRules(request, [
    { name: "first", match: { path: "/r/a" }, action: { status: 500 } },
    { name: "second", match: { path: "/r/*" }, action: { status: 502 } },
  ]);
  const player = new PlayerPage(page);
  await player.open();
  const lab = new LabPanel(page);
  await page.getByTestId("lab-open").focus();
  await page.keyboard.press("Enter");
  await expect(lab.rows).toHaveCount(2);
  await expect(lab.rows.first()).toHaveAttribute("data-name", "first");

  // Move "second" up: at the top its "Move up" is off, so focus goes to its "Move down".
  await page.locator("#rule-1-up").focus();
  await page.keyboard.press("Enter");
  await expect(lab.rows.first()).toHaveAttribute("data-name", "second");
  await expect(page.locator("#rule-0-down")).toBeFocused();
  await expect(lab.status).toHaveText("Unsaved changes");
  expect(await deliver(request, "/r/a", makeEvent())).toBe(500);
  await lab.save();
  expect(await ruleNames(request)).toEqual(["second", "first"]);
  expect(await deliver(request, "/r/a", makeEvent())).toBe(502);

  // Disable "second": its checkbox, with Space.
  const enabled = lab.row("second").getByTestId("rule-enabled");
  await enabled.focus();
  await page.keyboard.press("Space");
  await expect(enabled).not.toBeChecked();
  await expect(enabled).toBeFocused();
  await lab.save();
  expect(await deliver(request, "/r/a", makeEvent())).toBe(500);
  expect(await deliver(request, "/r/b", makeEvent())).toBe(202);

  // A status out of range: the server's message names the field, and the draft stays.
  await lab.row("first").getByTestId("rule-edit").click();
  await expect(lab.field("name")).toHaveValue("first");
  await expect(lab.field("name")).toBeFocused();
  await lab.field("status").fill("700");
  await page.keyboard.press("Enter");
  await expect(lab.row("first").getByTestId("rule-summary")).toHaveText("/r/a → always 700");
  await page.getByTestId("rules-save").click();
  const error = page.getByTestId("rules-error");
  await expect(error).toHaveAttribute("role", "alert");
  await expect(error).toContainText("rules[1].action.status");
  await expect(error).toContainText("700");
  await expect(lab.status).toHaveText("Unsaved changes");
  await expect(lab.rows).toHaveCount(2);
  expect(await deliver(request, "/r/a", makeEvent())).toBe(500);

  // Deleting it: focus goes to the rule now in its place (here the one before it).
  await lab.row("first").getByTestId("rule-delete").click();
  await expect(lab.rows).toHaveCount(1);
  await expect(page.locator("#rule-0-edit")).toBeFocused();
  await expect(error).toHaveCount(0);
  await lab.save();
  expect(await ruleNames(request)).toEqual(["second"]);
});

test.describe("at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  /** Fails unless `locator` is visible and wholly inside the 390 px wide viewport. */
  async function onScreen(locator: Locator) {
    await locator.scrollIntoViewIfNeeded();
    await expect(locator).toBeVisible();
    const box = await locator.boundingBox();
    expect(box, "no box").not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  }

  test("the panel, its form and a rule's buttons fit the screen", async ({ page }) => {
    const player = new PlayerPage(page);
    await player.open();
    const lab = new LabPanel(page);
    await onScreen(page.getByTestId("lab-open"));
    await page.getByTestId("lab-open").click();
    await page.getByTestId("rules-add").click();
    await expect(lab.field("name")).toBeFocused();
    for (const field of ["name", "path", "filter", "status", "retry-after", "delay", "fail-first", "fail-probability", "fail-seed", "body", "content-type", "reply", "apply"]) {
      await onScreen(lab.field(field));
    }
    await lab.field("path").fill("/r/phone");
    await lab.field("reply").fill('{"specversion": "1.0", "id": "r1", "source": "/lab", "type": "com.example.reply"}');
    await lab.field("mode-binary").check();
    await lab.field("apply").click();
    const row = lab.row("rule-1");
    await expect(row.getByTestId("rule-summary")).toHaveText("/r/phone → 200 with a reply event (binary)");
    for (const button of ["rule-enabled", "rule-up", "rule-down", "rule-edit", "rule-delete"]) {
      await onScreen(row.getByTestId(button));
    }
    await onScreen(page.getByTestId("rules-save"));
  });
});
