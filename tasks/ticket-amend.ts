import { amendTicket } from "../lib/app/tickets.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";
import { readTradeFile } from "../lib/ticket/file.js";

export default roleTask(async (args: CommonArgs & { id: string; file: string }, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const trade = await readTradeFile(
    required(args.file, "file", "examples/dvp-japanese-equity-buy.json"),
  );
  const { app, out, actor } = await open();
  const result = await amendTicket(app, actor, id, trade);
  out.ok(
    `ticket ${result.id} resubmitted as version ${result.version}; approvals restart with ${result.next?.name}`,
  );
  out.result(result);
  return result;
});
