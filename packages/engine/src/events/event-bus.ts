import { AtelierError } from "@atelier/core";
import type { AtelierEvent, EventName, EventPayloads } from "./event-payloads.js";
import type { Logger } from "../logging/logger.js";

/** A payload as emitters pass it: the bus stamps `timestamp` when it is missing. */
export type EventInput<K extends EventName> = Omit<EventPayloads[K], "timestamp"> & { timestamp?: number };
/** Receives one kind of event. May be async; a rejection is logged like a throw. */
export type EventHandler<K extends EventName> = (payload: EventPayloads[K]) => void | Promise<void>;
/** Receives every event. */
export type AnyEventHandler = (event: AtelierEvent) => void | Promise<void>;
/** Removes the handler it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/** `waitFor` saw no matching event in time. */
export class EventWaitTimeoutError extends AtelierError {
  constructor(name: EventName, timeoutMs: number) {
    super("event_wait_timeout", `No ${name} event arrived within ${timeoutMs} ms`, {
      status: 408,
      details: { event: name, timeout_ms: timeoutMs },
    });
  }
}

/** Options of `EventBus`. */
export interface EventBusOptions {
  /** Where handler failures are logged; without one they are written to stderr. */
  logger?: Logger;
}

/**
 * The in-process event bus. `emit` calls the handlers of the event, then the any-handlers, synchronously and in
 * subscription order, so that listeners see events in the order they happened. A handler that throws (or whose
 * promise rejects) is logged and never reaches the emitter: a broken socket must not fail a queue item. Handlers
 * share the payload object and must not change it.
 */
export class EventBus {
  readonly #handlers = new Map<EventName, Set<(payload: never) => void | Promise<void>>>();
  readonly #anyHandlers = new Set<AnyEventHandler>();
  readonly #logger: Logger | undefined;

  constructor(options: EventBusOptions = {}) {
    this.#logger = options.logger;
  }

  /** Delivers an event to its subscribers and returns the payload as delivered (with its timestamp). */
  emit<K extends EventName>(name: K, payload: EventInput<K>): EventPayloads[K] {
    const stamped = (
      payload.timestamp === undefined ? { ...payload, timestamp: Math.floor(Date.now() / 1000) } : payload
    ) as EventPayloads[K];
    const handlers = this.#handlers.get(name);
    // Handlers run over a snapshot (one may unsubscribe or subscribe others); a lone handler needs no copy.
    if (handlers !== undefined && handlers.size > 0) {
      if (handlers.size === 1) this.#call(name, handlers.values().next().value as EventHandler<K>, stamped);
      else for (const handler of [...handlers]) this.#call(name, handler as EventHandler<K>, stamped);
    }
    const anyHandlers = this.#anyHandlers;
    if (anyHandlers.size > 0) {
      const event = { name, payload: stamped } as AtelierEvent;
      if (anyHandlers.size === 1) this.#call(name, anyHandlers.values().next().value!, event);
      else for (const handler of [...anyHandlers]) this.#call(name, handler, event);
    }
    return stamped;
  }

  /** Subscribes to one event. */
  on<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe {
    let set = this.#handlers.get(name);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(name, set);
    }
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry = (payload: never) => handler(payload);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Subscribes to every event (the socket.io bridge, LISTEN/NOTIFY relays, tests). */
  onAny(handler: AnyEventHandler): Unsubscribe {
    const entry: AnyEventHandler = (event) => handler(event);
    this.#anyHandlers.add(entry);
    return () => {
      this.#anyHandlers.delete(entry);
    };
  }

  /** Resolves with the next `name` event that `predicate` accepts; rejects with EventWaitTimeoutError after `timeoutMs`. */
  waitFor<K extends EventName>(
    name: K,
    predicate: (payload: EventPayloads[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<EventPayloads[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new EventWaitTimeoutError(name, timeoutMs));
      }, timeoutMs);
      const unsubscribe = this.on(name, (payload) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(payload);
      });
    });
  }

  /** How many handlers listen to `name` (plus the any-handlers), or in total when no name is given. */
  listenerCount(name?: EventName): number {
    if (name !== undefined) return (this.#handlers.get(name)?.size ?? 0) + this.#anyHandlers.size;
    let total = this.#anyHandlers.size;
    for (const set of this.#handlers.values()) total += set.size;
    return total;
  }

  #call<P>(name: EventName, handler: (payload: P) => void | Promise<void>, payload: P): void {
    try {
      const result = handler(payload);
      if (result instanceof Promise) result.catch((error: unknown) => this.#report(name, error));
    } catch (error) {
      this.#report(name, error);
    }
  }

  #report(name: EventName, error: unknown): void {
    if (this.#logger !== undefined) {
      this.#logger.error(`Event handler for ${name} failed`, { event: name, err: error });
    } else {
      process.stderr.write(
        `Event handler for ${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
    }
  }
}
