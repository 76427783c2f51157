import { expect, test, type Page } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

/** The `data-testid` of the focused element, or its tag when it has none. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("data-testid") ?? el?.tagName.toLowerCase() ?? "";
  });
}

/** Presses Tab until `testid` has focus; fails after `limit` presses. */
async function tabTo(page: Page, testid: string, limit = 40) {
  for (let i = 0; i < limit; i++) {
    if ((await focused(page)) === testid) return;
    await page.keyboard.press("Tab");
  }
  expect(await focused(page), `Tab never reached ${testid}`).toBe(testid);
}

/** The `data-id` of the row the list's `aria-activedescendant` names. */
function activeRow(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const id = document.querySelector("[data-testid=event-list]")?.getAttribute("aria-activedescendant");
    return id ? (document.getElementById(id)?.querySelector("[data-testid=row-id]")?.textContent ?? null) : null;
  });
}

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

test("Import is a button that opens the file picker", async ({ page }) => {
  // Records which file input the page asks to open instead of opening the native picker: after
  // other specs' pages, this Chromium no longer reports file choosers to Playwright reliably.
  await page.addInitScript(() => {
    HTMLInputElement.prototype.click = function (this: HTMLInputElement) {
      if (this.type === "file") (window as unknown as { picked: string }).picked = this.dataset.testid ?? "?";
    };
  });
  const player = new PlayerPage(page);
  await player.open();
  await tabTo(page, "import-button");
  await page.keyboard.press("Enter");
  await expect.poll(() => page.evaluate(() => (window as unknown as { picked?: string }).picked)).toBe("import-file");
});

test("keyboard only: focus the list, move, open and close the detail, search, send, filter by a bar", async ({
  page,
  request,
}) => {
  const producer = new Producer(request);
  // Oldest first, so the list shows k-5 at the top.
  await producer.batch([1, 2, 3, 4, 5].map((n) => makeEvent({ id: `k-${n}`, type: `com.example.k${n}` })));
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.rows).toHaveCount(5);

  // The list is one tab stop; focusing it makes the newest event active.
  await tabTo(page, "event-list");
  await expect(player.list).toHaveAttribute("role", "grid");
  expect(await activeRow(page)).toBe("k-5");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  expect(await activeRow(page)).toBe("k-3");
  await page.keyboard.press("End");
  expect(await activeRow(page)).toBe("k-1");
  await page.keyboard.press("Home");
  expect(await activeRow(page)).toBe("k-5");
  await page.keyboard.press("PageDown");
  expect(await activeRow(page)).toBe("k-1");
  await page.keyboard.press("ArrowUp");
  expect(await activeRow(page)).toBe("k-2");

  // Enter opens the detail of the active row; Escape closes it and gives focus back to the list.
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("detail-type")).toHaveText("com.example.k2");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("detail-type")).toHaveCount(0);
  expect(await focused(page)).toBe("event-list");
  // One more Tab leaves the list: it is a single stop, not one per row.
  await page.keyboard.press("Tab");
  expect(await focused(page)).not.toBe("event-row");

  // `/` searches.
  await page.keyboard.press("/");
  expect(await focused(page)).toBe("filter-text");
  await page.keyboard.type("com.example.k4");
  await expect(player.rows).toHaveCount(1);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await expect(player.rows).toHaveCount(5);

  // The send form from the keyboard: open, land in it, send with Enter, close with Escape.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await tabTo(page, "send-open");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("send-panel")).toBeVisible();
  await expect.poll(() => focused(page)).toBe("send-type");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("com.example.keyboard.sent");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("send-result")).toContainText("HTTP 202");
  await expect(player.rows).toHaveCount(6);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("send-panel")).toHaveCount(0);
  expect(await focused(page)).toBe("send-open");

  // A timeline bar is a button: Enter on it narrows the time range.
  await tabTo(page, "timeline-bar");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("filter-time-range")).toBeVisible();
});

test("? opens the shortcuts as a modal dialog: focus stays in it, Escape closes it and focus returns", async ({
  page,
}) => {
  const player = new PlayerPage(page);
  await player.open();
  await tabTo(page, "pause-toggle");
  await page.keyboard.press("?");
  const dialog = page.getByTestId("shortcuts");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Open the event's detail");
  for (let i = 0; i < 4; i++) {
    const inside = await page.evaluate(() => {
      const el = document.activeElement;
      return !el || el === document.body || !!el.closest("[data-testid=shortcuts]");
    });
    expect(inside, "focus left the dialog").toBe(true);
    await page.keyboard.press("Tab");
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(await focused(page)).toBe("pause-toggle");
});

test("focus is visible on every control the Tab key reaches", async ({ page, request }) => {
  await new Producer(request).structured(makeEvent({ id: "f-1" }));
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.rows).toHaveCount(1);
  const seen = new Set<string>();
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    const style = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      return {
        id: el.getAttribute("data-testid") ?? el.tagName,
        ring: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none",
      };
    });
    if (!style || seen.has(style.id)) continue;
    seen.add(style.id);
    expect(style.ring, `${style.id} shows no focus ring`).toBe(true);
  }
  expect(seen.has("event-list")).toBe(true);
});
