// Precompresses the built site: writes FILE.br (brotli, quality 11) and FILE.gz (gzip -9)
// beside every text or WASM file under the directory given, for the server to embed and send as
// the client's Accept-Encoding asks. A variant that would not be smaller is not written; one
// already newer than its file is kept as is, so an unchanged site keeps its timestamps (the
// server's build watches them). Usage: node scripts/compress-site.mjs target/site
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, extname } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

const COMPRESSIBLE = new Set([".wasm", ".js", ".mjs", ".css", ".svg", ".html", ".json", ".txt", ".xml", ".map", ".ico"]);
const VARIANTS = [
  [".br", (data) => brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })],
  // GNU gzip: 1.7% smaller than node's zlib at level 9 on the WASM; -n leaves out name and time.
  [".gz", (data, file) => execFileSync("gzip", ["-9", "-n", "-c", file], { maxBuffer: 1 << 30 })],
];

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

const root = process.argv[2];
if (!root) {
  console.error("usage: node scripts/compress-site.mjs SITE_DIR");
  process.exit(2);
}
for (const file of walk(root)) {
  if (!COMPRESSIBLE.has(extname(file))) continue;
  const source = statSync(file);
  let data;
  for (const [suffix, compress] of VARIANTS) {
    const target = file + suffix;
    if (existsSync(target) && statSync(target).mtimeMs >= source.mtimeMs) continue;
    data ??= readFileSync(file);
    const packed = compress(data, file);
    if (packed.length < data.length) {
      writeFileSync(target, packed);
    } else {
      rmSync(target, { force: true });
    }
  }
}
