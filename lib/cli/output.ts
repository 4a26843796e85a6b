/**
 * What a task prints: tables for people, JSON for scripts, colours only on a terminal.
 */
import Table from "cli-table3";
import pc from "picocolors";

import { describeError } from "../errors.js";

export interface OutputOptions {
  json?: boolean;
  /** Where lines go (stdout by default); tests and the demo capture it. */
  write?: (line: string) => void;
  color?: boolean;
}

export class Output {
  readonly json: boolean;
  readonly colors: ReturnType<typeof pc.createColors>;
  private readonly write: (line: string) => void;

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    const color =
      options.color ??
      (process.stdout.isTTY === true && process.env.NO_COLOR === undefined && !this.json);
    this.colors = pc.createColors(color);
    this.write = options.write ?? ((line) => process.stdout.write(line + "\n"));
  }

  /** A line for people (suppressed in JSON mode). */
  line(text = ""): void {
    if (!this.json) this.write(text);
  }

  heading(text: string): void {
    this.line(this.colors.bold(text));
  }

  /** Key/value pairs, aligned. */
  fields(rows: Array<[string, string]>): void {
    if (this.json) return;
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) this.write(`  ${this.colors.dim(k.padEnd(width))}  ${v}`);
  }

  table(head: string[], rows: string[][]): void {
    if (this.json) return;
    if (rows.length === 0) {
      this.write(this.colors.dim("  (none)"));
      return;
    }
    const table = new Table({
      head: head.map((h) => this.colors.bold(h)),
      style: { head: [], border: [] },
    });
    table.push(...rows);
    this.write(table.toString());
  }

  /** The machine-readable result (printed only in JSON mode). */
  result(value: unknown): void {
    if (this.json)
      this.write(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  }

  ok(text: string): void {
    this.line(`${this.colors.green("✔")} ${text}`);
  }

  warn(text: string): void {
    this.line(`${this.colors.yellow("!")} ${text}`);
  }
}

/** Controls whether task actions rethrow (in-process callers) or print and exit non-zero (CLI). */
export const taskMode = { rethrow: false };

/**
 * Runs a task body: on failure prints exactly one line to stderr, sets a non-zero exit code and
 * returns undefined — unless `taskMode.rethrow` is set, for in-process callers such as the demo.
 */
export async function runTask<T>(body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    if (taskMode.rethrow) throw error;
    process.stderr.write(`error: ${describeError(error)}\n`);
    process.exitCode = 1;
    return undefined;
  }
}
