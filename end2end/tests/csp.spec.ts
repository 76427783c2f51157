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
