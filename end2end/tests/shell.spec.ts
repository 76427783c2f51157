import { expect, test } from "@playwright/test";
import { PlayerPage } from "./fixtures/player_page";

test("server renders the title, header and empty state before any script runs", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page).toHaveTitle("CloudEvent Player");
  await expect(page.getByTestId("brand")).toHaveText("CloudEvent Player");
  await expect(page.getByTestId("empty-state")).toContainText("No events yet");
  await expect(page.getByTestId("app")).toHaveAttribute("data-hydrated", "false");
  await context.close();
});

test("theme toggle works after hydration and survives a reload", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  const player = new PlayerPage(page);
  await player.goto();
  await player.hydrated();
  expect(await player.theme()).toBe("light");

  await player.themeToggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe("rgb(15, 17, 21)");

  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await player.hydrated();
  await player.themeToggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
});

test("health endpoints answer ok", async ({ request }) => {
  for (const path of ["/healthz", "/health"]) {
    const response = await request.get(path);
    expect(response.status()).toBe(200);
    expect(await response.text()).toBe("ok");
  }
});
