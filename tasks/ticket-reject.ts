import { rejectTicket } from "../lib/app/tickets.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";
import { formatReason, parseReasons } from "../lib/reasons.js";

interface Args extends CommonArgs {
  id: string;
  reason: string;
  note: string;
}

export default roleTask(async (args: Args, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  parseReasons(required(args.reason, "reason", "DDAT")); // refuse a bad code before connecting
  const { app, out, actor } = await open();
  const result = await rejectTicket(app, actor, id, { reason: args.reason, note: args.note });
  const reasons = result.reasons.map((r) => `${formatReason(r)} ${r.meaning}`).join("; ");
  out.ok(
    `${actor.party.name} returned (NG) ticket ${result.id} version ${result.version}: ${reasons}`,
  );
  out.line(
    `  the reasons${args.note === "" ? "" : " and the note"} are encrypted for the originator and the route parties; the chain holds a commitment only`,
  );
  out.result(result);
  return result;
});
