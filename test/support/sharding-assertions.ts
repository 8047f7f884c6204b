/// <reference types="jest" />
/** `count` instance ids in ElasticJob's order (reverse lexicographic), for strategy specs. */
export function instanceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.0.0.${i}@-@${100 + i}`)
    .sort()
    .reverse();
}

/** Every instance is in the result, and the items `0..total-1` are each assigned once, in ascending order per instance. */
export function expectCompleteAssignment(
  result: Map<string, number[]>,
  instances: readonly string[],
  total: number,
): void {
  expect([...result.keys()].sort()).toEqual([...instances].sort());
  expect([...result.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  for (const items of result.values()) {
    expect(items).toEqual([...items].sort((a, b) => a - b));
  }
}
