/**
 * Builds the page's script and stylesheet with esbuild, in memory, when the server starts: the
 * dashboard serves them itself and loads nothing from anywhere else.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const PAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "page");

export interface Assets {
  js: string;
  css: string;
}

export async function buildAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: [join(PAGE, "main.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  return {
    js: result.outputFiles[0].text,
    css: await readFile(join(PAGE, "style.css"), "utf8"),
  };
}
