import type { JobEventBus } from '../executor';
import type { InstanceStatus, TracingStats } from '../interfaces';
import type { RegistryCenter } from '../registry-center';

/** What the metrics of one application are read from. */
export interface MetricsSources {
  /** The fire pipeline's events (item runs, executions, reshards). */
  readonly events: JobEventBus;
  /** The registry center, for lease and connection changes. */
  readonly registry: RegistryCenter;
  /** The instance's state now (read at scrape time). */
  status(): InstanceStatus;
  /** The tracing queue's counters, or `undefined` without tracing (read at scrape time). */
  tracing(): TracingStats | undefined;
}
