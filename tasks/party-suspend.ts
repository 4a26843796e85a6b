import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { adminSigner } from "../lib/app/context.js";
import { setSuspended } from "../lib/app/parties.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";

/** The action of `party:suspend` (suspended = true) and `party:restore` (false). */
export function membershipAction(suspended: boolean) {
  return async (args: CommonArgs & { party: string }, hre: HardhatRuntimeEnvironment) =>
    runTask(async () => {
      const party = required(args.party, "party", "securities-firm");
      const app = await appFor(hre, args);
      const result = await setSuspended(app, await adminSigner(app, args.as), party, suspended);
      app.out.ok(
        `${suspended ? "suspended" : "restored"} ${app.registry.label(result.party.address)}`,
      );
      app.out.result(result);
      return result;
    });
}

export default membershipAction(true);
