import type { AlertBatch, AlertFailure } from './alert-batch.interface';

/** How an alert's text is cut to fit where it goes. */
export interface AlertTextOptions {
  /** Add each error's stack (email). Default `false`: chat messages stay readable. */
  readonly stacks?: boolean;
  /** Items listed at most; the rest are counted. Default: all. */
  readonly maxItems?: number;
  /** Characters kept of each error message. Default: all. */
  readonly maxMessageChars?: number;
  /** UTF-8 bytes of the whole text at most: robots reject (not cut) a longer message. Default: no limit. */
  readonly maxBytes?: number;
}

/** The message of what a job threw (its `message`, or the thrown value as a string). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack of what a job threw, when it is an Error that has one. */
export function errorStack(error: unknown): string | undefined {
  return error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
}

/** `text`, cut to at most `maxBytes` UTF-8 bytes without splitting a character, ending with `...` when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) {
    return text;
  }
  const ellipsis = '\n...';
  let end = Math.max(0, maxBytes - ellipsis.length);
  const bytes = Buffer.from(text, 'utf8');
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) {
    end--;
  }
  return bytes.subarray(0, end).toString('utf8') + ellipsis;
}

const cut = (text: string, maxChars: number | undefined) =>
  maxChars !== undefined && text.length > maxChars ? `${text.slice(0, maxChars)}...` : text;

// A fire time that is no date must not keep the alert from going out.
const isoTime = (time: number) => (Number.isFinite(time) ? new Date(time).toISOString() : String(time));

const itemLabel = ({ shardingItem }: AlertFailure) => (shardingItem < 0 ? 'execution' : `item ${shardingItem}`);

/**
 * The text of an alert: the job, the instance, the fire time (ISO), the execution source and the task, then one line
 * per failed item with its error message (and stack, for email).
 */
export function alertText(batch: AlertBatch, options: AlertTextOptions = {}): string {
  const { context, failures } = batch;
  const shown = failures.slice(0, options.maxItems ?? failures.length);
  const lines = [
    `Job ${JSON.stringify(context.jobName)} failed: ${failures.length} failure(s)`,
    `Instance: ${context.instanceId}`,
    `Fire time: ${isoTime(context.fireTime)}`,
    `Execution source: ${context.executionSource}`,
    `Task: ${context.taskId}`,
    '',
  ];
  for (const failure of shown) {
    lines.push(`- ${itemLabel(failure)}: ${cut(errorMessage(failure.error), options.maxMessageChars)}`);
    const stack = options.stacks ? errorStack(failure.error) : undefined;
    if (stack) {
      lines.push(...stack.split('\n').map((line) => `    ${line}`), '');
    }
  }
  if (shown.length < failures.length) {
    lines.push(`- and ${failures.length - shown.length} more`);
  }
  const text = lines.join('\n').trimEnd();
  return options.maxBytes === undefined ? text : truncateUtf8(text, options.maxBytes);
}
