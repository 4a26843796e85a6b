import { approveChecked } from "../lib/app/check.js";
import { approveTicket } from "../lib/app/tickets.js";
import { checkSource, type CheckedArgs } from "../lib/cli/checked.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & CheckedArgs & { id: string }, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const source = await checkSource(args);
  const { app, out, actor } = await open();
  const checked = await source?.(app, actor, id, out);
  const result =
    checked === undefined
      ? await approveTicket(app, actor, id)
      : await approveChecked(app, actor, id, checked);
  out.ok(
    `${actor.party.name} approved (OK) ticket ${result.id} version ${result.version}${checked === undefined ? "" : ", as checked"}`,
  );
  out.line(
    result.status === "completed"
      ? "  the ticket is completed: every party on the route approved"
      : `  now waiting for ${result.next?.name}`,
  );
  out.result(result);
  return result;
});
