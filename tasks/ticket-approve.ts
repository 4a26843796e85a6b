import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { approveTicket } from "../lib/app/tickets.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs & { id: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const result = await approveTicket(app, actor, id);
    app.out.ok(`${actor.party.name} approved (OK) ticket ${result.id} version ${result.version}`);
    app.out.line(
      result.status === "completed"
        ? "  the ticket is completed: every party on the route approved"
        : `  now waiting for ${result.next?.name}`,
    );
    app.out.result(result);
    return result;
  });
}
