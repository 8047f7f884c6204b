/**
 * Reads settings from a job's props once per props object: a configuration change in the registry brings a new
 * object, so a parse is never stale and never repeated per run. `parse` may throw (invalid props); nothing is kept
 * then, and the next read throws again.
 */
export function settingsPerProps<T>(
  parse: (jobName: string, props: Readonly<Record<string, string>>) => T,
): (jobName: string, props: Readonly<Record<string, string>>) => T {
  const parsed = new WeakMap<object, { value: T }>();
  return (jobName, props) => {
    let entry = parsed.get(props);
    if (!entry) {
      entry = { value: parse(jobName, props) };
      parsed.set(props, entry);
    }
    return entry.value;
  };
}
