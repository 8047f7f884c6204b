import type { JobErrorHandler } from '../interfaces';
import { AlertHandlerOptions, AlertJobErrorHandler, FlushableJobErrorHandler } from './alert-job-error.handler';
import { DingtalkJobErrorHandler } from './dingtalk-alert.handler';
import { EmailJobErrorHandler } from './email-alert.handler';
import { SlackJobErrorHandler } from './slack-alert.handler';
import { WebhookJobErrorHandler } from './webhook-alert.handler';
import { WechatJobErrorHandler } from './wechat-alert.handler';

/** The alert error handlers' types, in the order `buildAlertHandlers` returns them. */
export const ALERT_ERROR_HANDLER_TYPES = ['DINGTALK', 'WECHAT', 'SLACK', 'WEBHOOK', 'EMAIL'] as const;

/**
 * One instance of each alert error handler (`DINGTALK`, `WECHAT`, `SLACK`, `WEBHOOK`, `EMAIL`). An instance serves
 * every job (its settings are each job's props); `close()` sends its pending alerts and closes its connections.
 */
export function buildAlertHandlers(options?: AlertHandlerOptions): FlushableJobErrorHandler[] {
  return [
    new DingtalkJobErrorHandler(options),
    new WechatJobErrorHandler(options),
    new SlackJobErrorHandler(options),
    new WebhookJobErrorHandler(options),
    new EmailJobErrorHandler(options),
  ];
}

/**
 * Closes the alert handlers among `handlers` (others are left alone): for shutdown, once the jobs are stopped, so
 * that the alerts of their last failures still go out. Never rejects.
 */
export async function closeAlertHandlers(handlers: Iterable<JobErrorHandler>): Promise<void> {
  const alerts = [...handlers].filter((handler) => handler instanceof AlertJobErrorHandler);
  await Promise.allSettled(alerts.map((handler) => handler.close()));
}
