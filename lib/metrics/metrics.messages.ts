/** Messages of the metrics (`nestjs-elasticjob/metrics` and the module option `metrics`). */

export const invalidJobLabelLimit = (value: unknown) =>
  `Invalid "metrics.jobLabelLimit" ${JSON.stringify(value)}: must be an integer >= 0`;

export const invalidMetricsRegistry = (value: unknown) =>
  `Invalid "metrics.registry" (${typeof value}): must be a prom-client Registry (registerMetric, getSingleMetric, removeSingleMetric)`;

export const metricsAlreadyCollected = () =>
  'Metrics of this application are already collected (the module option "metrics" and ElasticJobMetricsModule ' +
  'are both used?); keeping the first collector';

export const metricReplaced = (name: string) =>
  `Metric "${name}" was already registered by something else in the metrics registry; replaced by nestjs-elasticjob's`;

export const scrapeFailed = (error: unknown) => `Metrics: could not read the instance's state: ${error}`;
