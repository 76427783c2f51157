import { expect, test, type Page } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

/** Events in this tab's IndexedDB cache; with `from` (a history id), those from it on. */
function cachedCount(page: Page, from?: string): Promise<number> {
  return page.evaluate(
    (from) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open("cloudevent-player");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("events")) return resolve(0);
          const range = from === undefined ? undefined : IDBKeyRange.lowerBound(from.split("-").map(Number));
          const count = db.transaction("events").objectStore("events").count(range);
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
    from,
  );
}

test("after a reload cached events show before the stream answers, then missed ones arrive once", async ({
  context,
  request,
}) => {
  const producer = new Producer(request);
  const first = new PlayerPage(await context.newPage());
  await first.open();
  await producer.batch([makeEvent({ id: "p-1" }), makeEvent({ id: "p-2" }), makeEvent({ id: "p-3" })]);
  await expect(first.rows).toHaveCount(3);
  await expect.poll(() => cachedCount(first.page)).toBe(3);
  await first.page.close();

  // Posted while no tab is open.
  await producer.batch([makeEvent({ id: "p-4" }), makeEvent({ id: "p-5" })]);

  const page = await context.newPage();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/stream**", async (route) => {
    await held;
    await route.continue();
  });
  const player = new PlayerPage(page);
  await player.goto();
  await player.hydrated();
  await expect(player.rows).toHaveCount(3);
  await expect(player.row("p-3")).toHaveCount(1);
  await expect(player.light).not.toHaveAttribute("data-state", "green");

  release();
  await expect(player.light).toHaveAttribute("data-state", "green");
  await expect(player.rows).toHaveCount(5);
  for (const id of ["p-1", "p-2", "p-3", "p-4", "p-5"]) {
    await expect(player.row(id)).toHaveCount(1);
  }
  await expect.poll(() => cachedCount(page)).toBe(5);
});

test("a reload shows the newest cached events first, then every older one, with duplicates marked across the two", async ({
  context,
  request,
}) => {
  const producer = new Producer(request);
  const first = new PlayerPage(await context.newPage());
  await first.open();
  const original = makeEvent({ id: "retried", source: "https://example.com/retry" });
  const older = Array.from({ length: 999 }, (_, i) => makeEvent({ id: `old-${i}` }));
  await producer.batch([original, ...older]);
  // A retry of the oldest event, among the newest: the cache loads it before its original.
  await producer.batch([{ ...original, data: { retry: true } }, ...Array.from({ length: 10 }, (_, i) => makeEvent({ id: `new-${i}` }))]);
  await expect(first.count).toContainText("1011");
  await expect.poll(() => cachedCount(first.page)).toBe(1011);
  await first.page.close();

  const page = await context.newPage();
  await page.route("**/stream**", () => {});
  const player = new PlayerPage(page);
  await player.goto();
  await player.hydrated();
  await expect(player.count).toContainText("1011");
  await expect(player.rows.first().getByTestId("row-id")).toHaveText("new-9");
  const copies = player.row("retried");
  await player.filter("source").fill("https://example.com/retry");
  await expect(copies).toHaveCount(2);
  await expect(copies.first().getByText("dup", { exact: true })).toBeVisible();
  await expect(copies.last().getByText("dup", { exact: true })).toHaveCount(0);
});

/** Where the writer says the newest page starts, and how many cached events lie from there on. */
async function bookmarkedPage(page: Page): Promise<{ bookmark: string | null; from: number }> {
  const bookmark = await page.evaluate(() => localStorage.getItem("cep-cache-newest-page"));
  const valid = bookmark !== null && /^\d+-\d+$/.test(bookmark);
  return { bookmark, from: valid ? await cachedCount(page, bookmark) : -1 };
}

test("the cache bookmarks its newest 300 events, and a reload shows every event whatever the bookmark says", async ({
  context,
  request,
}) => {
  const producer = new Producer(request);
  const first = new PlayerPage(await context.newPage());
  await first.open();
  for (let b = 0; b < 2; b++) {
    await producer.batch(Array.from({ length: 750 }, (_, i) => makeEvent({ id: `b-${b * 750 + i}` })));
  }
  await expect(first.count).toContainText("1500");
  await expect.poll(() => cachedCount(first.page)).toBe(1500);
  await expect.poll(() => bookmarkedPage(first.page).then((p) => p.from)).toBe(300);
  await first.page.close();

  const page = await context.newPage();
  await page.route("**/stream**", () => {});
  const player = new PlayerPage(page);
  // Sound, newer than every event, older than every event (a page far too long), not an id.
  for (const bookmark of [null, "99999999999999-0", "1-0", "not-an-id"]) {
    if (bookmark !== null) await page.evaluate((b) => localStorage.setItem("cep-cache-newest-page", b), bookmark);
    await player.goto();
    await player.hydrated();
    await expect(player.count, `bookmark ${bookmark}`).toContainText("1500");
    await expect(player.rows.first().getByTestId("row-id")).toHaveText("b-1499");
  }
});

test("clear in one tab empties every tab and the cache", async ({ context, request }) => {
  const producer = new Producer(request);
  const a = new PlayerPage(await context.newPage());
  const b = new PlayerPage(await context.newPage());
  await a.open();
  await b.open();
  await producer.batch([makeEvent({ id: "c-1" }), makeEvent({ id: "c-2" })]);
  await expect(a.rows).toHaveCount(2);
  await expect(b.rows).toHaveCount(2);
  await expect.poll(() => cachedCount(a.page)).toBe(2);

  a.page.once("dialog", (dialog) => dialog.accept());
  await a.page.getByTestId("clear-events").click();
  await expect(a.rows).toHaveCount(0);
  await expect(b.rows).toHaveCount(0);
  await expect.poll(() => cachedCount(b.page)).toBe(0);
});

test("a gap is shown in the list when the server cannot replay what a tab missed", async ({ page, request }) => {
  const player = new PlayerPage(page);
  // An id the server never issued: replay cannot be complete.
  await page.route("**/stream**", (route) =>
    route.continue({ headers: { ...route.request().headers(), "last-event-id": "1-0" } }),
  );
  await new Producer(request).structured(makeEvent({ id: "g-1" }));
  await player.open();
  await expect(player.row("g-1").getByTestId("gap-marker")).toHaveCount(1);
});
