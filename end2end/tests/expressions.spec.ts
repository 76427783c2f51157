import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("a CESQL expression filters the list, is checked as typed and kept in the URL", async ({ page, request }) => {
  await new Producer(request).batch([
    makeEvent({ id: "x-eu-big", type: "com.example.order.created", region: "eu", amount: 500 }),
    makeEvent({ id: "x-eu-small", type: "com.example.order.created", region: "eu", amount: 5 }),
    makeEvent({ id: "x-us-big", type: "com.example.order.paid", region: "us", amount: 900 }),
    makeEvent({ id: "x-none", type: "com.example.user.created" }),
  ]);
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.rows).toHaveCount(4);

  const field = player.filter("expression");
  await field.fill("region = 'eu' AND amount > 100");
  await expect(player.rows).toHaveCount(1);
  await expect(player.row("x-eu-big")).toHaveCount(1);
  await expect(player.showing).toHaveText("showing 1 of 4");
  await expect(page).toHaveURL(/filter=region\+%3D\+%27eu%27\+AND\+amount\+%3E\+100/);
  await expect(field).toHaveAttribute("aria-invalid", "false");

  // A half-typed expression says where it fails and filters nothing meanwhile.
  await field.fill("amount >");
  await expect(page.getByTestId("filter-expression-error")).toHaveText(/^Column 9: /);
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(player.rows).toHaveCount(4);

  // Functions, LIKE and EXISTS; AND-ed with the wildcard fields.
  await field.fill("EXISTS region AND type LIKE '%.order.%' AND UPPER(region) <> 'US'");
  await expect(page.getByTestId("filter-expression-error")).toHaveText("");
  await expect(player.rows).toHaveCount(2);
  await player.filter("text").fill("x-eu-small");
  await expect(player.rows).toHaveCount(1);

  // A link reproduces the view, the expression included.
  const fresh = new PlayerPage(await page.context().newPage());
  await fresh.open(`/?filter=${encodeURIComponent("amount >= 500")}`);
  await expect(fresh.filter("expression")).toHaveValue("amount >= 500");
  await expect(fresh.rows).toHaveCount(2);
  await expect(fresh.row("x-us-big")).toHaveCount(1);

  // New events are filtered as they arrive.
  await new Producer(request).structured(makeEvent({ id: "x-live", region: "eu", amount: 700 }));
  await expect(fresh.row("x-live")).toHaveCount(1);
  await new Producer(request).structured(makeEvent({ id: "x-live-small", region: "eu", amount: 1 }));
  await expect(fresh.count).toContainText("6");
  await expect(fresh.row("x-live-small")).toHaveCount(0);
});

test("a pasted Trigger shows which events it delivers and what refused the others", async ({ page, request }) => {
  const producer = new Producer(request);
  await producer.batch([
    makeEvent({ id: "t-created", type: "com.example.order.created", subject: "orders/1" }),
    makeEvent({ id: "t-test", type: "com.example.order.created", subject: "test/1" }),
    makeEvent({ id: "t-user", type: "com.example.user.created", subject: "users/1" }),
  ]);
  const player = new PlayerPage(page);
  await player.open();
  await page.getByTestId("trigger-open").click();
  const panel = page.getByTestId("trigger-panel");
  await expect(panel).toBeVisible();
  await panel.getByTestId("trigger-input").fill(
    [
      "apiVersion: eventing.knative.dev/v1",
      "kind: Trigger",
      "metadata:",
      "  name: orders",
      "spec:",
      "  broker: default",
      "  filters:",
      "    - any:",
      "        - exact:",
      "            type: com.example.order.created",
      "        - prefix:",
      "            type: com.example.order.",
      "    - not:",
      "        cesql: \"subject LIKE 'test/%'\"",
    ].join("\n"),
  );
  await panel.getByTestId("trigger-preview").click();
  await expect(panel.getByTestId("trigger-summary")).toHaveText("orders would deliver 1 of the 3 newest stored events");
  const row = (id: string) => panel.getByTestId("trigger-row").filter({ hasText: id });
  await expect(row("t-created")).toHaveAttribute("data-verdict", "delivered");
  await expect(row("t-test")).toHaveAttribute("data-verdict", "refused");
  await expect(row("t-test").getByTestId("trigger-reason")).toContainText("spec.filters[1]");
  await expect(row("t-test").getByTestId("trigger-reason")).toContainText("not");
  await expect(row("t-user").getByTestId("trigger-reason")).toContainText("spec.filters[0]");

  // It follows the stream while open.
  await producer.structured(makeEvent({ id: "t-live", type: "com.example.order.shipped", subject: "orders/2" }));
  await expect(panel.getByTestId("trigger-summary")).toHaveText("orders would deliver 2 of the 4 newest stored events");
  await expect(row("t-live")).toHaveAttribute("data-verdict", "delivered");

  // A broken Trigger gets the server's error, path included.
  await panel.getByTestId("trigger-input").fill("spec:\n  filters:\n    - regex:\n        type: x\n");
  await panel.getByTestId("trigger-preview").click();
  await expect(panel.getByTestId("trigger-error")).toContainText("spec.filters[0]");

  await panel.getByTestId("trigger-close").click();
  await expect(panel).toHaveCount(0);
});

test("the expression field and the Trigger panel work from the keyboard", async ({ page, request }) => {
  await new Producer(request).batch([
    makeEvent({ id: "k-eu", region: "eu" }),
    makeEvent({ id: "k-us", region: "us" }),
  ]);
  const player = new PlayerPage(page);
  await player.open();
  await player.filter("expression").focus();
  await page.keyboard.type("region = 'eu'");
  await expect(player.rows).toHaveCount(1);
  await page.getByTestId("trigger-open").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("trigger-open")).toHaveAttribute("aria-expanded", "true");
  await page.getByTestId("trigger-input").focus();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type('{"spec": {"filters": [{"exact": {"region": "us"}}]}}');
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("trigger-preview")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("trigger-summary")).toHaveText("This Trigger would deliver 1 of the 2 newest stored events");
  await page.getByTestId("trigger-close").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("trigger-panel")).toHaveCount(0);
});
