import { hasCode } from '../registry-center';
import type { ExecutionSource, ResolvedJobConfiguration } from '../interfaces';
import type { JobFacade, RunClaim } from './job-facade';
import type { MisfireRuns } from './misfire-runs';
import type { ItemPipeline } from './pipeline';
import type { ItemOwner, RunState } from './run-state';

/**
 * The stage of a fire with `monitorExecution`: the items' `running` markers are written before they start, and only
 * the items this instance could mark run; the others, and all of them when the session or the lease ended meanwhile,
 * miss the fire here.
 */
export class RunMarking {
  constructor(
    private readonly facade: JobFacade,
    private readonly state: RunState,
    private readonly pipeline: ItemPipeline,
    /** The executor: it frees items, and its misfire runs note the fires they miss. */
    private readonly owner: ItemOwner & { readonly misfires: MisfireRuns },
  ) {}

  /** Marks the items running, then runs those it could mark; the others miss the fire here. */
  async run(
    config: ResolvedJobConfiguration,
    items: number[],
    fireTime: number,
    source: ExecutionSource,
    jobParameter?: string,
  ): Promise<void> {
    const { facade, state } = this;
    const registering = facade.registerStart(items, fireTime);
    (state.starting ??= new Set()).add(registering);
    let claims: RunClaim[];
    try {
      claims = await registering;
    } catch (error) {
      items.forEach((item) => this.owner.release(item));
      if (hasCode(error, 'SESSION_CHANGED')) {
        // The session expired while the markers were written: this fire is missed here.
        items.forEach((item) => this.owner.misfires.missed(config, item, fireTime));
        return;
      }
      throw error;
    } finally {
      state.starting!.delete(registering);
    }
    if (!facade.hasLease()) {
      // The lease ran out while the markers were written (a slow or lost connection): start nothing.
      facade.registerComplete(claims).catch(() => undefined);
      items.forEach((item) => {
        this.owner.release(item);
        this.owner.misfires.missed(config, item, fireTime);
      });
      return;
    }
    claims.forEach((claim) => state.setClaim(claim));
    const claimed = claims.map((claim) => claim.item);
    for (const item of items.filter((item) => !claimed.includes(item))) {
      // Marked by another instance meanwhile: this fire is missed for it, unless that run is of this fire.
      this.owner.release(item);
      this.owner.misfires.missedElsewhere(config, item, fireTime);
    }
    return this.pipeline.run(config, claimed, fireTime, source, jobParameter);
  }
}
