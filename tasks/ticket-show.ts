import { showTicket } from "../lib/app/tickets.js";
import { roleTask } from "../lib/cli/task.js";
import { renderTicket } from "../lib/cli/render.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & { id: string }, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const { app, out, actor } = await open();
  const view = await showTicket(app, actor, id);
  renderTicket(out, view);
  out.result(view);
  return view;
});
