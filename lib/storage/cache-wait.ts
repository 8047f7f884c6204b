import { TreeCache } from '../registry-center';

/**
 * Resolves `true` as soon as `condition` holds (checked now and after every change the cache sees), or `false` when
 * `timeoutMs` passes first. Event-driven: nothing polls ZooKeeper.
 */
export function waitForCache(cache: TreeCache, condition: () => boolean, timeoutMs: number): Promise<boolean> {
  if (condition()) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const unsubscribe = cache.subscribe(() => {
      if (condition()) {
        finish(true);
      }
    });
    function finish(result: boolean) {
      clearTimeout(timer);
      unsubscribe();
      resolve(result);
    }
  });
}
