import { ElasticJobError } from '../errors';

/** Names of ZooKeeper's result codes, as carried by `RegistryCenterError.code`. */
export const ZOOKEEPER_ERROR_CODES: Readonly<Record<number, string>> = {
  [-1]: 'SYSTEM_ERROR',
  [-2]: 'RUNTIME_INCONSISTENCY',
  [-3]: 'DATA_INCONSISTENCY',
  [-4]: 'CONNECTION_LOSS',
  [-5]: 'MARSHALLING_ERROR',
  [-6]: 'UNIMPLEMENTED',
  [-7]: 'OPERATION_TIMEOUT',
  [-8]: 'BAD_ARGUMENTS',
  [-9]: 'INVALID_STATE',
  [-101]: 'NO_NODE',
  [-102]: 'NO_AUTH',
  [-103]: 'BAD_VERSION',
  [-108]: 'NO_CHILDREN_FOR_EPHEMERALS',
  [-110]: 'NODE_EXISTS',
  [-111]: 'NOT_EMPTY',
  [-112]: 'SESSION_EXPIRED',
  [-113]: 'INVALID_CALLBACK',
  [-114]: 'INVALID_ACL',
  [-115]: 'AUTH_FAILED',
  [-116]: 'CLOSING',
  [-118]: 'SESSION_MOVED',
};

/** Codes after which an operation may be retried once the session is connected again. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_LOSS',
  'OPERATION_TIMEOUT',
  'SESSION_EXPIRED',
  'INVALID_STATE',
  'CLOSING',
  'SESSION_MOVED',
  'NOT_CONNECTED',
]);

/** A failed registry-center operation. `code` is ZooKeeper's result name (`NO_NODE`, `NODE_EXISTS`, ...). */
export class RegistryCenterError extends ElasticJobError {
  constructor(
    message: string,
    /** ZooKeeper's result name, or `CONNECT_TIMEOUT`, `NOT_CONNECTED`, `CLOSED`. */
    readonly code: string,
    /** The node the operation was about, when there is one. */
    readonly path?: string,
    /** ZooKeeper's numeric result code, when there is one. */
    readonly rc?: number,
  ) {
    super(message);
  }

  static fromResultCode(rc: number, operation: string, path?: string): RegistryCenterError {
    const code = ZOOKEEPER_ERROR_CODES[rc] ?? 'SYSTEM_ERROR';
    return new RegistryCenterError(
      `ZooKeeper ${operation}${path ? ` ${path}` : ''} failed: ${code} (${rc})`,
      code,
      path,
      rc,
    );
  }
}

/** True when `error` is a `RegistryCenterError` with the given code. */
export const hasCode = (error: unknown, code: string): boolean =>
  error instanceof RegistryCenterError && error.code === code;

/** A `catch` handler that swallows errors with the given codes and rethrows any other: `.catch(ignoring('NODE_EXISTS'))`. */
export const ignoring =
  (...codes: string[]) =>
  (error: unknown): void => {
    if (!codes.some((code) => hasCode(error, code))) {
      throw error;
    }
  };
