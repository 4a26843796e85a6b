/**
 * Local nonces for the failover provider: one sender at a time, so concurrent submissions from
 * one account never reuse or skip a nonce, and a failover never resets them.
 */
import { getAddress } from "ethers";

export interface SenderState {
  next?: number;
  queue: Promise<unknown>;
}

export class NonceKeeper {
  readonly #senders = new Map<string, SenderState>();

  /** Runs `work` for `from` after every earlier call for `from` finished (per-sender lock). */
  async withSender<T>(from: string, work: (state: SenderState) => Promise<T>): Promise<T> {
    const key = getAddress(from);
    let state = this.#senders.get(key);
    if (state === undefined) {
      state = { queue: Promise.resolve() };
      this.#senders.set(key, state);
    }
    const s = state;
    const run = s.queue.then(() => work(s));
    s.queue = run.catch(() => undefined);
    return run;
  }

  /** The next nonce: the higher of the local counter and the chain's pending count. */
  async next(state: SenderState, pending: () => Promise<number>): Promise<number> {
    const count = await pending();
    state.next = state.next === undefined ? count : Math.max(state.next, count);
    return state.next;
  }

  /** Forgets the local counter of `from`: the next nonce comes from the chain again. */
  resync(from: string): void {
    const state = this.#senders.get(getAddress(from));
    if (state !== undefined) state.next = undefined;
  }
}
