import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import { InputError, StoreConflictError, StoreError } from "../../lib/errors.js";
import { FolderStore } from "../../lib/store/folder.js";
import { newTicketId, normalizeTicketId } from "../../lib/ticket/id.js";
import { tempStore } from "./fixtures.js";

const L1 = "0123456789abcdef0123456789abcdef";
const L2 = "fedcba9876543210fedcba9876543210";
const ID = "T-7KQ4-M2XD-9PWA";

describe("lib/ticket/id and lib/store/folder", function () {
  describe("ticket IDs", function () {
    it("are T- and 12 Crockford base32 characters in groups of four", function () {
      for (let i = 0; i < 50; i++)
        expect(newTicketId()).to.match(/^T-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}$/);
    });
    it("normalise case, missing dashes, spaces and look-alikes", function () {
      for (const input of [
        "T-7KQ4-M2XD-9PWA",
        "t-7kq4-m2xd-9pwa",
        "7KQ4M2XD9PWA",
        "t7kq4m2xd9pwa",
        " T 7KQ4 M2XD 9PWA ",
      ]) {
        expect(normalizeTicketId(input.trim())).to.equal(ID);
      }
      expect(normalizeTicketId("T-O1IL-0000-0000")).to.equal("T-0111-0000-0000");
    });
    const bad = [
      "../etc/passwd",
      "T-7KQ4/M2XD-9PWA",
      "T-7KQ4\\M2XD-9PWA",
      "..",
      "",
      "T-7KQ4-M2XD-9PW",
      "T-7KQ4-M2XD-9PWAA",
      "T-7KQ4-M2XD-9PWU",
      "T-7KQ4-M2XD-9PWA%00",
      "x".repeat(100),
    ];
    for (const input of bad) {
      it(`refuse ${JSON.stringify(input.slice(0, 20))}`, function () {
        expect(() => normalizeTicketId(input)).to.throw(InputError, /^ticket id: /);
      });
    }
  });

  describe("FolderStore", function () {
    let store: FolderStore;
    let root: string;
    let done: () => Promise<void>;
    beforeEach(async () => ({ store, root, done } = await tempStore()));
    afterEach(async () => done());

    it("stores under the canonical ID and indexes the locator", async function () {
      await store.put("t7kq4m2xd9pwa", 1, L1, new Uint8Array([1, 2, 3]));
      expect(await store.get(ID, 1, L1)).to.deep.equal(new Uint8Array([1, 2, 3]));
      expect(await store.list(ID, 1)).to.deep.equal([L1]);
      expect(await store.versions(ID)).to.deep.equal([1]);
      expect(await store.lookup(L1)).to.deep.equal({ id: ID, version: 1 });
      expect(await store.lookup(L2)).to.equal(undefined);
      expect(await readdir(join(root, "tickets", ID, "v1"))).to.deep.equal([`${L1}.env`]);
    });

    it("refuses path traversal and malformed IDs, versions and locators", async function () {
      const bytes = new Uint8Array([1]);
      for (const id of ["../x", "T-7KQ4-M2XD-9PWA/../../x", "/etc/passwd", "T-7KQ4-M2XD-9PWA\0"]) {
        await expectReject(store.put(id, 1, L1, bytes), InputError, /^ticket id: /);
        await expectReject(store.get(id, 1, L1), InputError, /^ticket id: /);
      }
      await expectReject(store.put(ID, 0, L1, bytes), InputError, /^ticket version: /);
      await expectReject(store.put(ID, 1.5, L1, bytes), InputError, /^ticket version: /);
      await expectReject(store.put(ID, 1, "../../x", bytes), InputError, /^locator: /);
      await expectReject(store.put(ID, 1, L1.toUpperCase(), bytes), InputError, /^locator: /);
      expect(await readdir(root)).to.deep.equal([]);
    });

    it("is idempotent for identical bytes, also under concurrent writers", async function () {
      const bytes = new Uint8Array(4096).fill(7);
      await Promise.all(Array.from({ length: 16 }, () => store.put(ID, 1, L1, bytes)));
      await store.put(ID, 1, L1, bytes);
      expect(await store.get(ID, 1, L1)).to.deep.equal(bytes);
      expect(await readdir(join(root, "tickets", ID, "v1"))).to.deep.equal([`${L1}.env`]);
    });

    it("never overwrites different bytes; concurrent different writers: one wins, the others conflict", async function () {
      await store.put(ID, 1, L1, new Uint8Array([1]));
      await expectReject(
        store.put(ID, 1, L1, new Uint8Array([2])),
        StoreConflictError,
        /already holds a different envelope/,
      );
      expect(await store.get(ID, 1, L1)).to.deep.equal(new Uint8Array([1]));

      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.put(ID, 2, L2, new Uint8Array([i]))),
      );
      expect(results.filter((r) => r.status === "fulfilled")).to.have.length(1);
      for (const r of results.filter((r) => r.status === "rejected")) {
        expect((r as PromiseRejectedResult).reason).to.be.instanceOf(StoreConflictError);
      }
      expect(await readdir(join(root, "tickets", ID, "v2"))).to.deep.equal([`${L2}.env`]);
    });

    it("refuses a locator already indexed for another ticket", async function () {
      await store.put(ID, 1, L1, new Uint8Array([1]));
      await expectReject(
        store.put("T-0000-0000-0001", 1, L1, new Uint8Array([1])),
        StoreConflictError,
        /already used/,
      );
    });

    it("says exactly what is missing", async function () {
      await expectReject(
        store.get(ID, 1, L1),
        StoreError,
        new RegExp(`^no ticket ${ID} in the store$`),
      );
      await store.put(ID, 1, L1, new Uint8Array([1]));
      await expectReject(
        store.get(ID, 2, L1),
        StoreError,
        /has no version 2 in the store \(it has v1\)$/,
      );
      await expectReject(
        store.get(ID, 1, L2),
        StoreError,
        new RegExp(`version 1 has no envelope ${L2}$`),
      );
      expect(await store.list(ID, 5)).to.deep.equal([]);
    });

    it("removes an entry and its index, idempotently", async function () {
      await store.put(ID, 1, L1, new Uint8Array([1]));
      await store.remove(ID, 1, L1);
      await store.remove(ID, 1, L1);
      expect(await store.list(ID, 1)).to.deep.equal([]);
      expect(await store.lookup(L1)).to.equal(undefined);
      await store.put(ID, 1, L1, new Uint8Array([2]));
      expect(await store.get(ID, 1, L1)).to.deep.equal(new Uint8Array([2]));
    });
  });
});

async function expectReject(
  promise: Promise<unknown>,
  type: new (...a: never[]) => Error,
  pattern: RegExp,
) {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`expected ${type.name}`);
}
