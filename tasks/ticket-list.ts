import { listTickets, LIST_STATES, type ListState } from "../lib/app/watch.js";
import { InputError } from "../lib/errors.js";
import { roleTask } from "../lib/cli/task.js";
import { labelRoles, renderInbox } from "../lib/cli/render.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & { state: string }, open) => {
  const state = args.state.toLowerCase() as ListState;
  if (!LIST_STATES.includes(state)) {
    throw new InputError(`--state "${args.state}" is unknown`, {
      hint: `use one of ${LIST_STATES.join(", ")}`,
    });
  }
  const { app, out, actor } = await open();
  const rows = await listTickets(app, actor, state);
  out.heading(`Tickets of ${actor.party.name} (${state})`);
  renderInbox(out, rows);
  const shown = labelRoles(rows);
  out.result(shown);
  return shown;
});
