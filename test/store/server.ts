/**
 * The store server on its own: writes it refuses (forged, planted, misaddressed, malformed,
 * oversized), concurrent writers, and a server process killed while writing.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import { decodeEnvelope } from "../../lib/crypto/envelope.js";
import { registerKey } from "../../lib/app/parties.js";
import { holdsVerifiedSet } from "../../lib/delivery/replica.js";
import { pushSet } from "../../lib/delivery/client.js";
import { toBase64 } from "../../lib/store/protocol.js";
import {
  createRaw,
  post,
  pushOf,
  spawnServe,
  startConsortium,
  type Consortium,
} from "../../lib/testing/consortium.js";

describe("store server", function () {
  this.timeout(180_000);
  let c: Consortium;
  let csdUrl: string;

  before(async function () {
    c = await startConsortium();
    csdUrl = (await c.serve("csd")).url;
    await c.serve("outsider");
  });

  after(async function () {
    await c?.stop();
  });

  const csdHolds = (sealed: Awaited<ReturnType<typeof createRaw>>) =>
    holdsVerifiedSet(
      c.parties.csd.app.registry,
      c.parties.csd.app.store,
      { address: c.parties.csd.actor.party.address, keys: c.parties.csd.actor.keys },
      { ticketKey: sealed.ticketKey, kind: "ticket", version: 1 },
    );

  describe("forged writes", function () {
    it("refuses bytes that are not in the set committed on-chain", async function () {
      const sealed = await createRaw(c);
      const body = pushOf(sealed);
      const forged = {
        ...body,
        envelopes: body.envelopes.map((e, i) =>
          i === 0 ? { ...e, bytes: toBase64(Buffer.from("planted")) } : e,
        ),
      };
      const answer = await post(csdUrl, JSON.stringify(forged));
      expect(answer.status).to.equal(422);
      expect(answer.body.error.code).to.equal("TAMPERED");
      expect(answer.body.error.message).to.match(/is not in the ticket set committed on-chain/);
      expect(await c.parties.csd.app.store.lookup(body.envelopes[1].locator)).to.equal(undefined);
    });

    it("refuses another ticket's envelope swapped into a set", async function () {
      const a = pushOf(await createRaw(c));
      const b = pushOf(await createRaw(c));
      const swapped = { ...a, envelopes: [...a.envelopes.slice(1), b.envelopes[0]] };
      const answer = await post(csdUrl, JSON.stringify(swapped));
      expect(answer.status).to.equal(422);
    });

    it("refuses a set for a ticket or version the chain does not know", async function () {
      const sealed = await createRaw(c);
      const unknownKey = await post(
        csdUrl,
        JSON.stringify({ ...pushOf(sealed), ticketKey: `0x${"ab".repeat(32)}` }),
      );
      expect(unknownKey.status).to.equal(404);
      expect(unknownKey.body.error.message).to.match(/no ticket with key 0xabab/);
      const unknownVersion = await post(csdUrl, JSON.stringify({ ...pushOf(sealed), version: 2 }));
      expect(unknownVersion.status).to.equal(404);
      expect(unknownVersion.body.error.message).to.match(/has no version 2 on chain/);
    });

    it("refuses a genuine set at the store of a party that is not on the ticket", async function () {
      const sealed = await createRaw(c);
      const answer = await post(c.parties.outsider.server!.url, JSON.stringify(pushOf(sealed)));
      expect(answer.status).to.equal(403);
      expect(answer.body.error.code).to.equal("NOT_A_PARTY");
      expect(await c.parties.outsider.app.store.versions(sealed.id)).to.deep.equal([]);
    });

    it("refuses a part of a set that holds no envelope for the store's party", async function () {
      const sealed = await createRaw(c, ["custodian-bank", "securities-firm"]);
      const csd = await createRaw(c);
      // A genuine set, but the store's party (csd) is on neither route: refused as not a party.
      expect((await post(csdUrl, JSON.stringify(pushOf(sealed)))).status).to.equal(403);
      // Only the decoys of a set the csd is on: verified, but nothing is addressed to the store.
      const decoysOnly = { ...pushOf(csd), envelopes: pushOf({ ...csd, envelopes: [] }).envelopes };
      const answer = await post(csdUrl, JSON.stringify(decoysOnly));
      expect(answer.status).to.equal(422);
      expect(answer.body.error.message).to.match(/holds no envelope for this store's party/);
    });
  });

  describe("bad requests", function () {
    it("refuses oversized, malformed and mistyped bodies with a clear error and keeps serving", async function () {
      const big = await post(csdUrl, JSON.stringify({ pad: "x".repeat(600 * 1024) }));
      expect(big.status).to.equal(413);
      expect(big.body.error.message).to.match(/request body is larger than 524288 bytes/);

      const notJson = await post(csdUrl, '{"format": "sr-delivery/1", ');
      expect(notJson.status).to.equal(400);
      expect(notJson.body.error.message).to.match(/request body is not valid JSON/);

      const text = await post(csdUrl, "hello", "text/plain");
      expect(text.status).to.equal(415);
      expect(text.body.error.message).to.match(/request body must be JSON/);

      const sealed = await createRaw(c);
      const wrong = await post(
        csdUrl,
        JSON.stringify({ ...pushOf(sealed), version: -1, extra: 1 }),
      );
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error.message).to.match(/^body: Unrecognized key|^version: /);

      const badLocator = await fetch(`${csdUrl}/v1/envelopes/..%2F..%2Fetc%2Fpasswd`);
      expect(badLocator.status).to.equal(400);
      const nowhere = await fetch(`${csdUrl}/v1/tickets/T-7KQ4-M2XD-9PWA`);
      expect(nowhere.status).to.equal(404);

      // Still serving: health, and a genuine set is accepted.
      expect((await fetch(`${csdUrl}/v1/health`)).status).to.equal(200);
      expect(await pushSet(csdUrl, pushOf(sealed))).to.deep.equal({ stored: 9, existing: 0 });
      expect(await csdHolds(sealed)).to.equal(true);
    });
  });

  describe("reads", function () {
    it("serves an envelope's bytes by locator and nothing that links the ID to the chain", async function () {
      const sealed = await createRaw(c);
      const pushed = await fetch(`${csdUrl}/v1/sets`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(pushOf(sealed)),
      });
      const pushText = await pushed.text();
      expect(pushed.status).to.equal(201);
      for (const e of [...sealed.envelopes, ...sealed.decoys]) {
        const response = await fetch(`${csdUrl}/v1/envelopes/${e.locator}`);
        expect(response.headers.get("content-type")).to.equal("application/octet-stream");
        expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(e.bytes))).to.equal(
          true,
        );
      }
      const health = await (await fetch(`${csdUrl}/v1/health`)).text();
      const missing = await (await fetch(`${csdUrl}/v1/envelopes/${"0".repeat(32)}`)).text();
      for (const text of [pushText, health, missing]) {
        expect(text).not.to.include(sealed.id);
        expect(text).not.to.include(sealed.ticketKey);
        expect(text).not.to.include(sealed.envelopes[0].proof[0]);
      }
      // No route takes an ID or a ticket key.
      expect((await fetch(`${csdUrl}/v1/tickets/${sealed.id}`)).status).to.equal(404);
      expect((await fetch(`${csdUrl}/v1/sets/${sealed.ticketKey}`)).status).to.equal(404);
    });
  });

  describe("concurrent writers", function () {
    it("accepts the same set from many writers at once and keeps one copy", async function () {
      const sealed = await createRaw(c);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => pushSet(csdUrl, pushOf(sealed))),
      );
      expect(results.reduce((n, r) => n + r.stored + r.existing, 0)).to.equal(72);
      expect(await c.parties.csd.app.store.list(sealed.id, 1)).to.have.length(9);
      expect(await csdHolds(sealed)).to.equal(true);
    });

    it("stores different sets pushed at once", async function () {
      const sets = [];
      for (let i = 0; i < 6; i++) sets.push(await createRaw(c));
      await Promise.all(sets.map((s) => pushSet(csdUrl, pushOf(s))));
      for (const s of sets) expect(await csdHolds(s)).to.equal(true);
    });
  });

  describe("a store process killed while writing", function () {
    it("leaves no corrupt entry, and the retried pushes complete every set", async function () {
      await c.halt("securities-firm");
      const broker = c.parties["securities-firm"];
      const sets = [];
      for (let i = 0; i < 12; i++) sets.push(await createRaw(c));
      const bytesOf = new Map(
        sets.flatMap((s) =>
          [...s.envelopes, ...s.decoys].map((e) => [e.locator, Buffer.from(e.bytes)]),
        ),
      );

      const first = await spawnServe(c, "securities-firm");
      try {
        // Fire every push; kill the process as soon as the first one is acknowledged.
        const pushes = sets.map((s) =>
          pushSet(first.url, pushOf(s)).then(
            () => "ok",
            () => "lost",
          ),
        );
        await Promise.race(pushes);
        await first.kill("SIGKILL");
        await Promise.all(pushes);
      } finally {
        await first.kill("SIGKILL");
      }

      // Every entry on disk is whole: the exact sealed bytes, strictly decodable.
      const root = join(broker.dataDir, "store");
      let entries = 0;
      for (const id of await readdir(join(root, "tickets")).catch(() => [])) {
        for (const v of await readdir(join(root, "tickets", id))) {
          for (const name of await readdir(join(root, "tickets", id, v))) {
            if (name.startsWith(".tmp-")) continue;
            const bytes = await readFile(join(root, "tickets", id, v, name));
            expect(bytes.equals(bytesOf.get(name.replace(/\.env$/, ""))!)).to.equal(true);
            decodeEnvelope(bytes, name);
            entries++;
          }
        }
      }
      expect(entries).to.be.greaterThan(0);

      // Restarted, the store takes every push again; partial sets complete, whole ones are kept.
      const second = await spawnServe(c, "securities-firm");
      try {
        for (const s of sets) await pushSet(second.url, pushOf(s));
      } finally {
        await second.kill("SIGTERM");
      }
      const me = { address: broker.actor.party.address, keys: broker.actor.keys };
      for (const s of sets) {
        expect(
          await holdsVerifiedSet(broker.app.registry, broker.app.store, me, {
            ticketKey: s.ticketKey,
            kind: "ticket",
            version: 1,
          }),
        ).to.equal(true);
      }
    });
  });

  describe("key rotation", function () {
    it("accepts a set sealed to its party's rotated key without a restart", async function () {
      const csd = c.parties.csd;
      const { key } = await registerKey(csd.app, csd.actor);
      expect(key.version).to.equal(2);
      for (const p of Object.values(c.parties)) p.app.registry.refreshParties();
      const sealed = await createRaw(c);
      const answer = await post(csdUrl, JSON.stringify(pushOf(sealed)));
      expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([200, 201]);
      expect(await csdHolds(sealed)).to.equal(true);
    });
  });
});
