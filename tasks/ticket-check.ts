import { checkTicket, writeCheckResult } from "../lib/app/check.js";
import { InputError } from "../lib/errors.js";
import { readInstructionFile } from "../lib/iso20022/instruction.js";
import { checkDigest, checkResultJson } from "../lib/matching/check.js";
import { readPositionFile } from "../lib/matching/positions.js";
import { SIDES, type Side } from "../lib/matching/rules.js";
import { roleTask } from "../lib/cli/task.js";
import { renderCheck } from "../lib/cli/render-check.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

interface Args extends CommonArgs {
  id: string;
  instruction: string;
  positions: string;
  side: string;
  out: string;
}

function sideOption(text: string): Side | undefined {
  if (text === "") return undefined;
  if (!(SIDES as readonly string[]).includes(text)) {
    throw new InputError(`--side: "${text}" is not a side`, {
      hint: `give ${SIDES.join(" or ")}, or leave it out to infer it from the sender's reference`,
    });
  }
  return text as Side;
}

export default roleTask(async (args: Args, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const side = sideOption(args.side.trim());
  // Every input file is read and validated before the chain is asked anything.
  const { trade: own } = await readInstructionFile(
    required(args.instruction, "instruction", "examples/instructions/custodian-bank.json"),
  );
  const positions =
    args.positions.trim() === "" ? undefined : await readPositionFile(args.positions.trim());
  const { app, out, actor } = await open();
  const { view, result } = await checkTicket(app, actor, id, { own, positions, side });
  if (args.out.trim() !== "") await writeCheckResult(args.out.trim(), result);
  if (out.json) {
    // The canonical JSON (RFC 8785): the same bytes as the file --out writes.
    process.stdout.write(`${checkResultJson(result)}\n`);
    return result;
  }
  renderCheck(out, view, result);
  if (args.out.trim() !== "") {
    out.line();
    out.ok(`check result written to ${args.out.trim()} (${checkDigest(result).slice(0, 18)}…)`);
  }
  return result;
});
