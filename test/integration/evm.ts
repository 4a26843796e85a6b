/**
 * Bytecode that needs a newer EVM than the chain runs is refused with a clear error before any
 * transaction is sent: by the promised hardfork, and by a probe of the node.
 */
import { createRequire } from "node:module";

import { expect } from "chai";
import hre from "hardhat";
import type { ArtifactManager } from "hardhat/types/artifacts";
import type { NetworkConnection } from "hardhat/types/network";

import { deployRegistry } from "../../lib/chain/deployment.js";
import {
  assertBytecodeSupported,
  probeNodeEvm,
  requiredHardfork,
  rpcSendOf,
  scanOpcodes,
} from "../../lib/chain/evm.js";
import { ConfigError } from "../../lib/errors.js";
import {
  DEV_ACCOUNTS,
  connectHardhat,
  rpc,
  startAnvil,
  type AnvilNode,
} from "../../lib/testing/anvil.js";

const require = createRequire(import.meta.url);

/** Compiles one tiny contract with the npm solc for `evmVersion` (no download). */
function compileTiny(evmVersion: string, source: string): string {
  const solc = require("solc") as { compile(input: string): string };
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Tiny.sol": { content: source } },
        settings: { evmVersion, outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
      }),
    ),
  ) as {
    contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>;
    errors?: { severity: string; formattedMessage: string }[];
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return `0x${output.contracts["Tiny.sol"].Tiny.evm.bytecode.object}`;
}

const ZERO_CONSTANT = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract Tiny { uint256 public x; function set() external { x = 0; } }`;

const TRANSIENT = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;
contract Tiny {
  uint256 transient lock;
  function f(bytes memory b) external returns (bytes memory c) { lock = 1; c = b; lock = 0; }
}`;

describe("EVM compatibility with a london private chain", function () {
  let node: AnvilNode | undefined;
  let connection: NetworkConnection | undefined;

  before(async function () {
    node = await startAnvil({ genesis: true });
    connection = await connectHardhat(node);
  });

  after(async function () {
    await connection?.close();
    await node?.stop();
  });

  it("walks opcodes, skipping PUSH data and the metadata trailer", function () {
    // PUSH2 0x5f5f (data, not PUSH0), then MCOPY at byte 3, then PUSH0 at byte 4.
    expect(scanOpcodes("0x615f5f5e5f00").map((u) => [u.name, u.offset])).to.deep.equal([
      ["MCOPY", 3],
      ["PUSH0", 4],
    ]);
    expect(scanOpcodes("0x61005f00")).to.deep.equal([]);
  });

  it("finds no opcode newer than london in the project's own bytecode", async function () {
    const artifact = await hre.artifacts.readArtifact("SettlementRegistry");
    expect(scanOpcodes(artifact.bytecode)).to.deep.equal([]);
    expect(requiredHardfork(artifact.deployedBytecode)).to.equal("london");
  });

  it("finds PUSH0 in shanghai bytecode and TSTORE/TLOAD/MCOPY in cancun bytecode", function () {
    expect(requiredHardfork(compileTiny("paris", ZERO_CONSTANT))).to.equal("london");
    expect(requiredHardfork(compileTiny("shanghai", ZERO_CONSTANT))).to.equal("shanghai");
    const cancun = scanOpcodes(compileTiny("cancun", TRANSIENT)).map((u) => u.name);
    expect(cancun).to.include.members(["TSTORE", "MCOPY"]);
  });

  it("probes the node: london executes neither PUSH0 nor TLOAD", async function () {
    expect(await probeNodeEvm(rpcSendOf(connection!.provider))).to.deep.equal({
      push0: false,
      cancun: false,
    });
  });

  for (const [evmVersion, source, opcode, fork] of [
    ["shanghai", ZERO_CONSTANT, "PUSH0", "shanghai"],
    ["cancun", TRANSIENT, "TSTORE", "cancun"],
  ] as const) {
    it(`refuses ${evmVersion} bytecode of the registry before any transaction is sent`, async function () {
      const real = await hre.artifacts.readArtifact("SettlementRegistry");
      // The registry's own init code with a newer opcode spliced in front.
      const newer = compileTiny(evmVersion, source);
      const opcodeByte = scanOpcodes(newer).find((u) => u.name === opcode)!;
      const prefix = opcode === "PUSH0" ? "5f50" : "60006000" + opcodeByte.opcode.toString(16);
      const patched = { ...real, bytecode: `0x${prefix}${real.bytecode.slice(2)}` };
      const artifacts = {
        readArtifact: async () => patched,
      } as unknown as ArtifactManager;

      const before = {
        block: await rpc(node!.url, "eth_blockNumber"),
        nonce: await rpc(node!.url, "eth_getTransactionCount", [
          DEV_ACCOUNTS[0].address,
          "pending",
        ]),
      };
      let error: unknown;
      try {
        await deployRegistry({ ...hre, artifacts }, connection!, { deploymentId: "never-written" });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).shortMessage).to.equal(
        `bytecode of SettlementRegistry uses ${opcode} (${fork}) but network privnet runs london`,
      );
      expect((error as ConfigError).hint).to.match(
        /compile with evmVersion paris \(SR_EVM_VERSION=paris\)/,
      );
      expect(await rpc(node!.url, "eth_blockNumber")).to.equal(before.block);
      expect(
        await rpc(node!.url, "eth_getTransactionCount", [DEV_ACCOUNTS[0].address, "pending"]),
      ).to.equal(before.nonce);
    });
  }

  it("refuses when the configuration promises shanghai but the node cannot run PUSH0", async function () {
    const bytecode = compileTiny("shanghai", ZERO_CONSTANT);
    const probe = await probeNodeEvm(rpcSendOf(connection!.provider));
    expect(() =>
      assertBytecodeSupported({
        contractName: "Tiny",
        bytecode,
        networkName: "besu",
        hardfork: "shanghai",
        hardforkSource: "SR_BESU_HARDFORK",
        probe,
      }),
    ).to.throw(
      ConfigError,
      "bytecode of Tiny uses PUSH0 (shanghai) but the node of network besu does not execute it",
    );
  });

  it("accepts cancun bytecode on a cancun node that promises cancun", async function () {
    const cancunNode = await startAnvil({ hardfork: "cancun" });
    try {
      const probe = await probeNodeEvm((method, params) => rpc(cancunNode.url, method, params));
      expect(probe).to.deep.equal({ push0: true, cancun: true });
      const result = assertBytecodeSupported({
        contractName: "Tiny",
        bytecode: compileTiny("cancun", TRANSIENT),
        networkName: "geth",
        hardfork: "cancun",
        probe,
      });
      expect(result.required).to.equal("cancun");
    } finally {
      await cancunNode.stop();
    }
  });
});
