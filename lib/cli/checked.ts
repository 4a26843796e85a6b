/**
 * The check behind a checked decision (ticket:approve, ticket:reject): a result file
 * (`--checked`), or the check run in place (`--instruction [--positions]`) and shown before the
 * decision. Without either, the approver decides by hand.
 */
import { checkTicket, loadCheckedResult } from "../app/check.js";
import type { Actor, App } from "../app/context.js";
import { InputError } from "../errors.js";
import { readInstructionFile } from "../iso20022/instruction.js";
import type { CheckResult } from "../matching/check.js";
import { readPositionFile } from "../matching/positions.js";
import type { Output } from "./output.js";
import { renderCheck } from "./render-check.js";

export interface CheckedArgs {
  checked: string;
  instruction: string;
  positions: string;
}

/** Gives the check result the decision is bound to. */
export type CheckSource = (app: App, actor: Actor, id: string, out: Output) => Promise<CheckResult>;

/**
 * The check source of these options, its instruction and position files read and validated
 * before the chain is asked anything; undefined when the approver decides by hand.
 */
export async function checkSource(args: CheckedArgs): Promise<CheckSource | undefined> {
  const checked = args.checked.trim();
  const instruction = args.instruction.trim();
  const positions = args.positions.trim();
  if (checked !== "" && instruction !== "") {
    throw new InputError("give --checked or --instruction, not both", {
      hint: "--checked takes the file `ticket:check --out` wrote; --instruction checks in place",
    });
  }
  if (positions !== "" && instruction === "") {
    throw new InputError("--positions needs --instruction", {
      hint: "check in place with --instruction <file> --positions <file>",
    });
  }
  if (checked !== "") return (app, actor, id) => loadCheckedResult(app, actor, id, checked);
  if (instruction === "") return undefined;
  const { trade: own } = await readInstructionFile(instruction);
  const source = positions === "" ? undefined : await readPositionFile(positions);
  return async (app, actor, id, out) => {
    const { view, result } = await checkTicket(app, actor, id, { own, positions: source });
    if (!out.json) {
      renderCheck(out, view, result);
      out.line();
    }
    return result;
  };
}
