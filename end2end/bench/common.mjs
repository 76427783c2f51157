// What the browser benchmarks share: their flags, a server of their own, a hydrated page, and the
// rows each adds to the combined table of `make bench` (`--rows FILE`).
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { chromium } from "@playwright/test";

/** `--name value` pairs of the command line. */
export const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A count as the table prints it: `5000` as `5,000`. */
export const grouped = (n) => n.toLocaleString("en-US");

/**
 * One row of the combined table: `test` names the figure with its conditions, `baseline` is the
 * same run's baseline figure (or null), `bar` the text of the bar (`-` for none) and `met` whether
 * `value` meets it (null without a bar).
 */
export const row = (test, unit, baseline, value, bar = "-", met = null) => ({
  part: "browser",
  test,
  unit,
  baseline,
  value,
  bar,
  met: bar === "-" ? null : met,
});

/** With `--rows FILE`, appends `rows` to FILE, one JSON object a line (the file is made if missing). */
export function writeRows(rows) {
  if (!args.rows) return;
  appendFileSync(args.rows, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

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
    const page = await openPlayer(context, base);
    await scenario(base, page);
    await browser.close();
  } finally {
    child.kill("SIGTERM");
  }
}

/** A new tab of `context` on the player at `base`, hydrated and with a green light. */
export async function openPlayer(context, base) {
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForSelector('[data-testid="app"][data-hydrated="true"]');
  await page.waitForSelector('[data-testid="connection-light"][data-state="green"]');
  return page;
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
