import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ELASTIC_DATAFLOW_JOB_METADATA,
  ELASTIC_JOB_LISTENER_METADATA,
  ELASTIC_JOB_METADATA,
} from './elastic-job.constants';
import { DataflowJobConfiguration, JobConfiguration } from './interfaces';

/** Reads what the decorators stored. */
@Injectable()
export class ElasticJobMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getJobConfiguration(target: Function): JobConfiguration | undefined {
    return this.reflector.get<JobConfiguration | undefined>(ELASTIC_JOB_METADATA, target);
  }

  getDataflowJobConfiguration(target: Function): DataflowJobConfiguration | undefined {
    return this.reflector.get<DataflowJobConfiguration | undefined>(ELASTIC_DATAFLOW_JOB_METADATA, target);
  }

  getListenerType(target: Function): string | undefined {
    return this.reflector.get<string | undefined>(ELASTIC_JOB_LISTENER_METADATA, target);
  }
}
