// Writes NAME.gz and NAME.br beside every text or wasm file of the site's
// pkg directory, once at build time: the server sends them as they are
// (tower-http's precompressed ServeDir) instead of compressing the 0.8 MB
// bundle again for every visitor. Node's own zlib, nothing to install.
import { readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node tools/precompress.mjs SITE/pkg");
  process.exit(2);
}
for (const name of readdirSync(dir)) {
  if (!/\.(wasm|js|css|svg)$/.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  writeFileSync(path + ".gz", gzipSync(raw, { level: 9 }));
  writeFileSync(path + ".br", brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: statSync(path).size,
    },
  }));
  console.log(`${name}: ${raw.length} bytes, gzip ${statSync(path + ".gz").size}, brotli ${statSync(path + ".br").size}`);
}
