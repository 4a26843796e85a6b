import { describeError, InputError } from "../lib/errors.js";
import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";
import { checkEndpointUrl } from "../lib/delivery/endpoint.js";
import { storeHealth, type HealthV2 } from "../lib/store/read-protocol.js";

export default roleTask(async (args: CommonArgs & { url: string; clear: boolean }, open) => {
  if (args.clear === (args.url.trim() !== "")) {
    throw new InputError("give either --url or --clear", {
      hint: "e.g. --url http://127.0.0.1:7001",
    });
  }
  const url = args.clear ? "" : checkEndpointUrl(args.url);
  const { app, out, actor } = await open();
  if (url !== "") {
    // A store that answers must belong to this party; one that does not may start later.
    const probe: HealthV2 | Error = await storeHealth(url, { timeoutMs: 3_000 }).catch(
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    if (probe instanceof Error) {
      out.warn(`no store answers at ${url} yet (${describeError(probe)})`);
    } else if (probe.party?.toLowerCase() !== actor.party.address.toLowerCase()) {
      const owner = probe.party ?? "nobody";
      await app.registry.party(owner).catch(() => undefined);
      throw new InputError(`the store at ${url} belongs to ${app.registry.label(owner)}`, {
        hint: `start your own with \`npx hardhat store:serve --as ${actor.party.name}\``,
      });
    }
  }
  const receipt = await actor.registry.send(() => actor.registry.contract.setStoreEndpoint(url));
  out.ok(
    url === ""
      ? `${actor.party.name} withdrew its store endpoint`
      : `${actor.party.name} publishes its store at ${url}`,
  );
  out.result({ party: actor.party.address, endpoint: url, txHash: receipt.hash });
  return url;
});
