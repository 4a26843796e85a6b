/**
 * A party's own instruction from a file: a ticket-schema JSON document or a sese.023 XML
 * message, told apart by the first non-blank character.
 */
import { InputError } from "../errors.js";
import { parseJsonText, readInputFile } from "../ticket/file.js";
import { parseTrade, type Trade } from "../ticket/schema.js";
import { parseSese023 } from "./sese023.js";
import { MAX_MESSAGE_BYTES } from "./xml.js";

export type InstructionFormat = "json" | "sese.023";

/** Parses instruction text (JSON or sese.023 XML) into a validated trade. */
export function parseInstruction(
  text: string,
  source: string,
): { trade: Trade; format: InstructionFormat } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.trimStart()[0];
  if (first === "<") return { trade: parseSese023(body, source), format: "sese.023" };
  if (first === "{") {
    const json = parseJsonText(body, source);
    try {
      return { trade: parseTrade(json), format: "json" };
    } catch (error) {
      // Name the file, as readTradeFile does for a ticket.
      if (error instanceof InputError) {
        (error as { details?: string }).details = [`in ${source}`, error.details]
          .filter(Boolean)
          .join("; ");
      }
      throw error;
    }
  }
  throw new InputError(`${source}: neither a JSON ticket nor sese.023 XML`, {
    hint: "give a ticket JSON file (examples/*.json) or a sese.023 message (examples/*.xml)",
  });
}

/** Reads an instruction file; an unreadable or oversized file is an {@link InputError} naming it. */
export async function readInstructionFile(
  path: string,
): Promise<{ trade: Trade; format: InstructionFormat }> {
  const text = await readInputFile(path, {
    hint: "give your own instruction for the trade, as ticket JSON or sese.023 XML",
    maxBytes: MAX_MESSAGE_BYTES,
    what: "an instruction",
  });
  return parseInstruction(text, path);
}
