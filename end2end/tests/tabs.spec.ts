import { expect, test, type APIRequestContext } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

async function streamClients(request: APIRequestContext): Promise<number> {
  const status = await (await request.get("/api/status")).json();
  return status.clients;
}

test("ten tabs share one stream and keep receiving when the leader closes", async ({ context, request }) => {
  const producer = new Producer(request);
  const tabs: PlayerPage[] = [];
  for (let i = 0; i < 10; i++) {
    const tab = new PlayerPage(await context.newPage());
    await tab.goto();
    await tab.hydrated();
    tabs.push(tab);
  }
  for (const tab of tabs) {
    await expect(tab.light).toHaveAttribute("data-state", "green");
  }
  await expect.poll(() => streamClients(request)).toBe(1);

  await producer.batch([makeEvent({ id: "t-1" }), makeEvent({ id: "t-2" })]);
  for (const tab of tabs) {
    await expect(tab.rows).toHaveCount(2);
  }

  // The first tab took the lock: closing it hands the stream to another tab.
  await tabs[0].page.close();
  const rest = tabs.slice(1);
  await producer.structured(makeEvent({ id: "t-3" }));
  await producer.batch([makeEvent({ id: "t-4" }), makeEvent({ id: "t-5" })]);
  for (const tab of rest) {
    await expect(tab.rows).toHaveCount(5);
    for (const id of ["t-1", "t-2", "t-3", "t-4", "t-5"]) {
      await expect(tab.row(id)).toHaveCount(1);
    }
  }
  await expect.poll(() => streamClients(request)).toBe(1);
});

test("each tab keeps its own filter", async ({ context, request }) => {
  const a = new PlayerPage(await context.newPage());
  const b = new PlayerPage(await context.newPage());
  await a.open("/?type=com.example.user.*");
  await b.open();
  await new Producer(request).batch([
    makeEvent({ id: "u-1", type: "com.example.user.created" }),
    makeEvent({ id: "o-1", type: "com.example.order.created" }),
  ]);
  await expect(a.rows).toHaveCount(1);
  await expect(b.rows).toHaveCount(2);
});

test("a tab opened later holds every event the others hold, once, and follows the leader's light", async ({
  context,
  request,
}) => {
  const producer = new Producer(request);
  const first = new PlayerPage(await context.newPage());
  await first.open();
  // More than one sync page (1,000 events each), posted while the first tab is alone.
  for (let batch = 0; batch < 5; batch++) {
    await producer.batch(Array.from({ length: 500 }, (_, i) => makeEvent({ id: `late-${batch}-${i}` })));
  }
  await expect(first.count).toHaveText("2500 events");

  const late = new PlayerPage(await context.newPage());
  await late.goto();
  await late.hydrated();
  await expect(late.count).toHaveText("2500 events");
  await expect(late.light).toHaveAttribute("data-state", "green");
  await producer.structured(makeEvent({ id: "after-join" }));
  await expect(late.row("after-join")).toHaveCount(1);
  await expect(late.count).toHaveText("2501 events");
  await expect.poll(() => streamClients(request)).toBe(1);
});
