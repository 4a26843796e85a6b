import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { rejectTicket } from "../lib/app/tickets.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";
import { parseReason } from "../lib/reasons.js";

interface Args extends CommonArgs {
  id: string;
  reason: string;
  note: string;
}

export default async function (args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
    parseReason(required(args.reason, "reason", "DDAT")); // refuse a bad code before connecting
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const result = await rejectTicket(app, actor, id, { reason: args.reason, note: args.note });
    const r = result.reason;
    app.out.ok(
      `${actor.party.name} returned (NG) ticket ${result.id} version ${result.version}: ${r.qualifier}/${r.code} ${r.meaning}`,
    );
    if (args.note !== "")
      app.out.line("  the note is encrypted for the originator and the route parties");
    app.out.result(result);
    return result;
  });
}
