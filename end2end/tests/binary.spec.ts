import { expect, test } from "@playwright/test";
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { PlayerProcess, ROOT } from "./fixtures/server";

/**
 * The release binary copied alone to an empty directory and started there: it carries its site
 * (WASM, JS, CSS, icon) and its site options, so it needs no other file.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), "cep-binary-"));
const binary = path.join(dir, "cloudevent-player");
/** E2E_BINARY: another build to test than the one in target/release. */
const source = process.env.E2E_BINARY ?? path.join(ROOT, "target/release/cloudevent-player");
const server = new PlayerProcess(Number(process.env.E2E_BINARY_PORT ?? 3031), [], binary, dir);

test.beforeAll(async () => {
  copyFileSync(source, binary);
  chmodSync(binary, 0o755);
  await server.start();
});
test.afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("started alone in an empty directory, the binary serves a page that hydrates and goes live", async ({ page }) => {
  expect(readdirSync(dir)).toEqual(["cloudevent-player"]);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  const wasm = page.waitForResponse((response) => /\/pkg\/.*\.wasm$/.test(response.url()));

  const player = new PlayerPage(page);
  await player.open(`${server.base}/`);
  const event = makeEvent();
  await new Producer(page.request, server.base).structured(event);
  await expect(player.row(event.id as string)).toBeVisible();

  const response = await wasm;
  expect(response.status()).toBe(200);
  const headers = await response.allHeaders();
  expect(["br", "gzip"]).toContain(headers["content-encoding"]);
  expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(errors).toEqual([]);
});

test("the WASM is sent brotli-compressed when asked, under its content-hashed name", async ({ request }) => {
  const html = await (await request.get(`${server.base}/`)).text();
  const wasm = html.match(/\/pkg\/[0-9a-f]{16}\/cloudevent-player\.wasm/)?.[0];
  expect(wasm, html).toBeTruthy();

  const br = await request.get(`${server.base}${wasm}`, { headers: { "accept-encoding": "br" } });
  expect(br.status()).toBe(200);
  expect(br.headers()["content-encoding"]).toBe("br");
  expect(br.headers()["content-type"]).toBe("application/wasm");
  expect(br.headers()["vary"]).toBe("Accept-Encoding");
  const plain = await request.get(`${server.base}${wasm}`, { headers: { "accept-encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  expect(Number(br.headers()["content-length"])).toBeLessThan(Number(plain.headers()["content-length"]));
  expect((await plain.body()).subarray(0, 4)).toEqual(Buffer.from("\0asm"));
});
