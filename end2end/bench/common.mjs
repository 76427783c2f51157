// What the browser benchmarks share: their flags, a server of their own, and a hydrated page.
import { spawn } from "node:child_process";
import { chromium } from "@playwright/test";

/** `--name value` pairs of the command line. */
export const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `server` on `port` with `flags`, runs `scenario(base, page)` on a live page (hydrated,
 * green light), then stops both.
 */
export async function withPlayer(server, port, flags, scenario) {
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(server, ["--listen", `127.0.0.1:${port}`, ...flags], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await waitHealthy(server, base);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.waitForSelector('[data-testid="app"][data-hydrated="true"]');
    await page.waitForSelector('[data-testid="connection-light"][data-state="green"]');
    await scenario(base, page);
    await browser.close();
  } finally {
    child.kill("SIGTERM");
  }
}

async function waitHealthy(server, base) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await sleep(50);
  }
  throw new Error(`${server} did not answer on ${base}`);
}
