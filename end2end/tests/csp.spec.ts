import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

declare global {
  interface Window {
    cspViolations: string[];
  }
}

test("the app hydrates and shows events under its Content-Security-Policy with no violation", async ({
  page,
  request,
}) => {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  // Runs before the page's own scripts, so a violation during load is caught too.
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const response = await page.goto("/");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
  expect(response?.headers()["x-frame-options"]).toBe("DENY");

  const player = new PlayerPage(page);
  await player.hydrated();
  await expect(player.light).toHaveAttribute("data-state", "green");
  await new Producer(request).structured(makeEvent({ id: "under-csp" }));
  await expect(player.row("under-csp")).toHaveCount(1);
  await player.row("under-csp").click();
  await expect(player.detail).toBeVisible();

  expect(await page.evaluate(() => window.cspViolations)).toEqual([]);
  expect(errors).toEqual([]);
});

test("the inline theme script runs under the policy before any WASM", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.route("**/pkg/**", (route) => route.abort());
  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
});

test("the send form, the detail and the rejected lane load their code on first use, under the policy", async ({
  page,
  request,
}) => {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const wasm: { url: string; status: number; type: string }[] = [];
  page.on("response", (response) => {
    if (response.url().endsWith(".wasm")) {
      wasm.push({ url: response.url(), status: response.status(), type: response.headers()["content-type"] });
    }
  });
  const chunks = () => wasm.filter((w) => !w.url.endsWith("/cloudevent-player.wasm"));

  const player = new PlayerPage(page);
  await player.open();
  await new Producer(request).structured(makeEvent({ id: "lazy-parts" }));
  await expect(player.row("lazy-parts")).toHaveCount(1);
  expect(wasm.map((w) => w.url.split("/").pop())).toEqual(["cloudevent-player.wasm"]);

  await player.row("lazy-parts").click();
  await expect(page.getByTestId("detail-type")).toHaveText("com.example.order.created");
  const afterDetail = chunks().length;
  expect(afterDetail).toBeGreaterThan(0);

  await page.getByTestId("send-open").click();
  await expect(page.getByTestId("send-id")).not.toHaveValue("");
  await player.rejectedToggle.click();
  await expect(page.getByTestId("rejected-lane")).toBeVisible();
  expect(chunks().length).toBeGreaterThan(afterDetail);

  for (const chunk of chunks()) {
    expect(chunk.status, chunk.url).toBe(200);
    expect(chunk.type, chunk.url).toBe("application/wasm");
    // Beside the glue the page loaded, in the same content-hashed directory.
    expect(chunk.url, chunk.url).toMatch(/\/pkg\/[0-9a-f]{16}\/[^/]+\.wasm$/);
  }
  expect(await page.evaluate(() => window.cspViolations)).toEqual([]);
  expect(errors).toEqual([]);
});
