import { invalidJobField, missingJobField } from '../elastic-job.messages';
import { JobConfigurationError } from '../errors';

/** The largest delay a Node timer accepts; a larger one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Reads an alert's settings from a job's props and checks them; every error is a JobConfigurationError naming the
 * job, with `field` the prop's name (`dingtalk.webhook`) and the message quoting it as `props.<name>`.
 */
export class AlertPropsReader {
  constructor(
    private readonly jobName: string,
    private readonly props: Readonly<Record<string, string>>,
  ) {}

  /** The prop's value; `undefined` when unset or empty (ElasticJob treats both as absent). */
  optional(name: string): string | undefined {
    const value = this.props[name];
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) {
      throw new JobConfigurationError(missingJobField(this.jobName, `props.${name}`), this.jobName, name);
    }
    return value;
  }

  /** A required http: or https: URL. */
  httpUrl(name: string): URL {
    const value = this.required(name);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw this.invalid(name, 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw this.invalid(name, 'must be an http: or https: URL');
    }
    return url;
  }

  /**
   * A timeout in milliseconds, `defaultMs` when unset. `alias` is another name read when `name` is unset: ElasticJob
   * 3.0 spells the chat robots' timeouts in camel case (`dingtalk.connectTimeoutMilliseconds`).
   */
  timeoutMs(name: string, defaultMs: number, alias?: string): number {
    const field = this.optional(name) === undefined && alias && this.optional(alias) !== undefined ? alias : name;
    return this.integer(field, 1, MAX_TIMEOUT_MS, defaultMs, 'a positive integer of milliseconds');
  }

  /** A required TCP port. */
  port(name: string): number {
    this.required(name);
    return this.integer(name, 1, 65_535, 0, 'a port, an integer from 1 to 65535');
  }

  /** `true` or `false` (any case), `defaultValue` when unset. */
  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) {
      return defaultValue;
    }
    const lower = value.trim().toLowerCase();
    if (lower !== 'true' && lower !== 'false') {
      throw this.invalid(name, 'must be true or false');
    }
    return lower === 'true';
  }

  /** A comma-separated list (of addresses); blanks are dropped. */
  list(name: string): string[] {
    return (this.optional(name) ?? '')
      .split(',')
      .map((each) => each.trim())
      .filter((each) => each !== '');
  }

  /** A required comma-separated list with at least one element. */
  requiredList(name: string): string[] {
    this.required(name);
    const values = this.list(name);
    if (values.length === 0) {
      throw this.invalid(name, 'must list at least one address');
    }
    return values;
  }

  private integer(name: string, min: number, max: number, defaultValue: number, what: string): number {
    const value = this.optional(name);
    if (value === undefined) {
      return defaultValue;
    }
    const trimmed = value.trim();
    if (!/^\d+$/.test(trimmed) || Number(trimmed) < min || Number(trimmed) > max) {
      throw this.invalid(name, `must be ${what}${max === MAX_TIMEOUT_MS ? `, at most ${MAX_TIMEOUT_MS}` : ''}`);
    }
    return Number(trimmed);
  }

  private invalid(name: string, reason: string): JobConfigurationError {
    return new JobConfigurationError(
      invalidJobField(this.jobName, `props.${name}`, this.props[name], reason),
      this.jobName,
      name,
    );
  }
}
