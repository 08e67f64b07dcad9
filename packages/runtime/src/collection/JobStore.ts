/**
 * Standalone collection jobs: which scans are jobs (a job is a one-module scan whose id is the job id)
 * and the task configuration each was submitted with. The API key of a job is never stored.
 */
import type { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Context, Effect, Layer, Option } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export interface JobRecord {
  readonly job_id: ScanId
  readonly organization_id: OrganizationId
  readonly timeout_seconds: number
  readonly max_results: number
  readonly use_proxy: boolean
}

export interface JobStoreService {
  readonly insert: (job: JobRecord) => Effect.Effect<void, PersistenceError>
  /** The job, if it exists and belongs to the organization. */
  readonly get: (
    organizationId: OrganizationId,
    jobId: ScanId
  ) => Effect.Effect<Option.Option<JobRecord>, PersistenceError>
}

export class JobStore extends Context.Tag("@mirage/runtime/JobStore")<JobStore, JobStoreService>() {}

/** The in-memory twin, for unit tests. */
export const makeMemory = (): JobStoreService => {
  const jobs = new Map<string, JobRecord>()
  return JobStore.of({
    insert: (job) => Effect.sync(() => void jobs.set(job.job_id, job)),
    get: (organizationId, jobId) =>
      Effect.sync(() =>
        Option.filter(Option.fromNullable(jobs.get(jobId)), (j) => j.organization_id === organizationId)
      )
  })
}

export const layerMemory = Layer.sync(JobStore, makeMemory)
