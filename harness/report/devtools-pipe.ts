import type { Readable, Writable } from "node:stream";

type Params = Record<string, unknown>;

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Params;
  readonly sessionId?: string;
  readonly result?: Params;
  readonly error?: { readonly message: string };
}

type EventListener = (method: string, params: Params) => void;

/**
 * The Chrome DevTools protocol over `--remote-debugging-pipe`: JSON messages ended by a NUL byte, sent
 * on the browser's fd 3 and received on its fd 4. No port is opened, so nothing else can connect.
 * Every call and wait fails once `close` is called (the browser exited, or the deadline passed).
 */
export class DevToolsPipe {
  readonly #toBrowser: Writable;
  readonly #calls = new Map<number, { settle: (result: Params) => void; fail: (message: string) => void }>();
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #onClose = new Set<(error: Error) => void>();
  #nextId = 1;
  #closed: Error | undefined;
  #buffered = "";

  constructor(toBrowser: Writable, fromBrowser: Readable) {
    this.#toBrowser = toBrowser;
    // A pipe reset by the browser's exit fails what is pending instead of crashing the process.
    for (const stream of [toBrowser, fromBrowser])
      stream.on("error", (error) => {
        this.close(error);
      });
    fromBrowser.setEncoding("utf8");
    fromBrowser.on("data", (chunk: string) => {
      const messages = (this.#buffered + chunk).split("\0");
      this.#buffered = messages.pop() ?? "";
      for (const message of messages) this.#receive(JSON.parse(message) as Message);
    });
  }

  #receive(message: Message): void {
    if (message.id !== undefined) {
      const call = this.#calls.get(message.id);
      this.#calls.delete(message.id);
      if (message.error === undefined) call?.settle(message.result ?? {});
      else call?.fail(message.error.message);
    } else if (message.method !== undefined) {
      for (const listener of this.#listeners.get(message.sessionId ?? "") ?? []) {
        listener(message.method, message.params ?? {});
      }
    }
  }

  /** Rejects everything pending and everything asked afterwards with `error`. */
  close(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    for (const reject of this.#onClose) reject(error);
    this.#onClose.clear();
  }

  /** Settles when `start`'s callbacks are called; rejects if the pipe closes first. */
  #pending(start: (settle: (value: Params) => void, fail: (error: Error) => void) => void): Promise<Params> {
    return new Promise((resolve, reject) => {
      if (this.#closed !== undefined) {
        reject(this.#closed);
        return;
      }
      const done = () => this.#onClose.delete(reject);
      this.#onClose.add(reject);
      start(
        (value) => {
          done();
          resolve(value);
        },
        (error) => {
          done();
          reject(error);
        },
      );
    });
  }

  /** Sends a command (to a page when `sessionId` is given) and resolves with its result. */
  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    return this.#pending((settle, fail) => {
      const id = this.#nextId++;
      this.#calls.set(id, {
        settle,
        fail: (message) => {
          fail(new Error(`${method}: ${message}`));
        },
      });
      const message = { id, method, params, ...(sessionId === undefined ? {} : { sessionId }) };
      this.#toBrowser.write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Calls `listener` with every event of a session ("" for the browser's own). */
  on(sessionId: string, listener: EventListener): void {
    const listeners = this.#listeners.get(sessionId) ?? new Set();
    this.#listeners.set(sessionId, listeners.add(listener));
  }

  /** Resolves with the params of the next event named `method` in a session. */
  next(sessionId: string, method: string): Promise<Params> {
    return this.#pending((settle) => {
      const listener: EventListener = (name, params) => {
        if (name !== method) return;
        this.#listeners.get(sessionId)?.delete(listener);
        settle(params);
      };
      this.on(sessionId, listener);
    });
  }
}
