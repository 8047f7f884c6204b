import { CONNECTED_STATE, NO_CONNECTION, NO_NODE, WATCH_EVENT, Watcher } from './native-client';
import { RegistryCenterError } from './registry-center.error';

/** How a watch was set: by `getData`, by `exists` (on a node or on its absence) or by `getChildren`. */
export type WatchKind = 'data' | 'exist' | 'child';
type WatchesByKind = Partial<Record<WatchKind, Set<Watcher>>>;

// Which watches an event fires, as the C library decides (collectWatchers): a creation or a change the node's, a
// deletion every kind, a child event the child watches.
const FIRES: Readonly<Record<number, readonly WatchKind[]>> = {
  [WATCH_EVENT.CREATED]: ['data', 'exist'],
  [WATCH_EVENT.CHANGED]: ['data', 'exist'],
  [WATCH_EVENT.CHILD]: ['child'],
  [WATCH_EVENT.DELETED]: ['data', 'exist', 'child'],
};

/** Callers' watchers by node and kind. */
class PendingWatches {
  private readonly byPath = new Map<string, WatchesByKind>();

  get size(): number {
    return this.byPath.size;
  }

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const kinds = this.byPath.get(path) ?? {};
    (kinds[kind] ??= new Set()).add(watcher);
    this.byPath.set(path, kinds);
  }

  /** Removes and returns the watchers that an event of `type` on `path` fires (each once). */
  take(type: number, path: string): Watcher[] {
    const kinds = this.byPath.get(path);
    const fired = new Set<Watcher>();
    for (const kind of (kinds && FIRES[type]) ?? []) {
      kinds![kind]?.forEach((watcher) => fired.add(watcher));
      delete kinds![kind];
    }
    if (kinds && Object.keys(kinds).length === 0) {
      this.byPath.delete(path);
    }
    return [...fired];
  }

  /** Removes and returns every watch. */
  takeAll(): [string, WatchesByKind][] {
    const all = [...this.byPath];
    this.byPath.clear();
    return all;
  }

  clear(): void {
    this.byPath.clear();
  }
}

/** Sets a watch of `kind` on `path` for `watchers` with one request, whose outcome is noted as `note` does. */
export type ArmWatch = (kind: WatchKind, path: string, watchers: Watcher[]) => Promise<unknown>;

/**
 * The callers' watches of one session: those set on the server that have not fired (the native client is given one
 * watcher function per session, `fire`, as it keeps every function it is given, which hands each event to the callers'
 * watchers found here), and those owed, which `replay` sets again (see `ZookeeperSession`).
 */
export class SessionWatches {
  private readonly armed = new PendingWatches();
  private readonly owed = new PendingWatches();
  private replaying = false;

  constructor(
    private readonly arm: ArmWatch,
    private readonly isConnected: () => boolean,
  ) {}

  /** The watcher every native client is given: hands an event to the watchers it fires. */
  readonly fire: Watcher = (type, state, path) => {
    if (type !== WATCH_EVENT.SESSION) {
      this.armed.take(type, path).forEach((watcher) => watcher(type, state, path));
    }
  };

  /**
   * Notes `watchers` once the request that was to set their watch of `kind` on `path` ended with `rc`: as set when the
   * server set it, as owed when the request did not get through for want of a connection.
   */
  note(kind: WatchKind, path: string, watchers: Watcher[], rc: number): void {
    const set = rc === 0 || (kind === 'exist' && rc === NO_NODE);
    const notes = set ? this.armed : NO_CONNECTION.has(rc) ? this.owed : undefined;
    watchers.forEach((watcher) => notes?.add(kind, path, watcher));
  }

  /** Owes every watch set so far: the native client that had them set is given up. */
  oweAll(): void {
    for (const [path, kinds] of this.armed.takeAll()) {
      for (const kind of Object.keys(kinds) as WatchKind[]) {
        kinds[kind]!.forEach((watcher) => this.owed.add(kind, path, watcher));
      }
    }
  }

  clear(): void {
    this.armed.clear();
    this.owed.clear();
  }

  /**
   * Sets every owed watch and gives its watchers their event (see `ZookeeperSession`). A watch that fails to be set
   * for want of a connection again stays owed, for the next connection.
   */
  replay(): void {
    if (this.replaying || this.owed.size === 0) {
      return;
    }
    this.replaying = true;
    const owed = this.owed.takeAll();
    void Promise.all(owed.map(([path, kinds]) => this.replayNode(path, kinds))).finally(() => {
      this.replaying = false;
      // Owed again meanwhile (the connection dropped during the replay): once connected, go again.
      if (this.isConnected()) {
        this.replay();
      }
    });
  }

  /** Sets the owed watches of one node again, then gives their watchers the event of what the node is now. */
  private async replayNode(path: string, kinds: WatchesByKind): Promise<void> {
    const deleted = new Set<Watcher>();
    await Promise.all(
      (Object.keys(kinds) as WatchKind[]).map(async (kind) => {
        const watchers = [...kinds[kind]!];
        const type = await this.arm(kind, path, watchers).then(
          () => (kind === 'data' ? WATCH_EVENT.CHANGED : kind === 'child' ? WATCH_EVENT.CHILD : WATCH_EVENT.CREATED),
          (error) => (error instanceof RegistryCenterError && error.rc === NO_NODE ? WATCH_EVENT.DELETED : undefined),
        );
        if (type === WATCH_EVENT.DELETED) {
          // An exists watch on a node still missing is simply set again: nothing happened to it.
          (kind === 'exist' ? [] : watchers).forEach((watcher) => deleted.add(watcher));
        } else if (type !== undefined) {
          watchers.forEach((watcher) => watcher(type, CONNECTED_STATE, path));
        }
      }),
    );
    deleted.forEach((watcher) => watcher(WATCH_EVENT.DELETED, CONNECTED_STATE, path));
  }
}
