import { expect, test, type Page } from "@playwright/test";
import { makeEvent, PlayerPage } from "./fixtures/player_page";
import { PlayerProcess } from "./fixtures/server";

/** A player of its own, started with a token. */
const TOKEN = "e2e-access-token";
const server = new PlayerProcess(3021, ["--token", TOKEN]);

test.beforeAll(async () => server.start());
test.afterAll(async () => server.stop());

/** Console errors, page errors and CSP violations seen by `page`, for an empty-list assertion. */
function problems(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (message) => {
    // The sign-in page itself is a 401, which Chromium reports as a failed resource.
    if (message.type() === "error" && !message.text().includes("401")) seen.push(message.text());
  });
  page.on("pageerror", (error) => seen.push(error.message));
  return seen;
}

async function postWithToken(page: Page, event: Record<string, unknown>) {
  const response = await page.request.post(`${server.base}/events`, {
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/cloudevents+json" },
    data: JSON.stringify(event),
  });
  expect(response.status(), await response.text()).toBe(202);
}

test("a wrong token shows an error; the right one lands on the live app", async ({ page, context }) => {
  const seen = problems(page);
  const response = await page.goto(`${server.base}/`);
  expect(response?.status()).toBe(401);
  await expect(page).toHaveTitle(/Sign in/);
  const token = page.getByLabel("Access token");
  await expect(token).toBeFocused();
  await expect(page.getByTestId("signin-error")).toHaveCount(0);

  await token.fill("not-the-token");
  await token.press("Enter");
  await expect(page.getByRole("alert")).toContainText("not right");
  await expect(token).toHaveAttribute("aria-invalid", "true");
  await expect(token).toBeFocused();

  await token.fill(TOKEN);
  await page.getByTestId("signin-submit").click();
  await expect(page).toHaveURL(`${server.base}/`);
  const player = new PlayerPage(page);
  await player.hydrated();
  await expect(player.light).toHaveAttribute("data-state", "green");

  const session = (await context.cookies(server.base)).find((cookie) => cookie.name === "cep_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
  expect(session?.value).not.toContain(TOKEN);

  await postWithToken(page, makeEvent({ id: "with-token" }));
  await expect(player.row("with-token")).toHaveCount(1);
  expect(seen).toEqual([]);
});

test("a link carrying the token signs in and leaves the address bar without it", async ({ page }) => {
  await page.goto(`${server.base}/?access_token=${TOKEN}&type=com.example.*`);
  await expect(page).toHaveURL(`${server.base}/?type=com.example.*`);
  const player = new PlayerPage(page);
  await player.hydrated();
  await expect(player.filter("type")).toHaveValue("com.example.*");
  await expect(player.light).toHaveAttribute("data-state", "green");
});

test("the sign-in form fits a 390 px screen and follows the dark scheme", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${server.base}/`);
  const form = page.getByTestId("signin-form");
  await expect(form).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  const box = await page.getByTestId("signin-submit").boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).toBe("rgb(15, 17, 21)");
});

test("without the token the API, the stream and producers get 401", async ({ request }) => {
  for (const path of ["/api/status", "/stream", "/metrics"]) {
    const response = await request.get(`${server.base}${path}`);
    expect(response.status(), path).toBe(401);
    expect(response.headers()["www-authenticate"]).toBe('Bearer realm="cloudevent-player"');
    expect((await response.json()).error.code).toBe("unauthorized");
  }
  const post = await request.post(`${server.base}/events`, {
    headers: { "content-type": "application/cloudevents+json" },
    data: JSON.stringify(makeEvent()),
  });
  expect(post.status()).toBe(401);
  expect((await request.get(`${server.base}/healthz`)).status()).toBe(200);
});
