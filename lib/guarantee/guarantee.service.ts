import { hasCode, RegistryCenter, TreeCache, TreeCacheEvent } from '../registry-center';
import { JobNodePath, RegistryEventListener } from '../storage';

/** Which of the two steps of a fire: every item registered as started, or every item ended. */
export type GuaranteeStep = 'started' | 'completed';

/** How often a wait looks again without an event (a node of another instance may change unseen between reads). */
const RECHECK_MS = 250;
/** Fires a node remembers: enough for the fires that overlap (failover and misfire runs end fires late). */
const KEPT_FIRES = 64;

/** A node's data: `{fireTime}:{value},...`, oldest first. */
function entriesOf(data: string | null | undefined): Map<number, string> {
  const entries = new Map<number, string>();
  for (const entry of (data ?? '').split(',')) {
    const at = entry.indexOf(':');
    const fireTime = Number(entry.slice(0, at));
    if (at > 0 && Number.isFinite(fireTime)) {
      entries.set(fireTime, entry.slice(at + 1));
    }
  }
  return entries;
}

const formatEntries = (entries: Map<number, string>) =>
  [...entries]
    .slice(-KEPT_FIRES)
    .map(([fireTime, value]) => `${fireTime}:${value}`)
    .join(',');

/**
 * The coordination of distribute-once listeners for one job (ElasticJob's `GuaranteeService`), per fire: the item
 * nodes `guarantee/{started|completed}/{item}` list the fires the item was registered for (with the instance that did),
 * and the step's node itself the fires whose listener an instance claimed (its id), then ran (`done`). Every change is
 * a compare-and-set on the node's version, so fires that overlap (a fire's failover runs end after the next fires)
 * never overwrite each other, and one instance per fire and step claims it.
 */
export class GuaranteeService implements RegistryEventListener {
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly registry: RegistryCenter,
    private readonly cache: TreeCache,
    private readonly paths: JobNodePath,
    private readonly instanceId: string,
  ) {}

  /** Wakes the waits on a change of the nodes that decide them. */
  onEvent(event: TreeCacheEvent): void {
    if (this.waiters.size > 0) {
      const { paths } = this;
      if (paths.isGuaranteeNode(event.path) || paths.isInstanceNode(event.path) || paths.isItemSwitch(event.path)) {
        [...this.waiters].forEach((wake) => wake());
      }
    }
  }

  /** Registers the items for the fire's step. */
  async register(step: GuaranteeStep, fireTime: number, items: readonly number[]): Promise<void> {
    await Promise.all(
      items.map((item) =>
        this.change(`${this.stepPath(step)}/${item}`, (entries) => entries.set(fireTime, this.instanceId)),
      ),
    );
  }

  /** The items that count for a fire: every item of the job but the disabled ones. */
  expectedItems(shardingTotalCount: number): number[] {
    return Array.from({ length: shardingTotalCount }, (_, item) => item).filter(
      (item) => !this.cache.has(this.paths.disabledItem(item)),
    );
  }

  /** The registration of an item for a step of the fire, if there is one. */
  registration(step: GuaranteeStep, fireTime: number, item: number): { instanceId: string } | undefined {
    const instanceId = entriesOf(this.cache.get(`${this.stepPath(step)}/${item}`)).get(fireTime);
    return instanceId ? { instanceId } : undefined;
  }

  /** Whether an instance claimed the step of the fire (and maybe ran it). */
  isClaimed(step: GuaranteeStep, fireTime: number): boolean {
    return entriesOf(this.cache.get(this.stepPath(step))).has(fireTime);
  }

  isDone(step: GuaranteeStep, fireTime: number): boolean {
    return entriesOf(this.cache.get(this.stepPath(step))).get(fireTime) === 'done';
  }

  /** Whether the instance is registered (alive). */
  isLive(instanceId: string): boolean {
    return this.cache.has(this.paths.instance(instanceId));
  }

  /** Claims the step of the fire for this instance; `false` when another instance has it. */
  async claim(step: GuaranteeStep, fireTime: number): Promise<boolean> {
    let claimed = false;
    await this.change(this.stepPath(step), (entries) => {
      claimed = !entries.has(fireTime);
      if (claimed) {
        entries.set(fireTime, this.instanceId);
      }
      return claimed;
    });
    return claimed;
  }

  /** The listener of the step ran for the fire. */
  async markDone(step: GuaranteeStep, fireTime: number): Promise<void> {
    await this.change(this.stepPath(step), (entries) => entries.set(fireTime, 'done'));
  }

  /** Resolves `true` once `condition` holds (checked on every relevant change), `false` after `timeoutMs`. */
  async waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return false;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, RECHECK_MS));
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** Changes a node's entries with a compare-and-set on its version (`edit` returns `false`: nothing to write). */
  private async change(path: string, edit: (entries: Map<number, string>) => unknown): Promise<void> {
    for (;;) {
      const node = await this.registry.getNode(path);
      const entries = entriesOf(node?.data);
      if (edit(entries) === false) {
        return;
      }
      try {
        if (node) {
          await this.registry.update(path, formatEntries(entries), node.stat.version);
        } else {
          await this.registry.create(path, formatEntries(entries));
        }
        return;
      } catch (error) {
        if (!hasCode(error, 'BAD_VERSION') && !hasCode(error, 'NODE_EXISTS') && !hasCode(error, 'NO_NODE')) {
          throw error;
        }
      }
    }
  }

  private stepPath(step: GuaranteeStep): string {
    return step === 'started' ? this.paths.guaranteeStarted : this.paths.guaranteeCompleted;
  }
}
