import { adminSigner } from "../lib/app/context.js";
import { setSuspended } from "../lib/app/parties.js";
import { appTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

/** The action of `party:suspend` (suspended = true) and `party:restore` (false). */
export function membershipAction(suspended: boolean) {
  return appTask(async (args: CommonArgs & { party: string }, open) => {
    const party = required(args.party, "party", "securities-firm");
    const { app, out } = await open();
    const result = await setSuspended(app, await adminSigner(app, args.as), party, suspended);
    out.ok(`${suspended ? "suspended" : "restored"} ${app.registry.label(result.party.address)}`);
    out.result(result);
    return result;
  });
}

export default membershipAction(true);
