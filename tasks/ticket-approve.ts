import { approveTicket } from "../lib/app/tickets.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & { id: string }, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const { app, out, actor } = await open();
  const result = await approveTicket(app, actor, id);
  out.ok(`${actor.party.name} approved (OK) ticket ${result.id} version ${result.version}`);
  out.line(
    result.status === "completed"
      ? "  the ticket is completed: every party on the route approved"
      : `  now waiting for ${result.next?.name}`,
  );
  out.result(result);
  return result;
});
