import net from "node:net";
import { expect, test } from "@playwright/test";
import { makeEvent, PlayerPage, Producer } from "./fixtures/player_page";
import { PORT } from "../playwright.config";

/** Port of the cutting proxy in front of the suite's server. */
const PROXY_PORT = 3024;

/**
 * A TCP proxy that, like a platform with a request timeout (Knative's `timeoutSeconds`, a load
 * balancer's idle limit), cuts every open connection at an interval.
 */
class CuttingProxy {
  private server?: net.Server;
  private timer?: NodeJS.Timeout;
  private sockets = new Set<net.Socket>();
  connections = 0;
  cuts = 0;

  async start(everyMs: number) {
    this.server = net.createServer((client) => {
      this.connections += 1;
      const upstream = net.connect(PORT, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(PROXY_PORT, "127.0.0.1", resolve));
    this.timer = setInterval(() => {
      if (this.sockets.size > 0) this.cuts += 1;
      for (const socket of this.sockets) socket.destroy();
    }, everyMs);
  }

  async stop() {
    clearInterval(this.timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

test("a stream cut every second by the platform loses no event: the page resumes with Last-Event-ID", async ({
  page,
  request,
}) => {
  const producer = new Producer(request);
  await producer.clear();
  const proxy = new CuttingProxy();
  await proxy.start(1000);
  try {
    const player = new PlayerPage(page);
    await player.open(`http://127.0.0.1:${PROXY_PORT}/`);
    // Posted straight to the server while the page's stream is cut under it again and again.
    for (let burst = 0; burst < 30; burst++) {
      await producer.batch(Array.from({ length: 10 }, (_, i) => makeEvent({ id: `cut-${burst}-${i}` })));
      await page.waitForTimeout(150);
    }
    await expect(player.count).toHaveText("300 events");
    for (const id of ["cut-0-0", "cut-14-5", "cut-29-9"]) {
      await page.getByTestId("filter-text").fill(id);
      await expect(player.rows).toHaveCount(1);
    }
    expect(proxy.cuts, "the proxy really cut the stream").toBeGreaterThanOrEqual(3);
    expect(proxy.connections).toBeGreaterThanOrEqual(proxy.cuts);
  } finally {
    await proxy.stop();
  }
});
