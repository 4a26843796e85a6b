/** Reading a trade ticket from a JSON file. */
import { readFile } from "node:fs/promises";

import { InputError } from "../errors.js";
import { parseTrade, type Trade } from "./schema.js";

/** Line and column (from 1) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Where `JSON.parse` failed, as `line L, column C`, when its message says. */
function jsonPosition(text: string, error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  const m = /position (\d+)/.exec(message);
  if (m !== null) {
    const { line, column } = lineColumn(text, Number(m[1]));
    return `line ${line}, column ${column}`;
  }
  if (/end of JSON input/i.test(message)) {
    const { line, column } = lineColumn(text, text.length);
    return `line ${line}, column ${column} (unexpected end)`;
  }
  return undefined;
}

/** Parses JSON text; a syntax error is an {@link InputError} naming `source` and the position. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = jsonPosition(text, error);
    throw new InputError(`${source}: not valid JSON${where === undefined ? "" : ` at ${where}`}`, {
      details: error instanceof Error ? error.message : undefined,
      hint: "fix the JSON syntax; `examples/` has valid tickets to copy",
    });
  }
}

/** Reads and validates a trade ticket file. */
export async function readTradeFile(path: string): Promise<Trade> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : code === "EACCES"
            ? "permission denied"
            : (code ?? "cannot be read");
    throw new InputError(`${path}: ${reason}`, {
      hint: "give the path of a ticket JSON file, e.g. examples/dvp-japanese-equity-buy.json",
      cause: error,
    });
  }
  const json = parseJsonText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path);
  try {
    return parseTrade(json);
  } catch (error) {
    if (error instanceof InputError) {
      (error as { details?: string }).details = [`in ${path}`, error.details]
        .filter(Boolean)
        .join("; ");
    }
    throw error;
  }
}
