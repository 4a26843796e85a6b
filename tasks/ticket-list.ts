import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { listTickets, LIST_STATES, type ListState } from "../lib/app/watch.js";
import { InputError } from "../lib/errors.js";
import { runTask } from "../lib/cli/output.js";
import { renderInbox } from "../lib/cli/render.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (
  args: CommonArgs & { state: string },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const state = args.state.toLowerCase() as ListState;
    if (!LIST_STATES.includes(state)) {
      throw new InputError(`--state "${args.state}" is unknown`, {
        hint: `use one of ${LIST_STATES.join(", ")}`,
      });
    }
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const rows = await listTickets(app, actor, state);
    app.out.heading(`Tickets of ${actor.party.name} (${state})`);
    renderInbox(app.out, rows);
    app.out.result(rows);
    return rows;
  });
}
