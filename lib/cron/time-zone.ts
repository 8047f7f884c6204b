const OFFSET = /^(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/i;

/**
 * Turns a job's `timeZone` (IANA name, or a fixed offset such as `GMT+08:00` as Java writes it) into a zone the cron
 * library understands, or returns `null` when the name is unknown.
 */
export function normalizeTimeZone(timeZone: string): string | null {
  const offset = OFFSET.exec(timeZone.trim());
  if (offset) {
    const [, sign, hours, minutes] = offset;
    if (!sign) {
      return 'UTC';
    }
    const h = Number(hours);
    const m = Number(minutes ?? 0);
    if (h > 18 || m > 59) {
      return null;
    }
    return `UTC${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}
