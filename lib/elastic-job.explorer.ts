import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ElasticJobMetadataAccessor } from './elastic-job-metadata.accessor';
import { logger } from './elastic-job.logger';
import { requestScopedJob } from './elastic-job.messages';
import { JobConfigurationError, ModuleOptionsError } from './errors';
import { dataflowJobExecutor, simpleJobExecutor, toDataflowConfiguration } from './executor';
import { DataflowJob, ElasticJobListener } from './interfaces';
import { DistributeOnceJobListener } from './listeners';
import { DeclaredJob, ElasticJobOrchestrator } from './elastic-job.orchestrator';

/** Finds `@ElasticJob` methods on every provider and controller at module init and declares them. */
@Injectable()
export class ElasticJobExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: ElasticJobMetadataAccessor,
    private readonly orchestrator: ElasticJobOrchestrator,
  ) {}

  onModuleInit(): void {
    if (!this.orchestrator.isPrimary) {
      return;
    }
    const seen = new Set<unknown>();
    const declared: DeclaredJob[] = [];
    const listeners: Array<{ type: string; listener: ElasticJobListener; source: string }> = [];
    const wrappers: InstanceWrapper[] = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) {
        continue;
      }
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype) {
        continue;
      }
      const listenerType = this.accessor.getListenerType(instance.constructor as Function);
      if (listenerType !== undefined) {
        listeners.push(this.listenerOf(listenerType, instance, wrapper));
      }
      const dataflow = this.accessor.getDataflowJobConfiguration(instance.constructor as Function);
      if (dataflow) {
        const className = (instance.constructor as Function).name;
        if (!wrapper.isDependencyTreeStatic()) {
          logger.warn(requestScopedJob(className, 'fetchData'));
        } else if (typeof instance.fetchData !== 'function' || typeof instance.processData !== 'function') {
          throw new JobConfigurationError(
            `Job ${JSON.stringify(dataflow.name)}: @ElasticDataflowJob class ${className} must implement fetchData(ctx) and processData(ctx, data)`,
            String(dataflow.name),
            'handler',
          );
        } else {
          declared.push({
            config: toDataflowConfiguration(dataflow),
            itemExecutor: dataflowJobExecutor(instance as unknown as DataflowJob),
            source: className,
          });
        }
      }
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[methodName];
        const config = typeof method === 'function' ? this.accessor.getJobConfiguration(method) : undefined;
        if (!config) {
          continue;
        }
        const className = instance.constructor?.name ?? String(wrapper.name);
        if (!wrapper.isDependencyTreeStatic()) {
          logger.warn(requestScopedJob(className, methodName));
          continue;
        }
        declared.push({
          config,
          itemExecutor: simpleJobExecutor((context) =>
            (method as (...args: unknown[]) => unknown).call(instance, context),
          ),
          source: `${className}.${methodName}`,
        });
      }
    }
    this.orchestrator.declareListeners(listeners);
    this.orchestrator.declare(declared);
  }

  /** A `@JobListener` provider, checked: it has both methods (or is a distribute-once listener). */
  private listenerOf(type: string, instance: Record<string, unknown>, wrapper: InstanceWrapper) {
    const source = (instance.constructor as Function).name || String(wrapper.name);
    const ok =
      instance instanceof DistributeOnceJobListener ||
      (typeof instance.beforeJobExecuted === 'function' && typeof instance.afterJobExecuted === 'function');
    if (typeof type !== 'string' || type.trim() === '' || !ok) {
      throw new ModuleOptionsError(
        `@JobListener(${JSON.stringify(type)}) on ${source}: the type must be a non-empty string and the class must implement beforeJobExecuted(contexts) and afterJobExecuted(contexts), or extend DistributeOnceJobListener`,
        'jobListenerTypes',
      );
    }
    return { type, listener: instance as unknown as ElasticJobListener, source };
  }
}
