/**
 * Announcement pages against a node that refuses large replies: the block range of a query
 * shrinks on a refusal or a reply above the log budget, grows on small replies, and every
 * announcement comes back once, in chain order.
 */
import { expect } from "chai";
import { Interface, toBeHex, toQuantity, zeroPadValue } from "ethers";

import { announcementPages, isOversizedReply } from "../../lib/chain/events.js";
import { REGISTRY_ABI, RegistryClient } from "../../lib/chain/registry.js";

const iface = new Interface(REGISTRY_ABI);
const REGISTRY = "0x000000000000000000000000000000000000beef";
const ORIGINATOR = "0x000000000000000000000000000000000000abcd";

/** A raw `TicketCreated` log of ticket `n` in `block`. */
function createdLog(n: number, block: number) {
  const { data, topics } = iface.encodeEventLog("TicketCreated", [
    toBeHex(n + 1, 32),
    ORIGINATOR,
    zeroPadValue("0x01", 32),
    zeroPadValue("0x02", 32),
    ["0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002"],
    zeroPadValue("0x03", 32),
    "0x0102000000000000",
  ]);
  return { topics, data, blockNumber: toQuantity(block), logIndex: toQuantity(n) };
}

/** A node whose blocks 0–99 hold 50 announcements each, then one every 100 blocks up to 5,000. */
function node(maxResults: number) {
  const logs: ReturnType<typeof createdLog>[] = [];
  for (let b = 0; b <= 5_000; b++) {
    const count = b < 100 ? 50 : b % 100 === 0 ? 1 : 0;
    for (let i = 0; i < count; i++) logs.push(createdLog(logs.length, b));
  }
  const ranges: [number, number][] = [];
  const provider = {
    async send(method: string, params: { fromBlock: string; toBlock: string }[]) {
      expect(method).to.equal("eth_getLogs");
      const from = Number(params[0].fromBlock);
      const to = Number(params[0].toBlock);
      ranges.push([from, to]);
      const reply = logs.filter(
        (l) => Number(l.blockNumber) >= from && Number(l.blockNumber) <= to,
      );
      if (reply.length > maxResults)
        throw new Error(`query returned more than ${maxResults} results`);
      return reply;
    },
  };
  Object.assign(provider, { provider });
  return { logs, ranges, registry: new RegistryClient(REGISTRY, provider as never) };
}

describe("announcement pages", function () {
  it("halves the range on a refused or too large reply and doubles it on small ones", async function () {
    const { logs, ranges, registry } = node(2_000);
    const seen: number[] = [];
    let blocks = 0;
    for await (const page of announcementPages(registry, 0, 5_000, {
      range: 1_000,
      maxLogs: 500,
    })) {
      expect(page.fromBlock).to.equal(blocks);
      blocks = page.toBlock + 1;
      for (const log of page.logs) seen.push(Number.parseInt(log.key, 16) - 1);
    }
    expect(blocks).to.equal(5_001);
    expect(seen).to.deep.equal(logs.map((_, i) => i));
    // Refused (1,000 and 500 blocks of 50), then too large (20 blocks of 50), then growing.
    expect(ranges[0]).to.deep.equal([0, 999]);
    expect(ranges[1]).to.deep.equal([0, 499]);
    const widths = ranges.map(([from, to]) => to - from + 1);
    expect(Math.min(...widths.slice(0, 8))).to.be.at.most(10);
    expect(Math.max(...widths)).to.be.at.least(1_000);
    expect(ranges.length).to.be.below(40);
  });

  it("recognises the refusals of common nodes for size", function () {
    for (const message of [
      "query returned more than 10000 results",
      "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
      "Requested range exceeds maximum RPC range limit",
      "block range is too wide",
    ])
      expect(isOversizedReply(new Error(message)), message).to.equal(true);
    expect(isOversizedReply(new Error("execution reverted"))).to.equal(false);
  });
});
