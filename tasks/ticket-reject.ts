import { rejectChecked } from "../lib/app/check.js";
import { rejectTicket } from "../lib/app/tickets.js";
import { checkSource, type CheckedArgs } from "../lib/cli/checked.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";
import { formatReason, parseReasons } from "../lib/reasons.js";

interface Args extends CommonArgs, CheckedArgs {
  id: string;
  reason: string;
  note: string;
}

export default roleTask(async (args: Args, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const source = await checkSource(args);
  // Refuse a bad code before connecting; a checked return brings its own reasons.
  if (source === undefined) parseReasons(required(args.reason, "reason", "DDAT"));
  else if (args.reason.trim() !== "") parseReasons(args.reason);
  const { app, out, actor } = await open();
  const checked = await source?.(app, actor, id, out);
  const input = { reason: args.reason, note: args.note };
  const result =
    checked === undefined
      ? await rejectTicket(app, actor, id, input)
      : await rejectChecked(app, actor, id, checked, input);
  const reasons = result.reasons.map((r) => `${formatReason(r)} ${r.meaning}`).join("; ");
  out.ok(
    `${actor.party.name} returned (NG) ticket ${result.id} version ${result.version}: ${reasons}`,
  );
  const noted = args.note !== "" || (checked?.reasons.length ?? 0) > 0;
  out.line(
    `  the reasons${noted ? " and the note" : ""} are encrypted for the originator and the route parties; the chain holds a commitment only`,
  );
  out.result(result);
  return result;
});
