import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { PlayerProcess } from "./fixtures/server";

test.beforeEach(async ({ request }) => {
  await new Producer(request).clear();
});

/** Fills the send form's fields (it is already open). */
async function fillForm(player: PlayerPage, fields: Record<string, string>) {
  for (const [name, value] of Object.entries(fields)) {
    await player.page.getByTestId(`send-${name}`).fill(value);
  }
}

for (const mode of ["structured", "binary"] as const) {
  test(`the send form posts an equal event to this player in ${mode} mode`, async ({ page, request }) => {
    const player = new PlayerPage(page);
    await player.open();
    await page.getByTestId("send-open").click();
    await fillForm(player, {
      type: "com.example.form.sent",
      source: "https://example.com/form",
      subject: `form/${mode}`,
      datacontenttype: "application/json",
      data: '{"answer": 42, "mode": "' + mode + '"}',
      extensions: "region=eu",
    });
    await page.getByTestId(`send-mode-${mode}`).check();
    const id = await page.getByTestId("send-id").inputValue();
    await page.getByTestId("send-submit").click();
    await expect(page.getByTestId("send-result")).toContainText("HTTP 202");
    await expect(player.row(id)).toHaveCount(1);

    const stored = (await (await request.get("/api/events?limit=1000")).json()).events.find(
      (e: { event: { id: string } }) => e.event.id === id,
    );
    expect(stored.mode).toBe(mode);
    expect(stored.event).toMatchObject({
      specversion: "1.0",
      id,
      type: "com.example.form.sent",
      source: "https://example.com/form",
      subject: `form/${mode}`,
      region: "eu",
      data: { answer: 42, mode },
    });
  });
}

test("invalid JSON in the form shows an inline error and sends nothing", async ({ page, request }) => {
  const player = new PlayerPage(page);
  await player.open();
  await page.getByTestId("send-open").click();
  await page.getByTestId("send-datacontenttype").fill("application/json");
  await page.getByTestId("send-data").fill('{"broken": ');
  await expect(page.getByTestId("data-error")).toContainText("not valid JSON");
  await expect(page.getByTestId("send-submit")).toBeDisabled();
  await page.getByTestId("send-data").fill('{"fixed": true}');
  await expect(page.getByTestId("data-error")).toHaveCount(0);
  await expect(page.getByTestId("send-submit")).toBeEnabled();
  const status = await (await request.get("/api/status")).json();
  expect(status.history.len).toBe(0);
});

test("an unknown sink name is refused and nothing is sent", async ({ request }) => {
  const response = await request.post("/api/send", {
    data: { target: "nowhere", mode: "structured", event: makeEvent({ id: "x-1" }) },
  });
  expect(response.status()).toBe(400);
  expect((await response.json()).error.code).toBe("unknown_sink");
  const status = await (await request.get("/api/status")).json();
  expect(status.history.len).toBe(0);
});

test("a second player configured as a sink receives the event", async ({ page }) => {
  const sink = new PlayerProcess(3012);
  const sender = new PlayerProcess(3013, ["--sink", `second=${sink.base}/`]);
  await sink.start();
  await sender.start();
  try {
    const player = new PlayerPage(page);
    await player.open(`${sender.base}/`);
    await page.getByTestId("send-open").click();
    await fillForm(player, { type: "com.example.to.sink", source: "/sender", subject: "", data: '{"via": "sink"}' });
    const id = await page.getByTestId("send-id").inputValue();
    await expect(page.getByTestId("send-target").locator("option")).toHaveCount(2);
    await page.getByTestId("send-target").selectOption("second");
    await page.getByTestId("send-submit").click();
    await expect(page.getByTestId("send-result")).toContainText("Sent to second");
    const events = (await (await page.request.get(`${sink.base}/api/events`)).json()).events;
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ id, type: "com.example.to.sink", data: { via: "sink" } });
    // Nothing was stored by the sender itself.
    expect((await (await page.request.get(`${sender.base}/api/events`)).json()).events).toHaveLength(0);
  } finally {
    await sender.stop();
    await sink.stop();
  }
});

test("export then import into an empty player gives the same events", async ({ page, request }) => {
  const originals = [
    makeEvent({ id: "x-1", subject: "a" }),
    makeEvent({ id: "x-2", type: "com.example.other", data: { list: [1, 2] } }),
    makeEvent({ id: "x-3", datacontenttype: "text/plain", data: "plain text" }),
  ];
  await new Producer(request).batch(originals);
  const player = new PlayerPage(page);
  await player.open();
  await expect(player.rows).toHaveCount(3);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
  const file = await download.path();
  const exported = JSON.parse(readFileSync(file, "utf8"));
  expect(exported).toEqual(originals);

  const empty = new PlayerProcess(3014);
  await empty.start();
  try {
    const fresh = new PlayerPage(await page.context().newPage());
    await fresh.open(`${empty.base}/`);
    await fresh.page.getByTestId("import-file").setInputFiles(file);
    await expect(fresh.page.getByTestId("import-result")).toHaveText("Imported 3 events");
    await expect(fresh.rows).toHaveCount(3);
    const imported = (await (await page.request.get(`${empty.base}/api/events`)).json()).events.map(
      (e: { event: unknown }) => e.event,
    );
    expect(imported).toEqual(originals);
  } finally {
    await empty.stop();
  }
});
