/**
 * The data collection use cases behind `/collect` and `/sources`. A standalone collection task (a job) is a scan
 * of one module at recursion depth 0 whose id is the job id: it is sharded, persisted, recoverable and cancellable
 * like any scan (cancel is StopScan, which interrupts the running module). `collect_jobs` marks the scan as a job.
 * A job's `api_key` and `use_proxy` reach the node through JobOptions (Redis, with a TTL), never through the
 * persisted command log; the key is never returned (`config.api_key` is always null).
 *
 * The jobs' use cases are in `CollectService/Jobs.ts` (shown through `CollectService/JobView.ts`), the sources'
 * in `CollectService/Sources.ts`.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import type { LogPage, PageParams, Source, SourceList } from "@mirage/domain/api/CollectApi"
import type { BadRequest, NotFound, StateConflict } from "@mirage/domain/api/Errors"
import type { ResultPage } from "@mirage/domain/api/ScansApi"
import type { CollectionTask, CollectTaskRequest } from "@mirage/domain/CollectionTask"
import type { ScanId } from "@mirage/domain/Ids"
import { Context, Effect, Layer } from "effect"
import type { PersistenceError } from "../platform/Errors.js"
import { EventStore } from "../scans/EventStore.js"
import { ResultStore } from "../scans/ResultStore.js"
import { ScanService } from "../scans/ScanService.js"
import { CollectionLog } from "./CollectionLog.js"
import * as Jobs from "./CollectService/Jobs.js"
import * as Sources from "./CollectService/Sources.js"
import { Credentials } from "./Credentials.js"
import { JobOptions } from "./JobOptions.js"
import { JobStore } from "./JobStore.js"
import * as JobStorePostgres from "./JobStore/Postgres.js"
import { ModuleCatalog } from "./ModuleCatalog.js"
import { RateLimiter } from "./RateLimiter.js"

export interface CollectServiceShape {
  readonly create: (
    principal: Principal,
    request: CollectTaskRequest
  ) => Effect.Effect<CollectionTask, BadRequest | PersistenceError>
  readonly get: (principal: Principal, id: ScanId) => Effect.Effect<CollectionTask, NotFound | PersistenceError>
  readonly cancel: (
    principal: Principal,
    id: ScanId
  ) => Effect.Effect<CollectionTask, NotFound | StateConflict | PersistenceError>
  readonly results: (
    principal: Principal,
    id: ScanId,
    params: PageParams
  ) => Effect.Effect<ResultPage, NotFound | BadRequest | PersistenceError>
  readonly logs: (
    principal: Principal,
    id: ScanId,
    params: PageParams
  ) => Effect.Effect<LogPage, NotFound | PersistenceError>
  readonly sources: Effect.Effect<SourceList, PersistenceError>
  readonly source: (id: string) => Effect.Effect<Source, NotFound | PersistenceError>
}

export class CollectService extends Context.Tag("@mirage/runtime/CollectService")<
  CollectService,
  CollectServiceShape
>() {}

export const make = Effect.gen(function*() {
  const collectionLog = yield* CollectionLog
  const jobs: Jobs.JobPorts = {
    scans: yield* ScanService,
    jobs: yield* JobStore,
    events: yield* EventStore,
    catalog: yield* ModuleCatalog,
    resultStore: yield* ResultStore,
    collectionLog,
    jobOptions: yield* JobOptions
  }
  const sources: Sources.SourcePorts = {
    limiter: yield* RateLimiter,
    credentials: yield* Credentials,
    collectionLog
  }
  return CollectService.of({
    create: Jobs.create(jobs),
    get: Jobs.get(jobs),
    cancel: Jobs.cancel(jobs),
    results: Jobs.results(jobs),
    logs: Jobs.logs(jobs),
    sources: Sources.list(sources),
    source: Sources.one(sources)
  })
})

/** The service over the given ports (ScanService, EventStore, ModuleCatalog, ResultStore, CollectionLog, JobOptions, …). */
export const layerPorts = Layer.effect(CollectService, make)

/** The service with its jobs in Postgres (PgClient needed). */
export const layer = layerPorts.pipe(Layer.provide(JobStorePostgres.layer))
