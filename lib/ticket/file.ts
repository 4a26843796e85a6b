/** Reading a trade ticket from a JSON file. */
import { readFile } from "node:fs/promises";

import { InputError, type ErrorParts, type SettlementError } from "../errors.js";
import { parseTrade, type Trade } from "./schema.js";

/** Line and column (from 1) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Offset of the first JSON syntax error in `text` (a small recursive-descent check), or undefined
 * if it finds none. Used where V8's message gives no position ("Unexpected token ...").
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    if (text[i] !== '"') fail();
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 0x20) fail();
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (offset) {
    return offset as number;
  }
}

/** Where `JSON.parse` failed, as `line L, column C`. */
function jsonPosition(text: string, error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  const m = /position (\d+)/.exec(message);
  const offset = m !== null ? Number(m[1]) : jsonErrorOffset(text);
  if (offset === undefined) return undefined;
  const { line, column } = lineColumn(text, offset);
  return offset >= text.trimEnd().length
    ? `line ${line}, column ${column} (unexpected end)`
    : `line ${line}, column ${column}`;
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

export interface InputFileOptions {
  /** How to fix a file that cannot be read. */
  hint: string;
  /** A larger file is refused before it is parsed: `N bytes is more than <what> may have (max)`. */
  maxBytes?: number;
  what?: string;
  /** The error to throw (default {@link InputError}). */
  error?: new (message: string, parts: ErrorParts) => SettlementError;
}

/**
 * Reads a user's input file as UTF-8 text without a byte-order mark. A missing, unreadable or
 * oversized file is one error naming it (`<path>: no such file`).
 */
export async function readInputFile(path: string, options: InputFileOptions): Promise<string> {
  const Failure = options.error ?? InputError;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
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
    throw new Failure(`${path}: ${reason}`, { hint: options.hint, cause: error });
  }
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new Failure(
      `${path}: ${bytes.length} bytes is more than ${options.what ?? "the file"} may have (${options.maxBytes})`,
      { hint: options.hint },
    );
  }
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads and validates a trade ticket file. */
export async function readTradeFile(path: string): Promise<Trade> {
  const text = await readInputFile(path, {
    hint: "give the path of a ticket JSON file, e.g. examples/dvp-japanese-equity-buy.json",
  });
  const json = parseJsonText(text, path);
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
